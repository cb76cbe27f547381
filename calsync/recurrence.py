"""A repeat rule both providers accept, as one value object: Google RRULE text or a Graph recurrence.

Only rules that both Google (RFC 5545 RRULE) and Graph (pattern + range) can say
the same way are representable; anything else raises ``Unrepresentable`` so that
the caller falls back to one event per job instead of a series that means
something else on one of the two calendars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .timeutil import in_zone

FREQUENCIES = ("daily", "weekly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
GRAPH_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Unrepresentable(ValueError):
    """The rule cannot be one provider series with the same occurrences on Google and Microsoft."""


@dataclass(frozen=True)
class Recurrence:
    """Every ``interval`` days or weeks from the series' first start, up to ``until`` (an instant) or ``count``.

    Weekly series repeat on the weekday of their first start (in the series' zone):
    that is where Google and Graph agree without a BYDAY / daysOfWeek list.
    """

    freq: str
    interval: int = 1
    until: datetime | None = None
    count: int | None = None

    def __post_init__(self):
        if self.freq not in FREQUENCIES:
            raise Unrepresentable(f"repeating {self.freq!r} is not supported as a calendar series")
        if self.interval < 1:
            raise Unrepresentable("the repeat interval must be at least 1")
        if self.until is not None and self.until.tzinfo is None:
            raise ValueError("Recurrence.until must be timezone-aware")
        if self.until is not None and self.count:
            raise Unrepresentable("a series ends at a date or after a number of occurrences, not both")

    def ending(self, until: datetime) -> Recurrence:
        """The same rule, stopped: no occurrence starts after ``until``."""
        return Recurrence(self.freq, self.interval, until=until.astimezone(timezone.utc), count=None)

    # -- Google ------------------------------------------------------------------------
    def rrule(self) -> str:
        """The RRULE line Google takes in ``recurrence``; UNTIL is in UTC, as RFC 5545 wants with a zone."""
        parts = [f"FREQ={self.freq.upper()}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.until is not None:
            parts.append("UNTIL=" + self.until.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
        elif self.count:
            parts.append(f"COUNT={self.count}")
        return "RRULE:" + ";".join(parts)

    # -- Microsoft -----------------------------------------------------------------------
    def graph(self, start: datetime, time_zone: str) -> dict:
        """Graph's ``recurrence``: a pattern and a range in the series' zone (the range has dates, not instants)."""
        local = in_zone(start, time_zone)
        pattern = {"type": self.freq, "interval": self.interval}
        if self.freq == "weekly":
            pattern.update(daysOfWeek=[GRAPH_DAYS[local.weekday()]], firstDayOfWeek="monday")
        span = {"startDate": local.date().isoformat(), "recurrenceTimeZone": time_zone}
        if self.until is not None:
            # Graph ends on a date: the last day whose occurrence starts no later than ``until``
            last = in_zone(self.until, time_zone)
            if last.time() < local.time():
                last -= timedelta(days=1)
            span.update(type="endDate", endDate=max(last.date(), local.date()).isoformat())
        elif self.count:
            span.update(type="numbered", numberOfOccurrences=self.count)
        else:
            span.update(type="noEnd")
        return {"pattern": pattern, "range": span}

    @classmethod
    def from_rrule(cls, text: str) -> Recurrence:
        """Read back a rule written by ``rrule()``; ``Unrepresentable`` for anything else."""
        parts = dict(p.split("=", 1) for p in text.removeprefix("RRULE:").split(";") if "=" in p)
        if set(parts) - {"FREQ", "INTERVAL", "UNTIL", "COUNT"}:
            raise Unrepresentable(f"unsupported rule {text!r}")
        until = datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc) \
            if "UNTIL" in parts else None
        return cls(parts.get("FREQ", "").lower(), int(parts.get("INTERVAL", 1)), until=until,
                   count=int(parts["COUNT"]) if "COUNT" in parts else None)
