"""Time handling: UTC inside, explicit zones on the wire, exact instants across DST changes."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidEvent

UTC = timezone.utc


def zone(name: str | None) -> ZoneInfo | timezone:
    """The IANA zone ``name``; ``InvalidEvent`` for an unknown one (never a silent UTC)."""
    if not name or name in ("UTC", "Etc/UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidEvent(f"unknown time zone {name!r}") from None


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: the zone must be explicit")
    return value.astimezone(UTC)


def to_rfc3339(value: datetime) -> str:
    """An instant as RFC 3339 in UTC (``2026-12-01T09:00:00Z``)."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 timestamp with an explicit offset or ``Z``; ``InvalidEvent`` otherwise."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise InvalidEvent(f"unreadable time {text!r}") from None
    if value.tzinfo is None:
        raise InvalidEvent(f"time without a zone {text!r}")
    return value.astimezone(UTC)


def local_wall_time(wall: str, zone_name: str | None) -> datetime:
    """A zone-less wall-clock time (Graph's ``dateTime`` + ``timeZone``) read in its zone.

    Rule for zone-less times: they are read in the zone the event names, or the
    calendar's zone when it names none. A wall time that does not exist (spring
    forward) is read with the offset before the change (``fold=0``).
    """
    try:
        naive = datetime.fromisoformat(wall[:26].rstrip("Z"))
    except ValueError:
        raise InvalidEvent(f"unreadable time {wall!r}") from None
    return naive.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def all_day_bounds(start: date, end: date, zone_name: str | None) -> tuple[datetime, datetime]:
    """Rule for all-day events: from 00:00 of the first day to 00:00 after the last, in the calendar's zone."""
    tz = zone(zone_name)
    return (datetime.combine(start, time(0), tz).astimezone(UTC),
            datetime.combine(end, time(0), tz).astimezone(UTC))


def in_zone(value: datetime, zone_name: str | None) -> datetime:
    return to_utc(value).astimezone(zone(zone_name))


__all__ = ["UTC", "all_day_bounds", "in_zone", "local_wall_time", "parse_rfc3339", "to_rfc3339",
           "to_utc", "zone"]
