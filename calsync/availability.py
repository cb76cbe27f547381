"""Busy times of a technician's calendar, as the engine keeps them: start, end and status, nothing else.

Google's freeBusy and Graph's getSchedule answer differently (merged busy periods
without status; one item per event with a status, a subject and a location). The
clients turn both into ``BusyBlock`` values; this module does the provider-free
part: which statuses count as busy, clipping to the window, merging, leaving out
the intervals of our own job events (neither answer carries event ids), and the
free slots that remain.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from .timeutil import UTC, zone

BUSY, TENTATIVE, OOF = "busy", "tentative", "oof"
# scheduleItem.status: free, tentative, busy, oof, workingElsewhere, unknown
# (learn.microsoft.com/graph/api/resources/scheduleitem). Only these three keep a person from a job.
BUSY_STATUSES = frozenset({BUSY, TENTATIVE, OOF})
DEFAULT_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class BusyBlock:
    """A span a calendar is not free: aware UTC bounds (end exclusive) and one of ``BUSY_STATUSES``."""

    start: datetime
    end: datetime
    status: str = BUSY

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("busy blocks need aware times")
        if self.end <= self.start:
            raise ValueError("a busy block ends after it starts")
        if self.status not in BUSY_STATUSES:
            raise ValueError(f"not a busy status: {self.status!r}")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))


@dataclass(frozen=True)
class CalendarBusy:
    """One calendar's answer: its blocks, or the provider's reason it could not be read (per calendar,
    so that one unknown or unshared calendar never hides the others)."""

    calendar: str
    blocks: tuple[BusyBlock, ...] = ()
    error: str | None = field(default=None)


def busy_status(status: str | None) -> str | None:
    """Graph's status as ours (compared case-insensitively: the free/busy guide's example writes "Busy"),
    or None for a status that leaves the person free."""
    value = (status or "").strip().lower()
    return value if value in BUSY_STATUSES else None


def default_window(now: datetime, length: timedelta = DEFAULT_WINDOW) -> tuple[datetime, datetime]:
    """The rolling window the sync refreshes: from now, ``length`` ahead (two weeks by default)."""
    start = now.astimezone(UTC)
    return start, start + length


def split_window(start: datetime, end: datetime, longest: timedelta) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut into consecutive pieces no longer than ``longest`` (a provider's per-call limit)."""
    pieces, cursor = [], start
    while cursor < end:
        pieces.append((cursor, min(cursor + longest, end)))
        cursor = pieces[-1][1]
    return pieces


def without_own(blocks, own) -> list[BusyBlock]:
    """``blocks`` minus those standing for our own job events; ``own`` is their (start, end) pairs.

    Neither answer names events, so identity is by time. A block whose bounds are exactly an
    own event's is dropped, once per own event (Graph gives one item per event, so a person's
    event that happens to share the job's exact times still counts). What is left of an own
    interval is then cut out of the remaining blocks: Google merges overlapping events into
    one period, so a job next to or overlapping a personal event arrives fused with it. The
    price is that a personal event overlapping a job is hidden for the job's own minutes, time
    the technician is booked by us anyway.
    """
    intervals = Counter((s.astimezone(UTC), e.astimezone(UTC)) for s, e in own)
    kept = []
    for block in blocks:
        if intervals[(block.start, block.end)] > 0:
            intervals[(block.start, block.end)] -= 1
            continue
        kept.append(block)
    # a job event matched exactly is used up; the others are cut out of what may be merged periods
    for (low, high), count in intervals.items():
        if count <= 0:
            continue
        kept = [piece for block in kept for piece in _cut(block, low, high)]
    return kept


def _cut(block, low, high):
    if high <= block.start or low >= block.end:
        return [block]
    out = []
    if block.start < low:
        out.append(BusyBlock(block.start, low, block.status))
    if high < block.end:
        out.append(BusyBlock(high, block.end, block.status))
    return out


def normalize(blocks, start: datetime, end: datetime, own=()) -> tuple[BusyBlock, ...]:
    """Own events left out, clipped to ``[start, end)``, sorted, and overlapping blocks of one status merged."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    clipped = [BusyBlock(max(b.start, start), min(b.end, end), b.status)
               for b in without_own(blocks, own) if b.end > start and b.start < end]
    merged: list[BusyBlock] = []
    for block in sorted(clipped, key=lambda b: (b.status, b.start, b.end)):
        if merged and merged[-1].status == block.status and block.start <= merged[-1].end:
            last = merged.pop()
            block = BusyBlock(last.start, max(last.end, block.end), block.status)
        merged.append(block)
    return tuple(sorted(merged, key=lambda b: (b.start, b.end, b.status)))


def own_of(own, calendar: str):
    """The own-event intervals for ``calendar``: ``own`` maps calendars to (start, end) pairs, or is one
    list of pairs for every calendar asked for."""
    if isinstance(own, dict):
        return own.get(calendar, ())
    return own or ()


def free_slots(blocks, start: datetime, end: datetime, duration: timedelta, zone_name: str = "UTC",
               day_start: time = time(8), day_end: time = time(17), weekdays=frozenset(range(5))):
    """The free spans of at least ``duration`` inside working hours (wall times of ``zone_name``, so that
    a DST change moves them as the technician's clock does), between ``start`` and ``end``."""
    tz = zone(zone_name)
    day = start.astimezone(tz).date()
    slots = []
    while datetime.combine(day, time(0), tz) < end:
        if day.weekday() in weekdays:
            low = max(datetime.combine(day, day_start, tz).astimezone(UTC), start)
            high = min(datetime.combine(day, day_end, tz).astimezone(UTC), end)
            for block in sorted(blocks, key=lambda b: b.start):
                if block.end <= low or block.start >= high:
                    continue
                if block.start - low >= duration:
                    slots.append((low, block.start))
                low = max(low, block.end)
            if high - low >= duration:
                slots.append((low, high))
        day += timedelta(days=1)
    return slots
