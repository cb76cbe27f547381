"""Graph's ``dateTimeTimeZone`` values: parsed to UTC instants, written as Graph writes them.

dateTimeTimeZone resource type (learn.microsoft.com/graph/api/resources/datetimetimezone):
a ``dateTime`` without offset plus a ``timeZone`` name; Graph writes seven fractional digits.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .errors import GraphError


def _iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0")


def _parse_graph_time(value):
    if not isinstance(value, dict) or not value.get("dateTime"):
        raise GraphError(400, "ErrorInvalidRequest", "Missing dateTime.")
    text = value["dateTime"].rstrip("Z")[:26]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        zone = value.get("timeZone") or "UTC"
        if zone not in ("UTC", "Etc/UTC"):
            from zoneinfo import ZoneInfo

            try:
                moment = moment.replace(tzinfo=ZoneInfo(zone))
            except Exception:
                raise GraphError(400, "ErrorTimeZoneNotSupportedException", "Time zone not supported.") from None
        else:
            moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
