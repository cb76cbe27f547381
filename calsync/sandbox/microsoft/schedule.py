"""calendar: getSchedule, the free/busy of mailboxes, computed from their stored events.

Written from learn.microsoft.com/graph/api/calendar-getschedule, the scheduleInformation,
scheduleItem and freeBusyError resource types, the free/busy guide
(learn.microsoft.com/graph/outlook-get-free-busy-schedule), and the limits Graph really enforces
as reported against those pages (microsoft-graph-docs #6450, #7047, PR #19703).
"""

from __future__ import annotations

from datetime import timedelta

from .errors import GraphError
from .present import preferred_zone, wall
from .recurrence import _occurrences
from .times import _parse_graph_time

# Permissions table: Calendars.ReadBasic (least privileged), Calendars.Read, Calendars.ReadWrite
SCHEDULE_PERMISSIONS = frozenset({"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"})
# PR #19703 corrected the docs from 42 to 62 days, quoting Graph's answer for 63: 400
# ErrorTimeIntervalTooBig "... The allowed limit = 62 days; the actual limit = 63 days."
MAX_WINDOW = timedelta(days=62)
# The guide says 20 entities at once; Graph refuses from 101 on: ErrorMailboxDataArrayTooBig "There are too
# many target users in the EmailAddress array. The allowed size = 100; the actual size = 101." (#7047)
MAX_SCHEDULES = 100
# availabilityViewInterval: "The default is 30 minutes, minimum is 5, maximum is 1440"; outside that Graph
# answers ErrorInvalidMergedFreeBusyInterval (#6450)
INTERVAL_DEFAULT, INTERVAL_MIN, INTERVAL_MAX = 30, 5, 1440
# availabilityView: "0= free or working elswhere, 1= tentative, 2= busy, 3= out of office" (scheduleInformation);
# unknown counts as free here (the sandbox's choice: the docs give it no digit)
VIEW_DIGITS = {"free": "0", "workingElsewhere": "0", "unknown": "0", "tentative": "1", "busy": "2", "oof": "3"}
VIEW_RANK = "0123"


def _interval(body):
    value = body.get("availabilityViewInterval", INTERVAL_DEFAULT)
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = 0
    if not INTERVAL_MIN <= value <= INTERVAL_MAX:
        raise GraphError(400, "ErrorInvalidMergedFreeBusyInterval", "The specified merged free/busy interval is "
                         "not valid. Specify an interval that is less than the free/busy time window and between "
                         "5 and 1440 minutes.")
    return value


class ScheduleMixin:
    """POST /me/calendar/getSchedule and /users/{id}/calendar/getSchedule (mixed into MicrosoftEmulator)."""

    def _get_schedule(self, account, headers, body):
        entry = self.oauth.access_entry(headers.get("Authorization", "")[7:]) or {}
        if not SCHEDULE_PERMISSIONS & set(entry.get("scopes") or ["Calendars.ReadWrite"]):
            raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        body = body if isinstance(body, dict) else {}
        schedules = body.get("schedules")
        if not isinstance(schedules, list) or not schedules or not all(isinstance(s, str) for s in schedules):
            raise GraphError(400, "ErrorInvalidParameter", "schedules must be a non-empty collection of addresses.")
        if len(schedules) > MAX_SCHEDULES:
            raise GraphError(400, "ErrorMailboxDataArrayTooBig", "There are too many target users in the "
                             f"EmailAddress array. The allowed size = {MAX_SCHEDULES}; the actual size = "
                             f"{len(schedules)}.")
        start, end = _parse_graph_time(body.get("startTime")), _parse_graph_time(body.get("endTime"))
        if end <= start:  # msgraph-sdk-dotnet #2349: ErrorInvalidTimeInterval
            raise GraphError(400, "ErrorInvalidTimeInterval",
                             "The time duration specified for FreeBusyViewOptions.TimeWindow is invalid.")
        if end - start > MAX_WINDOW:
            days = -(-(end - start) // timedelta(days=1))
            raise GraphError(400, "ErrorTimeIntervalTooBig", "The requested time duration specified for "
                             "FreeBusyViewOptions.TimeWindow is too long. The allowed limit = 62 days; the actual "
                             f"limit = {days} days.")
        interval = _interval(body)
        # Prefer: outlook.timezone: "the time zone for start and end times in the response. If not specified,
        # those time values are returned in UTC."
        zone_name = preferred_zone(headers)
        values = [self._schedule_of(address, start, end, interval, zone_name) for address in schedules]
        return 200, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection("
                     "microsoft.graph.scheduleInformation)", "value": values}, {}

    def _schedule_of(self, address, start, end, interval, zone_name):
        """One scheduleInformation: the items of the mailbox's default calendar in the window, or ``error``
        (freeBusyError: message, responseCode) for an address the sandbox has no mailbox for."""
        if address not in self.accounts:
            return {"scheduleId": address, "availabilityView": "", "scheduleItems": [],
                    "error": {"message": f"The address '{address}' could not be resolved to a mailbox.",
                              "responseCode": "ErrorMailRecipientNotFound"}}
        with self.lock:
            box = self.mailboxes.get(address, {})
            box = next((b for a, b in self.mailboxes.items() if a.lower() == address.lower()), box)
            events = []
            for event in list(box.values()):
                if event.get("@deleted") or event.get("seriesMasterId"):
                    continue
                expanded = [box.get(o["id"], o) for o in _occurrences(event)] if event.get("recurrence") else [event]
                events += [e for e in expanded if not e.get("@deleted") and not e.get("isCancelled")
                           and _parse_graph_time(e["start"]) < end and _parse_graph_time(e["end"]) > start]
        events.sort(key=lambda e: _parse_graph_time(e["start"]))
        # scheduleItem: isPrivate, status (showAs: free, tentative, busy, oof, workingElsewhere, unknown),
        # subject, location, start, end (dateTimeTimeZone). The items are the events as they are, not clipped.
        items = [{"isPrivate": e.get("sensitivity") == "private", "status": e.get("showAs") or "busy",
                  "subject": e.get("subject") or "", "location": (e.get("location") or {}).get("displayName", ""),
                  "start": wall(e["start"], zone_name), "end": wall(e["end"], zone_name)} for e in events]
        return {"scheduleId": address, "availabilityView": self._view(events, start, end, interval),
                "scheduleItems": items}

    @staticmethod
    def _view(events, start, end, interval):
        """availabilityView: one digit per ``interval`` minutes of the window, the strongest status there."""
        step, digits, cursor = timedelta(minutes=interval), [], start
        while cursor < end:
            high = min(cursor + step, end)
            here = [VIEW_DIGITS.get(e.get("showAs") or "busy", "0") for e in events
                    if _parse_graph_time(e["start"]) < high and _parse_graph_time(e["end"]) > cursor]
            digits.append(max(here, key=VIEW_RANK.index) if here else "0")
            cursor = high
        return "".join(digits)
