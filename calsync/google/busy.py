"""freebusy.query bodies and answers: 50 calendars per query, busy periods as ``BusyBlock`` values.

Google answers busy periods only (no status, no event, merged when events overlap), with errors
per calendar (``calendars[id].errors``, e.g. notFound) beside the calendars that answered.
"""

from __future__ import annotations

from ..availability import BUSY, BusyBlock, CalendarBusy, normalize, own_of
from ..errors import InvalidEvent
from ..timeutil import parse_rfc3339, to_rfc3339

# FreeBusyRequest.calendarExpansionMax: "Maximum value is 50" (Calendar v3 discovery document)
MAX_CALENDARS = 50


def query_bodies(calendars, start, end, time_zone="UTC") -> list[dict]:
    """One freebusy.query body per 50 calendars."""
    return [{"timeMin": to_rfc3339(start), "timeMax": to_rfc3339(end), "timeZone": time_zone,
             "items": [{"id": c} for c in calendars[i:i + MAX_CALENDARS]]}
            for i in range(0, len(calendars), MAX_CALENDARS)]


def parse_answer(answer: dict, asked, start, end, own=()) -> dict[str, CalendarBusy]:
    """Each asked calendar's blocks, or its error reason; a calendar the answer leaves out is an error too."""
    out = {}
    listed = (answer or {}).get("calendars") or {}
    for calendar in asked:
        entry = listed.get(calendar)
        if not isinstance(entry, dict):
            out[calendar] = CalendarBusy(calendar, error="missing")
            continue
        errors = entry.get("errors") or []
        if errors:
            reasons = ", ".join(str(e.get("reason") or "error") for e in errors if isinstance(e, dict))
            out[calendar] = CalendarBusy(calendar, error=reasons or "error")
            continue
        try:
            blocks = [BusyBlock(parse_rfc3339(p["start"]), parse_rfc3339(p["end"]), BUSY)
                      for p in entry.get("busy") or [] if parse_rfc3339(p["end"]) > parse_rfc3339(p["start"])]
        except (InvalidEvent, KeyError, TypeError):
            out[calendar] = CalendarBusy(calendar, error="unreadable answer")
            continue
        out[calendar] = CalendarBusy(calendar, normalize(blocks, start, end, own_of(own, calendar)))
    return out
