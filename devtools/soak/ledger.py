"""Every edit of the soak, each with a value no other edit has, and when the other side first saw it.

An edit may only disappear if a later edit superseded it legitimately: a later edit
on the same side, a later edit on the other side made after this one had reached
that side (a person who saw it and changed it), or a reviewer's later decision. Anything else that disappears was
lost by the engine. Conflicts are fine as long as both sides' values are still there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass
class Edit:
    seq: int
    job: object
    field: str  # "start" (the end moves with it) or "notes"
    side: str  # "job", "calendar", or "review" (a reviewer's choice: settles every value before it)
    value: object
    seen_by_other_side: int | None = None  # the ledger's clock when the other side first showed the value


class Ledger:
    def __init__(self):
        self.clock = itertools.count(1)
        self.edits: dict[tuple, list[Edit]] = {}
        self.unseen: set[int] = set()  # id() of edits the other side has not shown yet
        self._by_id: dict[int, Edit] = {}

    def tick(self) -> int:
        return next(self.clock)

    def record(self, job, field, side, value) -> Edit:
        edit = Edit(self.tick(), job, field, side, value)
        self.edits.setdefault((job, field), []).append(edit)
        self.unseen.add(id(edit))
        self._by_id[id(edit)] = edit
        return edit

    def pending(self, jobs=None) -> list[Edit]:
        edits = [self._by_id[i] for i in self.unseen]
        return [e for e in edits if jobs is None or e.job in jobs]

    def observe(self, edit: Edit, job_value, event_value) -> None:
        """Called after a sync: the edit counts as seen once the other side shows its value."""
        other = job_value if edit.side == "calendar" else event_value
        if other == edit.value:
            edit.seen_by_other_side = self.tick()
            self.unseen.discard(id(edit))

    def drop_unseen_calendar_edits(self, job) -> int:
        """The event they were made on is gone (deleted by a person, or left behind by a reassignment):
        calendar edits the job never saw go with it, by design."""
        dropped = 0
        for field in ("start", "notes"):
            kept = []
            for edit in self.edits.get((job, field), []):
                if edit.side == "calendar" and edit.seen_by_other_side is None:
                    self.unseen.discard(id(edit))
                    dropped += 1
                else:
                    kept.append(edit)
            if (job, field) in self.edits:
                self.edits[(job, field)] = kept
        return dropped

    def forget_job(self, job) -> None:
        for field in ("start", "notes"):
            for edit in self.edits.pop((job, field), []):
                self.unseen.discard(id(edit))

    def lost(self, job, field, job_value, event_value) -> list[Edit]:
        """Edits of (job, field) visible on neither side and not legitimately superseded."""
        history = self.edits.get((job, field), [])
        out = []
        for edit in history:
            if edit.value in (job_value, event_value):
                continue
            superseded = any(
                later.seq > edit.seq and (_side(later) == _side(edit) or later.side == "review" or (
                    edit.seen_by_other_side is not None and edit.seen_by_other_side < later.seq))
                for later in history)
            if not superseded:
                out.append(edit)
        return out

    def count(self) -> int:
        return sum(len(v) for v in self.edits.values())


def _side(edit: Edit) -> str:
    """Where the value lives: a reviewer's choice is written to the job and goes out from there."""
    return "job" if edit.side == "review" else edit.side
