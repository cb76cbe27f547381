"""Graph's ``dateTimeTimeZone`` values: parsed to UTC instants, written as Graph writes them.

dateTimeTimeZone resource type (learn.microsoft.com/graph/api/resources/datetimetimezone):
a ``dateTime`` without offset plus a ``timeZone`` name, which may be a Windows zone name or an IANA
one ("Pacific Standard Time", "America/Los_Angeles"); Graph writes seven fractional digits.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import GraphError

# the Windows names Outlook uses most, by their IANA zone (the CLDR windowsZones table); docs list many more
WINDOWS_ZONES = {
    "UTC": "UTC", "Coordinated Universal Time": "UTC", "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin", "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest", "Central European Standard Time": "Europe/Warsaw",
    "E. Europe Standard Time": "Europe/Chisinau", "FLE Standard Time": "Europe/Kiev",
    "Eastern Standard Time": "America/New_York", "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver", "Pacific Standard Time": "America/Los_Angeles",
    "India Standard Time": "Asia/Kolkata", "Tokyo Standard Time": "Asia/Tokyo",
    "AUS Eastern Standard Time": "Australia/Sydney",
}


def named_zone(name):
    """The zone a Graph ``timeZone`` names (IANA or Windows), or None when it names none we know."""
    if not name or name in ("UTC", "Etc/UTC", "tzone://Microsoft/Utc"):
        return timezone.utc
    name = WINDOWS_ZONES.get(name, name)
    if name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0")


def _parse_graph_time(value):
    if not isinstance(value, dict) or not value.get("dateTime"):
        raise GraphError(400, "ErrorInvalidRequest", "Missing dateTime.")
    try:
        moment = datetime.fromisoformat(value["dateTime"].rstrip("Z")[:26])
    except (TypeError, ValueError):
        raise GraphError(400, "ErrorInvalidRequest", "Cannot convert the literal to a dateTime.") from None
    if moment.tzinfo is None:
        zone = named_zone(value.get("timeZone") or "UTC")
        if zone is None:
            raise GraphError(400, "ErrorTimeZoneNotSupportedException", "Time zone not supported.")
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(timezone.utc)
