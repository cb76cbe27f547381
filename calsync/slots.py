"""A technician's free slots for a job (issue #26): their calendar's busy times and their other jobs together.

``availability.free_slots`` finds the free spans between busy blocks in working hours. A
dispatcher looking for a time for one job needs two more rules, kept here so that they are
the same wherever slots are offered and testable without Odoo:

- the technician's *other* scheduled jobs are busy too (a job pushed to a calendar is left out
  of its busy times, see ``availability.without_own``, so it must be added back from the jobs
  themselves), but never the job being placed: moving it frees its own time;
- working hours come as decimal hours from a setting (8.5 is 08:30) and must make a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from .availability import BUSY, BusyBlock, free_slots, normalize

DEFAULT_DAY = (8.0, 17.0)
WEEKDAYS = frozenset(range(5))  # Monday to Friday
MAX_SLOTS = 50  # more is a list nobody reads; a narrower window finds the later ones


@dataclass(frozen=True)
class FreeSlot:
    """A free span (aware UTC, end exclusive) long enough for the job; the job would take ``start`` to
    ``start + duration``."""

    start: datetime
    end: datetime

    def job_end(self, duration: timedelta) -> datetime:
        return self.start + duration


def working_hours(start_hours: float, end_hours: float) -> tuple[time, time]:
    """Decimal hours (``8.5`` is 08:30) as wall times; ``ValueError`` unless 0 <= start < end < 24."""
    if not 0 <= start_hours < end_hours < 24:
        raise ValueError("working hours start before they end, between 00:00 and 23:59")
    return _wall(start_hours), _wall(end_hours)


def _wall(hours: float) -> time:
    minutes = round(hours * 60)
    return time(minutes // 60, minutes % 60)


def jobs_as_busy(jobs, skip=None) -> list[BusyBlock]:
    """The (start, end) of the technician's jobs as busy blocks; ``skip`` is the job being placed (its
    (start, end) once: moving it frees its own time). Unscheduled or empty intervals are no obstacle."""
    blocks, skipped = [], False
    for start, end in jobs:
        if not (start and end) or end <= start:
            continue
        if skip is not None and not skipped and (start, end) == tuple(skip):
            skipped = True
            continue
        blocks.append(BusyBlock(start, end, BUSY))
    return blocks


def slots_for_job(blocks, other_jobs, start: datetime, end: datetime, duration: timedelta,
                  zone_name: str = "UTC", hours=DEFAULT_DAY, weekdays=WEEKDAYS, limit: int = MAX_SLOTS,
                  placed=None):
    """Free slots of at least ``duration`` between ``start`` and ``end``, in the working ``hours`` (decimal,
    wall clock of ``zone_name``, so across a DST change they stay at the technician's 08:00), avoiding the
    calendar's busy ``blocks`` and the ``other_jobs`` (start, end) pairs (``placed``, the job being placed, left
    out of them if it is there). At most ``limit``, earliest first."""
    if duration <= timedelta(0):
        raise ValueError("a job lasts some time")
    if end <= start:
        return []
    day_start, day_end = working_hours(*hours)
    busy = normalize(list(blocks) + jobs_as_busy(other_jobs, skip=placed), start, end)
    spans = free_slots(busy, start, end, duration, zone_name, day_start, day_end, weekdays)
    return [FreeSlot(low, high) for low, high in spans[:limit]]
