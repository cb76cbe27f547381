"""A repeat rule both providers accept, as one value object: Google RRULE text or a Graph recurrence.

Only rules that both Google (RFC 5545 RRULE) and Graph (pattern + range) can say
the same way are representable; anything else raises ``Unrepresentable`` so that
the caller falls back to one event per job instead of a series that means
something else on one of the two calendars:

- daily, every N days;
- weekly, every N weeks on one or several weekdays (Graph ``weekly`` + ``daysOfWeek``);
- monthly, every N months on a day of the month up to the 28th (``absoluteMonthly``) or on the
  first to fourth or the last weekday of the month (``relativeMonthly``, RRULE ``BYDAY=2TU`` / ``-1FR``);
- yearly, every N years on a day its month always has (``absoluteYearly``) or on its nth / last
  weekday (``relativeYearly``).

The 29th to 31st of the month are refused for a monthly series: RFC 5545 skips the months that lack
the day (section 3.3.10) where Outlook falls on their last day, so the two calendars would disagree every
short month; for the same reason a yearly series on 29 February is refused (31 January is fine).
Skipped dates (``exdates``) are Google EXDATE lines; Graph has no such field, so its client deletes
those occurrences after writing the series.

Expansion (``starts``) is dateutil's rrule on the wall clock of the series' zone, never our own.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from dateutil import rrule as du

from .timeutil import in_zone, zone

FREQUENCIES = ("daily", "weekly", "monthly", "yearly")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
GRAPH_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Graph recurrencePattern.index (learn.microsoft.com/graph/api/resources/recurrencepattern):
# first, second, third, fourth, last - the RRULE ordinals 1..4 and -1
GRAPH_INDEX = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
LAST_SAFE_DAY = 28  # every month has it: RFC 5545 and Outlook agree up to here
DU_FREQ = {"daily": du.DAILY, "weekly": du.WEEKLY, "monthly": du.MONTHLY, "yearly": du.YEARLY}
STAMP = "%Y%m%dT%H%M%SZ"
EXPANSION_LIMIT = 5000  # occurrences listed of an endless series without a window end (a guard, not a rule)


def _every_years_days(rule) -> int:
    """The last day of the month a rule may name: the 28th monthly; yearly, the last its month has every
    year (a yearly series on 31 January is fine, on 29 February it is not)."""
    if rule.freq == "yearly" and rule.month:
        return monthrange(2027, rule.month)[1]  # 2027: not a leap year
    return LAST_SAFE_DAY


class Unrepresentable(ValueError):
    """The rule cannot be one provider series with the same occurrences on Google and Microsoft."""


@dataclass(frozen=True)
class Recurrence:
    """Every ``interval`` days, weeks, months or years from the series' first start, up to ``until`` or ``count``.

    Unset parts are the first start's, in the series' zone (a weekly series on its weekday, a monthly one
    on its day of the month, a yearly one on its date); ``anchored`` makes them explicit.
    ``days`` are weekdays (``MO``..``SU``): several for weekly, the one of ``position`` (1-4, -1 = last)
    for monthly / yearly. ``exdates`` are the starts of skipped occurrences.
    """

    freq: str
    interval: int = 1
    until: datetime | None = None
    count: int | None = None
    days: tuple[str, ...] = ()
    position: int | None = None
    month_day: int | None = None
    month: int | None = None
    exdates: tuple[datetime, ...] = ()

    def __post_init__(self):
        if self.freq not in FREQUENCIES:
            raise Unrepresentable(f"repeating {self.freq!r} is not supported as a calendar series")
        if self.interval < 1:
            raise Unrepresentable("the repeat interval must be at least 1")
        if self.until is not None and self.until.tzinfo is None:
            raise ValueError("Recurrence.until must be timezone-aware")
        if any(d.tzinfo is None for d in self.exdates):
            raise ValueError("Recurrence.exdates must be timezone-aware")
        if self.until is not None and self.count:
            raise Unrepresentable("a series ends at a date or after a number of occurrences, not both")
        if set(self.days) - set(WEEKDAYS) or len(set(self.days)) != len(self.days):
            raise Unrepresentable(f"unknown or repeated weekdays {self.days!r}")
        # one order for equal rules: weekdays in week order, skipped dates in time order, in UTC
        object.__setattr__(self, "days", tuple(sorted(self.days, key=WEEKDAYS.index)))
        object.__setattr__(self, "exdates", tuple(sorted({d.astimezone(timezone.utc) for d in self.exdates})))
        self._check_shape()

    def _check_shape(self):
        if self.freq == "daily" and (self.days or self.position or self.month_day or self.month):
            raise Unrepresentable("a daily series repeats every day, without weekdays or days of the month")
        if self.freq == "weekly" and (self.position or self.month_day or self.month):
            raise Unrepresentable("a weekly series repeats on weekdays only")
        if self.freq in ("monthly", "yearly"):
            if self.position is not None:
                if self.position not in GRAPH_INDEX:
                    raise Unrepresentable("only the first to fourth or the last weekday of a month can be a series")
                if len(self.days) != 1 or self.month_day:
                    raise Unrepresentable("a series on the nth weekday of a month names exactly one weekday")
            elif self.days:
                raise Unrepresentable("a monthly or yearly series on a weekday needs its position in the month")
            if self.month_day is not None and not 1 <= self.month_day <= _every_years_days(self):
                raise Unrepresentable("days of the month after the 28th are read differently by Google (skips "
                                      "shorter months) and Outlook (their last day)")
        if self.freq == "monthly" and self.month:
            raise Unrepresentable("a monthly series repeats in every month of its interval")
        if self.month is not None and not 1 <= self.month <= 12:
            raise Unrepresentable("the month must be 1 to 12")
        if self.freq == "yearly" and (self.position or self.month_day) and not self.month:
            raise Unrepresentable("a yearly series on a day or weekday names its month")

    def ending(self, until: datetime) -> Recurrence:
        """The same rule, stopped: no occurrence starts after ``until``."""
        return replace(self, until=until.astimezone(timezone.utc), count=None)

    def anchored(self, start: datetime, time_zone: str) -> Recurrence:
        """The rule with the parts it takes from ``start`` made explicit; ``Unrepresentable`` if ``start``
        is not its first occurrence (RFC 5545 leaves such a set undefined, Graph starts at the next match)."""
        local = in_zone(start, time_zone)
        weekday = WEEKDAYS[local.weekday()]
        rule = self
        if self.freq == "weekly" and not self.days:
            rule = replace(self, days=(weekday,))
        elif self.freq in ("monthly", "yearly") and self.position is None and self.month_day is None:
            if local.day > _every_years_days(replace(self, month=self.month or local.month)
                                             if self.freq == "yearly" else self):
                raise Unrepresentable("a series from the 29th, 30th or 31st is read differently by Google (skips "
                                      "shorter months) and Outlook (their last day)")
            rule = replace(self, month_day=local.day, month=self.month or
                           (local.month if self.freq == "yearly" else None))
        elif self.freq == "yearly" and not self.month:
            rule = replace(self, month=local.month)
        first = replace(rule, until=None, count=None, exdates=()).starts(start, time_zone, limit=1)
        if not first or first[0] != start.astimezone(timezone.utc):
            raise Unrepresentable("the first order is not on the schedule's own days")
        return rule

    # -- expansion ------------------------------------------------------------------------
    def _dateutil(self, local_start: datetime):
        """The dateutil rule of this recurrence on naive wall times of the series' zone (no EXDATE)."""
        keywords = {"interval": self.interval, "dtstart": local_start, "wkst": du.MO}
        if self.days:
            days = [getattr(du, d) for d in self.days]
            keywords["byweekday"] = [d(self.position) for d in days] if self.position else days
        if self.month_day:
            keywords["bymonthday"] = self.month_day
        if self.month:
            keywords["bymonth"] = self.month
        if self.count:
            keywords["count"] = self.count
        return du.rrule(DU_FREQ[self.freq], **keywords)

    def starts(self, start: datetime, time_zone: str, before: datetime | None = None,
               limit: int | None = None) -> list[datetime]:
        """The occurrences' starts (UTC) of a series whose first start is ``start``, on the wall clock of
        ``time_zone`` across DST changes, skipped dates left out; up to ``before`` (exclusive) if given."""
        tz = zone(time_zone)
        local = start.astimezone(tz).replace(tzinfo=None)
        skipped = set(self.exdates)
        out = []
        for wall in self._dateutil(local):
            moment = wall.replace(tzinfo=tz).astimezone(timezone.utc)
            if (self.until is not None and moment > self.until) or (before is not None and moment >= before):
                break
            if moment not in skipped:
                out.append(moment)
            if len(out) >= (limit or EXPANSION_LIMIT):
                break
        return out

    # -- Google ------------------------------------------------------------------------
    def rrule(self) -> str:
        """The RRULE line Google takes in ``recurrence``; UNTIL is in UTC, as RFC 5545 wants with a zone."""
        parts = [f"FREQ={self.freq.upper()}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.month:
            parts.append(f"BYMONTH={self.month}")
        if self.month_day:
            parts.append(f"BYMONTHDAY={self.month_day}")
        if self.days:
            parts.append("BYDAY=" + ",".join(f"{self.position or ''}{d}" for d in self.days))
        if self.freq == "weekly" and self.interval > 1 and len(self.days) > 1:
            parts.append("WKST=MO")  # which weeks count: Graph's firstDayOfWeek, said rather than defaulted
        if self.until is not None:
            parts.append("UNTIL=" + self.until.astimezone(timezone.utc).strftime(STAMP))
        elif self.count:
            parts.append(f"COUNT={self.count}")
        return "RRULE:" + ";".join(parts)

    def lines(self) -> list[str]:
        """Google's ``recurrence`` list: the RRULE and, if dates are skipped, one EXDATE line of UTC starts."""
        out = [self.rrule()]
        if self.exdates:
            out.append("EXDATE:" + ",".join(d.strftime(STAMP) for d in self.exdates))
        return out

    # -- Microsoft -----------------------------------------------------------------------
    def graph(self, start: datetime, time_zone: str) -> dict:
        """Graph's ``recurrence``: a pattern and a range in the series' zone (the range has dates, not instants).

        recurrencePattern (learn.microsoft.com/graph/api/resources/recurrencepattern): ``daily`` and
        ``weekly`` (daysOfWeek, firstDayOfWeek), ``absoluteMonthly`` (dayOfMonth), ``relativeMonthly``
        (daysOfWeek + index), ``absoluteYearly`` (month + dayOfMonth), ``relativeYearly`` (month +
        daysOfWeek + index); ``interval`` counts days, weeks, months or years. Skipped dates are not part
        of it (the client deletes those occurrences).
        """
        rule = self.anchored(start, time_zone)
        local = in_zone(start, time_zone)
        pattern = {"type": rule.freq, "interval": rule.interval}
        if rule.freq == "weekly":
            pattern.update(daysOfWeek=[GRAPH_DAYS[WEEKDAYS.index(d)] for d in rule.days], firstDayOfWeek="monday")
        elif rule.freq in ("monthly", "yearly"):
            kind = "relative" if rule.position else "absolute"
            pattern["type"] = kind + rule.freq.capitalize()
            if rule.position:
                pattern.update(daysOfWeek=[GRAPH_DAYS[WEEKDAYS.index(rule.days[0])]],
                               index=GRAPH_INDEX[rule.position])
            else:
                pattern["dayOfMonth"] = rule.month_day
            if rule.month:
                pattern["month"] = rule.month
        span = {"startDate": local.date().isoformat(), "recurrenceTimeZone": time_zone}
        if rule.until is not None:
            # Graph ends on a date: the last day whose occurrence starts no later than ``until``
            last = in_zone(rule.until, time_zone)
            if last.time() < local.time():
                last -= timedelta(days=1)
            span.update(type="endDate", endDate=max(last.date(), local.date()).isoformat())
        elif rule.count:
            span.update(type="numbered", numberOfOccurrences=rule.count)
        else:
            span.update(type="noEnd")
        return {"pattern": pattern, "range": span}

    @classmethod
    def from_rrule(cls, text: str) -> Recurrence:
        """Read back a rule written by ``rrule()`` or ``lines()`` (lines joined by newlines); ``Unrepresentable``
        for anything else."""
        rule, exdates = None, []
        for line in text.split():
            if line.startswith("EXDATE:"):
                exdates += [datetime.strptime(v, STAMP).replace(tzinfo=timezone.utc)
                            for v in line.removeprefix("EXDATE:").split(",")]
            elif line.startswith("RRULE:") and rule is None:
                rule = line
            else:
                raise Unrepresentable(f"unsupported rule {text!r}")
        if rule is None:
            raise Unrepresentable(f"unsupported rule {text!r}")
        parts = dict(p.split("=", 1) for p in rule.removeprefix("RRULE:").split(";") if "=" in p)
        if set(parts) - {"FREQ", "INTERVAL", "UNTIL", "COUNT", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"} \
                or parts.get("WKST", "MO") != "MO":
            raise Unrepresentable(f"unsupported rule {text!r}")
        until = datetime.strptime(parts["UNTIL"], STAMP).replace(tzinfo=timezone.utc) if "UNTIL" in parts else None
        days, positions = [], set()
        try:
            for item in filter(None, parts.get("BYDAY", "").split(",")):
                days.append(item[-2:])
                positions.add(int(item[:-2]) if item[:-2] else None)
            if len(positions) > 1:
                raise Unrepresentable(f"unsupported rule {text!r}")
            return cls(parts.get("FREQ", "").lower(), int(parts.get("INTERVAL", 1)), until=until,
                       count=int(parts["COUNT"]) if "COUNT" in parts else None, days=tuple(days),
                       position=positions.pop() if positions else None,
                       month_day=int(parts["BYMONTHDAY"]) if "BYMONTHDAY" in parts else None,
                       month=int(parts["BYMONTH"]) if "BYMONTH" in parts else None, exdates=tuple(exdates))
        except ValueError as exc:
            raise Unrepresentable(f"unsupported rule {text!r}") from exc
