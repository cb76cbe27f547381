"""Recurring events: RFC 5545 expansion with python-dateutil, the instances of a series, occurrences by id.

Event.recurrence: "List of RRULE, EXRULE, RDATE and EXDATE lines for a recurring event, as specified in
RFC5545" (Calendar v3 discovery document); EventDateTime.timeZone: "For recurring events this field ...
specifies the time zone in which the recurrence is expanded". The rules are expanded by dateutil's rrule
(RFC 5545 section 3.3.10: a month or year lacking the named day is skipped - BYMONTHDAY=31, 29 February -
and the wall time holds across DST changes), never by an expander of our own: FREQ DAILY / WEEKLY /
MONTHLY / YEARLY with INTERVAL, BYDAY (weekdays, or with an ordinal as in 2TU or -1FR for the nth / last
weekday of the month or, with BYMONTH, of that month), BYMONTHDAY, BYMONTH, COUNT / UNTIL, and EXDATE
lines removing single occurrences (RFC 5545 section 3.8.5.1, through the Event.recurrence field quoted above;
creating a series: developers.google.com/calendar/api/guides/recurringevents).

Instance ids are ``<series id>_<start as YYYYMMDDTHHMMSSZ>`` for timed occurrences and
``<series id>_<YYYYMMDD>`` for all-day ones, the forms the Calendar API uses (events.instances).
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timezone

from dateutil.rrule import rruleset, rrulestr

from .errors import ApiError
from .times import _when, side, zone

MAX_INSTANCES = 366  # occurrences listed of an endless series: the sandbox's choice (the docs name no limit)


def _bad_rule():
    return ApiError(400, "invalid", "Invalid recurrence rule.")


def _wall(text, tzid, tz, at):
    """An RFC 5545 DATE or DATE-TIME value as a wall time (naive) of the series' zone ``tz``."""
    text = text.strip()
    try:
        if len(text) == 8:  # a DATE: that day, at the series' time of day
            return datetime.combine(datetime.strptime(text, "%Y%m%d").date(), at)
        moment = datetime.strptime(text[:15], "%Y%m%dT%H%M%S")
    except ValueError:
        raise _bad_rule() from None
    if text.upper().endswith("Z"):
        return moment.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None)
    if tzid:
        return moment.replace(tzinfo=zone(tzid)).astimezone(tz).replace(tzinfo=None)
    return moment


def _rule(text, first, tz):
    """An RRULE / EXRULE value for dateutil, its UNTIL turned into a wall time of the series' zone."""
    parts = []
    for part in text.split(";"):
        key, _, value = part.partition("=")
        if key.upper() == "UNTIL":
            value = _wall(value, None, tz, time(23, 59, 59)).strftime("%Y%m%dT%H%M%S")
        parts.append(f"{key}={value}")
    try:
        return rrulestr(";".join(parts), dtstart=first)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise _bad_rule() from None


def occurrence_starts(recurrence, start_side):
    """The aware starts of a series' occurrences, first first (``[]`` without an RRULE or RDATE); 400 if unreadable."""
    all_day = bool(start_side.get("date")) and not start_side.get("dateTime")
    tz = zone(start_side.get("timeZone"))
    if all_day:
        first = datetime.combine(date.fromisoformat(start_side["date"]), time(0))
    else:
        first = _when(start_side).astimezone(tz).replace(tzinfo=None)
    rules, found = rruleset(), False
    for line in recurrence or []:
        if not isinstance(line, str) or ":" not in line:
            raise _bad_rule()
        name, _, value = line.partition(":")
        kind, *params = name.split(";")
        options = dict(p.split("=", 1) for p in params if "=" in p)
        kind = kind.upper()
        if kind in ("RRULE", "EXRULE"):
            (rules.rrule if kind == "RRULE" else rules.exrule)(_rule(value, first, tz))
            found = found or kind == "RRULE"
        elif kind in ("RDATE", "EXDATE"):
            for item in value.split(","):
                (rules.rdate if kind == "RDATE" else rules.exdate)(_wall(item, options.get("TZID"), tz,
                                                                         first.time()))
            found = found or kind == "RDATE"
        else:  # DTSTART / DTEND are not allowed in this field (Event.recurrence)
            raise _bad_rule()
    if not found:
        return []
    try:
        walls = list(itertools.islice(rules, MAX_INSTANCES))
    except (ValueError, TypeError):
        raise _bad_rule() from None
    return [wall.replace(tzinfo=tz) for wall in walls]


def _instance_id(master_id, start, all_day):
    if all_day:
        return f"{master_id}_{start.strftime('%Y%m%d')}"
    return f"{master_id}_{start.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}"


def cancelled_occurrence(item):
    """A cancelled exception as a list shows it: "Cancelled exceptions are only guaranteed to have values
    for the id, recurringEventId and originalStartTime fields populated" (Event.status)."""
    return {"kind": "calendar#event", "id": item["id"], "status": "cancelled",
            "recurringEventId": item.get("recurringEventId"), "originalStartTime": item.get("originalStartTime")}


class RecurrenceMixin:
    """Expands series for the emulator (mixed into GoogleEmulator)."""

    def _instances(self, cal, master, cancelled_too=False):
        """The occurrences of a series as the API shows them with singleEvents=true (exceptions included).

        A deleted series has none, except in an incremental sync (``cancelled_too``), which
        reports each of its occurrences cancelled.
        """
        if not master.get("recurrence") or (master.get("status") == "cancelled" and not cancelled_too):
            return []
        start_side = master["start"]
        all_day = bool(start_side.get("date")) and not start_side.get("dateTime")
        zone_name = start_side.get("timeZone")
        length = _when(master["end"]) - _when(start_side)
        out = []
        for moment in occurrence_starts(master["recurrence"], start_side):
            instance_id = _instance_id(master["id"], moment, all_day)
            if instance_id in cal.events:  # an exception (edited or cancelled occurrence)
                exception = cal.events[instance_id]
                out.append(dict(exception, status="cancelled") if master.get("status") == "cancelled" else exception)
                continue
            original = side(moment, zone_name, all_day)
            out.append({**{k: v for k, v in master.items() if k not in ("recurrence", "id", "etag")},
                        "id": instance_id, "etag": master["etag"], "recurringEventId": master["id"],
                        "originalStartTime": original, "start": original,
                        "end": side(moment + length, master["end"].get("timeZone") or zone_name, all_day)})
        return out

    def _virtual_instance(self, cal, event_id):
        master_id, _, stamp = event_id.rpartition("_")
        master = cal.events.get(master_id)
        if not master or not stamp:
            return None
        return next((i for i in self._instances(cal, master) if i["id"] == event_id), None)
