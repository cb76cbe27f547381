"""Graph event JSON <-> the engine's value objects, parsed once at the edge."""

from __future__ import annotations

from datetime import date

from ..errors import InvalidEvent
from ..events import EventData, InvalidItem, RemoteEvent
from ..timeutil import all_day_bounds, in_zone, local_wall_time, parse_rfc3339


def _when(side, fallback_zone=None):
    if not isinstance(side, dict) or not side.get("dateTime"):
        raise InvalidEvent("the event has no start or end")
    return local_wall_time(side["dateTime"], side.get("timeZone") or fallback_zone or "UTC")


def _day(side) -> date:
    return date.fromisoformat(side["dateTime"][:10])


def _wall(value, tz: str) -> dict:
    """Graph's wall time and zone; a wall time the zone repeats (the fall-back hour) goes in UTC, one instant."""
    local = in_zone(value, tz)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        local, tz = in_zone(value, "UTC"), "UTC"
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": tz}


def _original_start(item: dict):
    """An occurrence's start as its series' rule gives it (Graph ``originalStart``, UTC)."""
    text = item.get("originalStart")
    if not text:
        return None
    try:
        return parse_rfc3339(text)
    except (ValueError, InvalidEvent):
        return None


def _version(item: dict) -> str:
    """The changeKey; a delta stub carries only ``@odata.etag`` (W/"<changeKey>"), the same token."""
    if item.get("changeKey"):
        return item["changeKey"]
    etag = item.get("@odata.etag") or ""
    if etag.startswith("W/"):
        etag = etag[2:]
    return etag.strip('"')


# EventData field <- the Graph property it is read from: a property missing from an answer is unknown
# (calendarView delta sends occurrences as stubs of id, type, seriesMasterId, start, end and etag:
# microsoft-graph-docs issues #7632 and #22197; a $select answer holds what was selected)
_READ_FROM = {"title": "subject", "description": "body", "location": "location"}


def parse_event(item: dict) -> RemoteEvent:
    event_id = item.get("id") if isinstance(item, dict) else None
    if not event_id:
        raise InvalidEvent("an event without an id")
    common = {"id": event_id, "version": _version(item), "identity": item.get("transactionId"),
              "ical_uid": item.get("iCalUId"), "series_id": item.get("seriesMasterId"),
              "original_start": _original_start(item),
              "unknown": frozenset(name for name, prop in _READ_FROM.items() if prop not in item)}
    if item.get("isCancelled"):
        return RemoteEvent(deleted=True, **common)
    start, end = _when(item.get("start")), _when(item.get("end"))
    zone = (item.get("originalStartTimeZone") or (item.get("start") or {}).get("timeZone") or "UTC")
    all_day = bool(item.get("isAllDay"))
    if all_day:  # the calendar days as Graph names them, in whatever zone it names them
        start, end = all_day_bounds(_day(item["start"]), _day(item["end"]), "UTC")
    if end < start:
        raise InvalidEvent("the event ends before it starts", event_id=event_id)
    body = item.get("body") or {}
    data = EventData(
        title=item.get("subject") or "", start=start, end=end, description=body.get("content") or "",
        location=(item.get("location") or {}).get("displayName") or "",
        attendees=tuple(a.get("emailAddress", {}).get("address", "") for a in item.get("attendees") or []
                        if a.get("emailAddress", {}).get("address")),
        time_zone=zone if "/" in zone else "UTC", all_day=all_day,
    )
    return RemoteEvent(data=data, **common)


def parse_items(items: list):
    """(live events, unreadable items, ids reported @removed) of one delta page."""
    events, invalid, removed = [], [], []
    for item in items:
        if isinstance(item, dict) and "@removed" in item and item.get("id"):
            removed.append(item["id"])
            continue
        try:
            events.append(parse_event(item))
        except InvalidEvent as exc:
            invalid.append(InvalidItem(item.get("id") if isinstance(item, dict) else None, str(exc)))
    return events, invalid, removed


def event_body(data: EventData, invite_attendees: bool) -> dict:
    """Graph wants wall-clock times with a named zone; we send the event's zone explicitly."""
    tz = data.time_zone or "UTC"
    body = {
        "subject": data.title,
        "body": {"contentType": "text", "content": data.description},
        "start": _wall(data.start, tz),
        "end": _wall(data.end, tz),
        "location": {"displayName": data.location},
    }
    if invite_attendees:
        body["attendees"] = [{"emailAddress": {"address": a}, "type": "required"} for a in data.attendees]
    return body
