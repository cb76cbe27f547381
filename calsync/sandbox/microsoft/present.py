"""How Graph writes an event back: UTC times (or the preferred zone), server-maintained fields, ``$select``.

- event resource type (learn.microsoft.com/graph/api/resources/event): ``organizer``, ``isOrganizer``,
  ``responseStatus``, ``showAs``, ``isAllDay``, ``iCalUId`` are on every event the server returns;
  ``onlineMeeting`` carries the join details when ``isOnlineMeeting`` is true (null otherwise);
  ``createdDateTime`` / ``lastModifiedDateTime`` are ISO 8601 in UTC ("...Z").
- Get event (learn.microsoft.com/graph/api/event-get), "Prefer: outlook.timezone": start and end come back
  in UTC unless the request names a zone in that header; Graph writes seven fractional digits and no offset.
- OData $select (learn.microsoft.com/graph/query-parameters#select): only the selected properties (and
  the id and etag) are returned.
- recurrencePattern / recurrenceRange resource types: every property comes back, unset ones with their
  defaults (month 0, dayOfMonth 0, daysOfWeek [], firstDayOfWeek sunday, index first; endDate 0001-01-01,
  numberOfOccurrences 0).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from .times import _parse_graph_time, named_zone

_PREFER_ZONE = re.compile(r'outlook\.timezone\s*=\s*"([^"]+)"', re.IGNORECASE)
PATTERN_DEFAULTS = {"type": None, "interval": 1, "month": 0, "dayOfMonth": 0, "daysOfWeek": [],
                    "firstDayOfWeek": "sunday", "index": "first"}
RANGE_DEFAULTS = {"type": "noEnd", "startDate": None, "endDate": "0001-01-01", "recurrenceTimeZone": "UTC",
                  "numberOfOccurrences": 0}
NEVER = "0001-01-01T00:00:00Z"  # Graph's "not set" for responseStatus.time


def page_size(headers, default):
    """``Prefer: odata.maxpagesize=N`` (Paging Microsoft Graph data), or the endpoint's default."""
    match = re.search(r"odata\.maxpagesize\s*=\s*(\d+)", (headers or {}).get("Prefer", "") or "")
    return max(1, int(match.group(1))) if match else default


def preferred_zone(headers):
    """The zone a request asks for (``Prefer: outlook.timezone="..."``), or UTC."""
    match = _PREFER_ZONE.search((headers or {}).get("Prefer", "") or "")
    return match.group(1) if match and named_zone(match.group(1)) is not None else "UTC"


def wall(value, zone_name):
    """A dateTimeTimeZone in ``zone_name``: seven fractional digits, no offset (as Graph writes it)."""
    moment = _parse_graph_time(value).astimezone(named_zone(zone_name) or timezone.utc)
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.%f0"), "timeZone": zone_name}


def stamp(moment: datetime) -> str:
    """createdDateTime / lastModifiedDateTime: UTC, seven fractional digits, Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0") + "Z"


def full_event(event, account, zone="UTC"):
    """The event as Graph returns it in full."""
    out = {"@odata.etag": event.get("@odata.etag"), "id": event["id"], "subject": "",
           "body": {"contentType": "text", "content": ""}, "bodyPreview": "",
           "location": {"displayName": "", "locationType": "default", "uniqueIdType": "unknown"},
           "attendees": [], "categories": [], "importance": "normal", "sensitivity": "normal",
           "isAllDay": False, "isCancelled": False, "isOnlineMeeting": False, "onlineMeeting": None,
           "onlineMeetingProvider": "unknown", "showAs": "busy", "type": "singleInstance",
           "isReminderOn": True, "reminderMinutesBeforeStart": 15, "responseRequested": True,
           "seriesMasterId": None, "recurrence": None, "transactionId": None,
           "organizer": {"emailAddress": {"name": account.split("@")[0], "address": account}},
           "isOrganizer": True, "responseStatus": {"response": "organizer", "time": NEVER}}
    out.update({k: v for k, v in event.items() if not k.startswith("@") or k == "@odata.etag"})
    start_zone = (event.get("start") or {}).get("timeZone") or "UTC"
    out.setdefault("originalStartTimeZone", start_zone)
    out.setdefault("originalEndTimeZone", (event.get("end") or {}).get("timeZone") or start_zone)
    for side in ("start", "end"):
        if isinstance(event.get(side), dict):
            out[side] = wall(event[side], zone)
    body = out.get("body") or {}
    out["bodyPreview"] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.get("content") or "")).strip()[:255]
    if out.get("isOnlineMeeting"):
        out["onlineMeetingProvider"] = "teamsForBusiness"
        out["onlineMeeting"] = out.get("onlineMeeting") or {
            "joinUrl": f"https://teams.microsoft.com/l/meetup-join/sandbox-{event['id'][-16:]}"}
    if out.get("recurrence"):
        pattern = {**PATTERN_DEFAULTS, **(out["recurrence"].get("pattern") or {})}
        span = {**RANGE_DEFAULTS, **(out["recurrence"].get("range") or {})}
        out["recurrence"] = {"pattern": pattern, "range": span}
    return out


def stub(occurrence):
    """An occurrence as calendarView delta sends it: id, type, seriesMasterId, start, end, etag, nothing else
    (microsoft-graph-docs issues #7632 and #22197: not in the docs, seen by every client, relied on by
    Odoo 18's microsoft_calendar, which reads the rest from /instances)."""
    return {"@odata.type": "#microsoft.graph.event", "@odata.etag": occurrence.get("@odata.etag"),
            "id": occurrence["id"], "type": "occurrence", "seriesMasterId": occurrence["seriesMasterId"],
            "start": wall(occurrence["start"], "UTC"), "end": wall(occurrence["end"], "UTC")}


def select(event, query):
    """``$select=a,b``: only those properties (and id, etag)."""
    chosen = (query or {}).get("$select")
    if not chosen:
        return event
    names = {name.strip() for name in chosen.split(",") if name.strip()} | {"id", "@odata.etag"}
    return {k: v for k, v in event.items() if k in names}


def present(event, account, headers=None, query=None):
    """One event as a GET (or a write's answer) returns it."""
    return select(full_event(event, account, preferred_zone(headers)), query)
