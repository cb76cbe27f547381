"""freebusy.query: the busy periods of up to 50 calendars, computed from the stored events.

Calendar v3 discovery document (``calendar.freebusy.query``, POST ``freeBusy``; schemas
FreeBusyRequest, FreeBusyResponse, FreeBusyCalendar, TimePeriod, Error) and the reference page
developers.google.com/calendar/api/v3/reference/freebusy/query. The answer has busy periods only,
no status and no event details, and errors per calendar.
"""

from __future__ import annotations

from datetime import timedelta

from .discovery import document, rfc3339
from .errors import ApiError
from .times import _when, render, zone

# FreeBusyRequest.calendarExpansionMax: "Maximal number of calendars for which FreeBusy information is to
# be provided. Optional. Maximum value is 50."; Error.reason "tooManyCalendarsRequested - The number of
# calendars requested is too large for a single query."
MAX_CALENDARS = 50


def method_scopes() -> set[str]:
    """The scopes freebusy.query accepts, as the discovery document lists them (calendar, calendar.readonly,
    calendar.freebusy, calendar.events.freebusy): calendar.events alone is not among them."""
    return set(document()["resources"]["freebusy"]["methods"]["query"]["scopes"])


def _required_time(body, name):
    if not body.get(name):
        raise ApiError(400, "required", f"Missing {name}.")
    try:
        return rfc3339(body[name])
    except ValueError:
        raise ApiError(400, "invalid", f"Invalid value for {name}: {body[name]}") from None


def _merged(spans):
    """Periods that overlap or touch, merged. The docs only say "time ranges during which this calendar should
    be regarded as busy"; the real API answers one period for overlapping events (reported by users of
    freeBusy), which is why clients cannot tell events apart in it."""
    out = []
    for low, high in sorted(spans):
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


class FreeBusyMixin:
    """freebusy.query (mixed into GoogleEmulator)."""

    def _freebusy(self, account, headers, query, body):
        granted = set(self._scopes(headers, query).split())
        if not granted & method_scopes():
            # Handle API errors: 403 insufficientPermissions, "Request had insufficient authentication scopes."
            raise ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.")
        body = body if isinstance(body, dict) else {}
        low, high = _required_time(body, "timeMin"), _required_time(body, "timeMax")
        if high <= low:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        # FreeBusyRequest.timeZone: "Time zone used in the response. Optional. The default is UTC."
        zone_name = body.get("timeZone") or "UTC"
        zone(zone_name)  # an unknown zone is 400 invalid
        items = body.get("items") or []
        if len(items) > MAX_CALENDARS:
            raise ApiError(400, "tooManyCalendarsRequested",
                           "The number of calendars requested is too large for a single query.")
        calendars = {}
        for item in items:
            calendar_id = (item or {}).get("id") if isinstance(item, dict) else None
            if not calendar_id:
                raise ApiError(400, "required", "Missing calendar id.")
            calendars[calendar_id] = self._busy_of(account, calendar_id, low, high, zone_name)
        return 200, {"kind": "calendar#freeBusy", "timeMin": render(low, "UTC"), "timeMax": render(high, "UTC"),
                     "calendars": calendars}, {}

    def _busy_of(self, account, calendar_id, low, high, zone_name):
        """One FreeBusyCalendar: its busy periods, or ``errors`` (Error.reason "notFound - The requested
        resource was not found.") for a calendar the sandbox does not know; the query still answers.

        Any known calendar answers, whoever asks: the sandbox shares every calendar's free/busy, as Workspace domains
        commonly do inside the domain; an unshared calendar of the real API answers notFound too."""
        cid = account if calendar_id == "primary" else calendar_id
        with self.lock:
            cal = self.calendars.get(cid)
            if cal is None and cid not in self.accounts:
                return {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            spans = []
            for event in list(cal.events.values()) if cal else []:
                if event.get("recurringEventId") and not event.get("recurrence"):
                    continue  # exceptions come with their series' occurrences
                occurrences = self._instances(cal, event) if event.get("recurrence") else [event]
                for occurrence in occurrences:
                    # Event.status "cancelled": the event is deleted; Event.transparency: "opaque" - "the event
                    # does block time on the calendar" (the default), "transparent" - it does not
                    if occurrence.get("status") == "cancelled" or occurrence.get("transparency") == "transparent":
                        continue
                    start, end = _when(occurrence["start"]), _when(occurrence["end"])
                    if end > low and start < high:
                        # TimePeriod start is inclusive, end exclusive; the periods lie within timeMin..timeMax
                        spans.append((max(start, low), min(end, high)))
        return {"busy": [{"start": render(s, zone_name), "end": render(e, zone_name)}
                         for s, e in _merged(spans) if e - s > timedelta(0)]}
