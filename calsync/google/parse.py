"""Google event JSON <-> the engine's value objects, parsed once at the edge."""

from __future__ import annotations

import re
from datetime import date

from ..errors import InvalidEvent
from ..events import EventData, InvalidItem, RemoteEvent
from ..timeutil import all_day_bounds, in_zone, local_wall_time, parse_rfc3339, zone

IDENTITY_KEY = "fieldops_identity"
_NO_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$")


def _when(side: dict, event_zone: str | None, calendar_zone: str | None):
    if not isinstance(side, dict):
        raise InvalidEvent("the event has no start or end")
    if side.get("dateTime"):
        zone_name = side.get("timeZone") or event_zone or calendar_zone
        zone(zone_name)  # an unknown zone is an error, not UTC
        return _instant(side["dateTime"], side.get("timeZone") or event_zone), False
    if side.get("date"):
        try:
            return date.fromisoformat(side["date"]), True
        except ValueError:
            raise InvalidEvent(f"unreadable date {side['date']!r}") from None
    raise InvalidEvent("the event has no start or end")


def _instant(text: str, zone_name: str | None):
    """EventDateTime.dateTime: "A time zone offset is required unless a time zone is explicitly specified in
    timeZone" (Calendar v3 discovery document): a wall time without an offset is read in the zone it names."""
    if isinstance(text, str) and zone_name and _NO_OFFSET.match(text):
        return local_wall_time(text, zone_name)
    return parse_rfc3339(text)


def _original_start(original):
    """originalStartTime of an occurrence: a dateTime, or a date for an all-day series (its first instant)."""
    if not isinstance(original, dict):
        return None
    if original.get("dateTime"):
        return _instant(original["dateTime"], original.get("timeZone"))
    if original.get("date"):
        try:
            day = date.fromisoformat(original["date"])
        except ValueError:
            raise InvalidEvent(f"unreadable date {original['date']!r}") from None
        return all_day_bounds(day, day, original.get("timeZone"))[0]
    return None


def parse_event(item: dict, calendar_zone: str | None = "UTC") -> RemoteEvent:
    """One Google event; a cancelled one may carry nothing but its id and status."""
    event_id = item.get("id")
    if not event_id:
        raise InvalidEvent("an event without an id")
    identity = ((item.get("extendedProperties") or {}).get("private") or {}).get(IDENTITY_KEY)
    original_start = _original_start(item.get("originalStartTime"))
    common = {"id": event_id, "version": item.get("etag", ""), "identity": identity,
              "ical_uid": item.get("iCalUID"), "series_id": item.get("recurringEventId"),
              "original_start": original_start}
    if item.get("status") == "cancelled":
        if identity is None and "extendedProperties" not in item and not item.get("recurringEventId"):
            # a deleted event may come as its id only ("Deleted events are only guaranteed to have the id field
            # populated", Event.status): ours carry their identity as their id (client-supplied ids), so the
            # deletion still reaches a link that never learnt its event id; another id matches no link
            common["identity"] = event_id
        return RemoteEvent(deleted=True, **common)
    start_side, end_side = item.get("start"), item.get("end")
    event_zone = (start_side or {}).get("timeZone") if isinstance(start_side, dict) else None
    start, all_day = _when(start_side, event_zone, calendar_zone)
    end, _ = _when(end_side, event_zone, calendar_zone)
    if all_day:
        start, end = all_day_bounds(start, end, event_zone or calendar_zone)
    if end < start:
        raise InvalidEvent("the event ends before it starts", event_id=event_id)
    data = EventData(
        title=item.get("summary") or "", start=start, end=end, description=item.get("description") or "",
        location=item.get("location") or "",
        attendees=tuple(a.get("email", "") for a in item.get("attendees") or [] if a.get("email")),
        time_zone=event_zone or calendar_zone or "UTC", all_day=all_day,
    )
    return RemoteEvent(data=data, **common)


def parse_items(items: list, calendar_zone: str | None):
    """Events and unreadable items of a listing page; one bad event never fails the page."""
    events, invalid = [], []
    for item in items:
        try:
            events.append(parse_event(item, calendar_zone))
        except InvalidEvent as exc:
            invalid.append(InvalidItem(item.get("id") if isinstance(item, dict) else None, str(exc)))
    return events, invalid


def event_body(data: EventData, identity: str, invite_attendees: bool) -> dict:
    """The body we send: explicit zones, our identity in the private extended properties."""
    tz = data.time_zone or "UTC"
    body = {
        "summary": data.title,
        "description": data.description,
        "location": data.location,
        "start": {"dateTime": in_zone(data.start, tz).isoformat(), "timeZone": tz},
        "end": {"dateTime": in_zone(data.end, tz).isoformat(), "timeZone": tz},
        "extendedProperties": {"private": {IDENTITY_KEY: identity}},
        "status": "confirmed",
    }
    if invite_attendees:
        body["attendees"] = [{"email": email} for email in data.attendees]
    return body
