"""The mass-deletion guard: a calendar that suddenly looks empty is more often an outage than an intent."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SyncError
from .notices import Notice


class MassDeletionHeld(SyncError):
    """A pull would delete an unusual share of the calendar's jobs; nothing was applied."""

    kind = "review"

    def __init__(self, deletions: int, total: int):
        self.notice = Notice.of("mass_deletion_held", deletions=deletions, total=total)
        super().__init__(str(self.notice))
        self.deletions = deletions
        self.total = total


@dataclass(frozen=True)
class MassDeletionGuard:
    """Holds a pull deleting at least ``min_count`` events and more than ``ratio`` of the live links."""

    ratio: float = 0.3
    min_count: int = 3
    confirmed: bool = False

    def trips(self, deletions: int, total: int) -> bool:
        return (not self.confirmed and deletions >= self.min_count and total > 0
                and deletions / total > self.ratio)

    def check(self, deletions: int, total: int) -> None:
        if self.trips(deletions, total):
            raise MassDeletionHeld(deletions, total)
