"""Google's times on the wire: RFC 3339 instants, EventDateTime sides, names of zones.

EventDateTime (Calendar v3 discovery document): ``dateTime`` is RFC 3339 and "A time zone offset is
required unless a time zone is explicitly specified in timeZone"; ``timeZone`` is an IANA name;
``date`` is "yyyy-mm-dd" for an all-day event. The API answers ``dateTime`` with the offset of the
zone the event names (the events.list ``timeZone`` parameter: "Time zone used in the response. The
default is the time zone of the calendar"; the sandbox's calendars are in UTC).
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ApiError

UTC_NAMES = ("UTC", "Etc/UTC", "GMT", "Etc/GMT")


def _now():
    return datetime.now(timezone.utc)


def _rfc3339(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def zone(name):
    """The IANA zone ``name`` (UTC for none); 400 for a name the zone database does not know."""
    if not name or name in UTC_NAMES:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(400, "invalid", f"Invalid time zone definition: {name}") from None


def _when(side):
    """The instant a stored side stands for (an all-day side: 00:00 of its day, in its zone or UTC)."""
    if side.get("dateTime"):
        moment = datetime.fromisoformat(side["dateTime"].upper().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone(side.get("timeZone")))
        return moment.astimezone(timezone.utc)
    return datetime.combine(date.fromisoformat(side["date"]), time(0), zone(side.get("timeZone"))).astimezone(
        timezone.utc)


def render(moment, zone_name):
    """``dateTime`` as the API writes it: in the named zone with its offset, or UTC with ``Z``."""
    tz = zone(zone_name)
    if tz is timezone.utc:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(tz).isoformat(timespec="seconds")


def side(moment, zone_name, all_day=False):
    """A stored EventDateTime for ``moment``: a date for an all-day event, else dateTime (+ timeZone)."""
    if all_day:
        return {"date": moment.astimezone(zone(zone_name)).date().isoformat()}
    out = {"dateTime": render(moment, zone_name)}
    if zone_name:
        out["timeZone"] = zone_name
    return out
