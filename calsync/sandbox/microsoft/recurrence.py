"""Recurring events: a series master's occurrences, ``/events/{id}/instances``, occurrences by id.

Occurrence ids are the sandbox's own (``<series id>_<YYYYMMDDHHMM>``): Graph's are
opaque, and clients must not read them.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import urllib.parse
from datetime import date, datetime, time, timezone

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule
from dateutil.rrule import weekdays as WEEKDAYS

from .errors import GraphError
from .present import page_size, present
from .times import _iso, _parse_graph_time, named_zone

# Graph recurrence -> dateutil.rrule. recurrencePattern / recurrenceRange resource types
# (learn.microsoft.com/graph/api/resources/recurrencepattern, .../recurrencerange): pattern types daily,
# weekly, absoluteMonthly, relativeMonthly, absoluteYearly, relativeYearly; index first..fourth, last;
# the range starts on startDate (an occurrence only where the pattern falls) and ends on endDate
# (inclusive), after numberOfOccurrences, or never. Times repeat on the wall clock of the
# recurrenceTimeZone (the series' zone), across daylight-saving changes.
PATTERN_TYPES = ("daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
NO_END_YEARS = 5  # a series without end is expanded this far ahead (docs silent: the sandbox's horizon)
MAX_OCCURRENCES = 1000


def _day_of_month(day):
    """Outlook's absoluteMonthly / absoluteYearly on day 29-31 falls on a shorter month's last day (EWS
    AbsoluteMonthlyRecurrence, DayOfMonth: "If for a particular month this value is larger than the number of
    days in the month, the last day of the month is assumed"), where RFC 5545's BYMONTHDAY skips the month:
    the latest of days 28..day that the month has."""
    return {"bymonthday": tuple(range(min(day, 28), day + 1)), "bysetpos": -1} if day > 28 else \
        {"bymonthday": day}


def rule_of(pattern):
    """The dateutil rule keywords of a Graph pattern; GraphError 400 for a pattern Graph refuses."""
    kind = pattern.get("type")
    if kind not in PATTERN_TYPES:
        raise GraphError(400, "ErrorInvalidRecurrencePattern", f"Unknown recurrence pattern type {kind!r}.")
    interval = int(pattern.get("interval") or 0)
    if interval < 1:
        raise GraphError(400, "ErrorInvalidRecurrencePattern", "The recurrence interval must be at least 1.")
    days = [d.lower() for d in pattern.get("daysOfWeek") or []]
    if any(d not in DAYS for d in days):
        raise GraphError(400, "ErrorInvalidRecurrencePattern", "Unknown day of the week.")
    weekdays = tuple(WEEKDAYS[DAYS.index(d)] for d in days)
    keywords = {"interval": interval, "wkst": WEEKDAYS[DAYS.index((pattern.get("firstDayOfWeek") or "sunday")
                                                                  .lower())]}
    if kind == "daily":
        return DAILY, keywords
    if kind == "weekly":
        if not weekdays:
            raise GraphError(400, "ErrorInvalidRecurrencePattern", "A weekly pattern needs daysOfWeek.")
        return WEEKLY, dict(keywords, byweekday=weekdays)
    yearly = kind.endswith("Yearly")
    if yearly:
        month = int(pattern.get("month") or 0)
        if not 1 <= month <= 12:
            raise GraphError(400, "ErrorInvalidRecurrencePattern", "A yearly pattern needs a month (1-12).")
        keywords["bymonth"] = month
    if kind.startswith("absolute"):
        day = int(pattern.get("dayOfMonth") or 0)
        if not 1 <= day <= 31:
            raise GraphError(400, "ErrorInvalidRecurrencePattern", "An absolute pattern needs dayOfMonth (1-31).")
        return (YEARLY if yearly else MONTHLY), dict(keywords, **_day_of_month(day))
    if not weekdays:
        raise GraphError(400, "ErrorInvalidRecurrencePattern", "A relative pattern needs daysOfWeek.")
    index = INDEX.get((pattern.get("index") or "first").lower())
    if index is None:
        raise GraphError(400, "ErrorInvalidRecurrencePattern", "Unknown recurrence index.")
    return (YEARLY if yearly else MONTHLY), dict(keywords, byweekday=weekdays, bysetpos=index)


def _occurrences(master):
    """A series master's occurrences, expanded with dateutil's rrule from Graph's pattern and range."""
    rec = master.get("recurrence") or {}
    pattern, span = rec.get("pattern") or {}, rec.get("range") or {}
    start, end = _parse_graph_time(master["start"]), _parse_graph_time(master["end"])
    zone_name = span.get("recurrenceTimeZone") or (master.get("start") or {}).get("timeZone") or "UTC"
    tz = named_zone(zone_name) or timezone.utc
    local = start.astimezone(tz)
    try:
        first_day = date.fromisoformat(span["startDate"]) if span.get("startDate") else local.date()
        dtstart = datetime.combine(first_day, local.time().replace(tzinfo=None))
        freq, keywords = rule_of(pattern)
        kind = span.get("type") or "noEnd"
        if kind == "numbered":
            count = int(span.get("numberOfOccurrences") or 0)
            if count < 1:
                raise GraphError(400, "ErrorInvalidRecurrenceRange", "A numbered range needs numberOfOccurrences.")
            keywords["count"] = min(count, MAX_OCCURRENCES)
        elif kind == "endDate":
            keywords["until"] = datetime.combine(date.fromisoformat(span["endDate"]), time(23, 59, 59))
        elif kind == "noEnd":
            keywords["until"] = dtstart.replace(year=dtstart.year + NO_END_YEARS, day=min(dtstart.day, 28))
        else:
            raise GraphError(400, "ErrorInvalidRecurrenceRange", f"Unknown recurrence range type {kind!r}.")
    except (KeyError, ValueError, TypeError):
        raise GraphError(400, "ErrorInvalidRecurrenceRange", "The recurrence range is not valid.") from None
    duration = end - start
    shared = {k: v for k, v in master.items() if k not in ("recurrence", "id", "type")}
    out = []
    for wall_time in itertools.islice(rrule(freq, dtstart=dtstart, **keywords), MAX_OCCURRENCES):
        # the series repeats on the wall clock of its zone (a daylight-saving change keeps 08:00 at 08:00)
        moment = wall_time.replace(tzinfo=tz).astimezone(timezone.utc)
        out.append({**shared, "id": f"{master['id']}_{moment.strftime('%Y%m%d%H%M')}", "type": "occurrence",
                    "seriesMasterId": master["id"], "originalStart": _iso(moment) + "Z",
                    "start": {"dateTime": _iso(moment), "timeZone": "UTC"},
                    "end": {"dateTime": _iso(moment + duration), "timeZone": "UTC"}})
    return out


def _same(key, mine, series):
    """An exception kept the series' value of ``key`` (a body counts by its text, HTML or not)."""
    if key == "body" and isinstance(mine, dict) and isinstance(series, dict):
        def text(body):
            return " ".join(re.sub(r"<[^>]+>", " ", body.get("content") or "").split())

        return text(mine) == text(series)
    return mine == series


class RecurrenceMixin:
    """Series expansion and the instances endpoint (mixed into MicrosoftEmulator)."""

    def _instances(self, account, series_id, query, headers=None):
        """GET /events/{id}/instances: a series' occurrences and exceptions in the window, in full.

        List instances (learn.microsoft.com/graph/api/event-list-instances): startDateTime and endDateTime
        are required (400 without them); pages follow ``Prefer: odata.maxpagesize`` with an
        ``@odata.nextLink``; times come back in UTC unless ``Prefer: outlook.timezone`` names a zone.
        """
        if not query.get("startDateTime") or not query.get("endDateTime"):
            raise GraphError(400, "ErrorInvalidParameter",
                             "This request requires a time window specified by startDateTime and endDateTime.")
        start = datetime.fromisoformat(query["startDateTime"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(query["endDateTime"].replace("Z", "+00:00"))
        with self.lock:
            box = self.mailboxes.get(account, {})
            master = box.get(series_id)
            if not master or master.get("@deleted"):
                raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            if not master.get("recurrence"):
                raise GraphError(400, "ErrorInvalidRequest", "The event is not a series master.")
            items = [box.get(o["id"], o) for o in _occurrences(master)]
        items = [i for i in items if not i.get("@deleted") and _parse_graph_time(i["start"]) < end
                 and _parse_graph_time(i["end"]) > start]
        offset = int(json.loads(base64.urlsafe_b64decode(query["$skiptoken"].encode()))) \
            if query.get("$skiptoken") else 0
        size = page_size(headers, 10)  # Graph's default page of event lists is 10
        out = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
               "value": [present(i, account, headers, query) for i in items[offset:offset + size]]}
        if offset + size < len(items):
            token = base64.urlsafe_b64encode(json.dumps(offset + size).encode()).decode()
            out["@odata.nextLink"] = (f"{self.base_url}/v1.0/me/events/{series_id}/instances?"
                                      + urllib.parse.urlencode({"startDateTime": query["startDateTime"],
                                                                "endDateTime": query["endDateTime"],
                                                                "$skiptoken": token}))
        return out

    def _occurrence(self, account, event_id):
        master_id = event_id.rpartition("_")[0]
        master = self.mailboxes.get(account, {}).get(master_id)
        if not master or not master.get("recurrence"):
            return None
        return next((o for o in _occurrences(master) if o["id"] == event_id), None)
