"""The events resource: insert, get, patch, update, delete, and the store every change goes through.

Calendar API reference (developers.google.com/calendar/api/v3/reference/events):
client-supplied ids are base32hex, 5 to 1024 characters, and stay taken after
deletion (409 ``duplicate``); If-Match with a stale etag is 412 ``conditionNotMet``;
deleting a deleted event is 410 ``deleted``. Bodies are checked against the Event
schema of the Calendar v3 discovery document (``discovery.check_body``).
"""

from __future__ import annotations

import re
import secrets

from .discovery import check_body
from .errors import ApiError
from .recurrence import occurrence_starts
from .times import _now, _rfc3339, _when, render, zone

CLIENT_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
# Event.status: 'Possible values are: "confirmed" ... "tentative" ... "cancelled"'
STATUSES = ("confirmed", "tentative", "cancelled")
# server-maintained: what a body says of these is not taken (organizer: "Read-only, except when importing")
READ_ONLY = ("etag", "kind", "updated", "created", "creator", "organizer", "htmlLink", "hangoutLink",
             "recurringEventId")
_OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$", re.IGNORECASE)


def _without_nulls(value):
    """JSON null clears a field: it is not stored (Odoo sends ``"dateTime": null`` beside a date)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def _normal_side(name, value, recurring=False):
    """A start / end as the API keeps and answers it: dateTime in the zone it names, with its offset."""
    if not isinstance(value, dict) or not (value.get("dateTime") or value.get("date")):
        raise ApiError(400, "required", f"Missing {name} time.")
    if value.get("dateTime") and value.get("date"):
        raise ApiError(400, "invalid", f"Invalid {name} time: either a date or a dateTime.")
    zone_name = value.get("timeZone")
    try:
        zone(zone_name)
    except ApiError:  # as the API words it (reported in n8n-io/n8n#2995, phw198/OutlookGoogleCalendarSync#1525)
        raise ApiError(400, "invalid", f"Invalid time zone definition for {name} time.") from None
    if value.get("date"):
        return dict(value)
    text = value["dateTime"]
    if (not _OFFSET.search(text) or recurring) and not zone_name:
        # EventDateTime.dateTime: "A time zone offset is required unless a time zone is explicitly specified in
        # timeZone"; EventDateTime.timeZone: "For recurring events this field is required" (the API answers
        # 400 "Missing time zone definition for start time." even beside an offset: openclaw/gogcli#347)
        raise ApiError(400, "required", f"Missing time zone definition for {name} time.")
    try:
        moment = _when(value)
    except ValueError:
        raise ApiError(400, "invalid", f"Invalid {name} time.") from None
    return dict(value, dateTime=render(moment, zone_name))


def _conference(body, query, before):
    """conferenceDataVersion: "Version 0 assumes no conference data support and ignores conference data in the
    event's body. Version 1 enables ... creating new conferences using the createRequest field"; the answer
    says how the request went in createRequest.status.statusCode (ConferenceRequestStatus). Meet links are made
    at once here (status "success", with the entry points Odoo 18 reads)."""
    if str(query.get("conferenceDataVersion", "0")) != "1":
        body.pop("conferenceData", None)
        if before is not None and "conferenceData" in before:
            body["conferenceData"] = before["conferenceData"]
        return
    data = body.get("conferenceData")
    request = (data or {}).get("createRequest") if isinstance(data, dict) else None
    if not request or (before or {}).get("conferenceData", {}).get("createRequest", {}).get("requestId") == \
            request.get("requestId"):
        return  # "If an ID provided is the same as for the previous request, the request is ignored."
    code = "-".join(secrets.token_hex(2)[:n] for n in (3, 4, 3))
    key = request.get("conferenceSolutionKey") or {"type": "hangoutsMeet"}
    body["conferenceData"] = {
        "createRequest": {"requestId": request.get("requestId", ""), "conferenceSolutionKey": key,
                          "status": {"statusCode": "success"}},
        "entryPoints": [{"entryPointType": "video", "uri": f"https://meet.google.com/{code}",
                         "label": f"meet.google.com/{code}"}],
        "conferenceSolution": {"key": key, "name": "Google Meet"}, "conferenceId": code}


class EventsMixin:
    """Event storage and the events methods (mixed into GoogleEmulator)."""

    # -- storage ------------------------------------------------------------------------
    def _store(self, cal, event, created=False):
        with self.lock:
            seq = next(self.changes)
            now = _rfc3339(_now())
            event = dict(event)
            if created:
                event.setdefault("created", now)
                event.setdefault("iCalUID", f"{event['id']}@google.com")
                event["sequence"] = 0
                # every event has a creator and an organizer (Event.creator / Event.organizer, read-only) and the
                # user's reminders, the calendar's default ones unless the body chose (Event.reminders.useDefault)
                event.setdefault("creator", {"email": cal.owner, "self": True})
                event.setdefault("organizer", {"email": cal.owner, "self": True})
                event.setdefault("reminders", {"useDefault": True})
            else:
                event["sequence"] = int(event.get("sequence", 0)) + 1
            event["updated"] = now
            event["kind"] = "calendar#event"
            event["etag"] = f'"{seq}{secrets.randbelow(10**6):06d}"'
            cal.events[event["id"]] = event
            cal.seq[event["id"]] = seq
        self._notify(cal, "exists")
        return event

    def _get(self, cal, event_id):
        event = cal.events.get(event_id)
        if event is None:
            event = self._virtual_instance(cal, event_id)
        if event is None:
            raise ApiError(404, "notFound", "Not Found")
        return event

    def _check_event_body(self, body):
        """The body against the Event schema; JSON numbers in string fields become their text."""
        if not isinstance(body, dict):
            raise ApiError(400, "parseError", "Parse Error")
        body = check_body("Event", body)
        if "status" in body and body["status"] is not None and body["status"] not in STATUSES:
            raise ApiError(400, "invalid", "Invalid value for: status")
        return body

    def _checked_event(self, event):
        """A whole event, after an insert or the merge of a patch: its times and its rules hold together."""
        for name in ("start", "end"):
            event[name] = _normal_side(name, event.get(name), bool(event.get("recurrence")))
        if bool(event["start"].get("date")) != bool(event["end"].get("date")):
            # the API's answer to a date beside a dateTime (reported in phw198/OutlookGoogleCalendarSync#609)
            raise ApiError(400, "invalid", "Start and end times must either both be date or both be dateTime.")
        if _when(event["end"]) < _when(event["start"]):
            # an end before the start: 400 timeRangeEmpty "The specified time range is empty." on events.insert
            # (reported in derekantrican/GAS-ICS-Sync#238, kewisch/gdata-provider#12); the docs are silent
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
        if event.get("recurrence"):
            occurrence_starts(event["recurrence"], event["start"])  # 400 for a rule RFC 5545 cannot read
        return event

    def _insert(self, cal, body, query=None):
        body = self._check_event_body(body)
        if "start" not in body or "end" not in body:
            raise ApiError(400, "required", "Missing start or end time.")
        event_id = body.get("id") or secrets.token_hex(13)
        if not CLIENT_ID_RE.match(event_id):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        with self.lock:
            if event_id in cal.events:
                raise ApiError(409, "duplicate", "The requested identifier already exists.")
            event = _without_nulls({k: v for k, v in body.items() if k not in (*READ_ONLY, "sequence")})
            _conference(event, query or {}, None)
            event["id"] = event_id
            event.setdefault("status", "confirmed")
            return self._store(cal, self._checked_event(event), created=True)

    def _check_if_match(self, event, headers):
        expected = headers.get("If-Match")
        if expected and expected != event["etag"]:
            raise ApiError(412, "conditionNotMet", "Precondition Failed")

    def _patch(self, cal, event_id, body, headers, replace_all=False, query=None):
        body = self._check_event_body(body)
        with self.lock:
            event = self._get(cal, event_id)
            self._check_if_match(event, headers)
            if replace_all:
                updated = {k: v for k, v in body.items() if k not in (*READ_ONLY, "sequence", "id")}
                updated.update({k: event[k] for k in ("id", "created", "iCalUID", "sequence", "creator",
                                                      "organizer", "recurringEventId", "originalStartTime")
                                if k in event})
                updated.setdefault("status", "confirmed")
                updated.setdefault("reminders", {"useDefault": True})
            else:
                updated = dict(event)
                for key, value in body.items():
                    if key in (*READ_ONLY, "id"):
                        continue
                    if value is None:
                        updated.pop(key, None)  # JSON null clears a field
                    else:
                        updated[key] = value
            if event_id not in cal.events:  # editing one occurrence creates an exception; the series is untouched
                updated["sequence"] = 0
            updated = _without_nulls(updated)
            _conference(updated, query or {}, event)
            return self._store(cal, self._checked_event(updated))

    def _delete(self, cal, event_id, headers):
        with self.lock:
            event = self._get(cal, event_id)
            if event_id not in cal.events:
                cal.events[event_id] = event = dict(event)
            if event["status"] == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            self._check_if_match(event, headers)
            self._store(cal, dict(event, status="cancelled"))
