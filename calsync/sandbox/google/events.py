"""The events resource: insert, get, patch, update, delete, and the store every change goes through.

Calendar API reference (developers.google.com/calendar/api/v3/reference/events):
client-supplied ids are base32hex, 5 to 1024 characters, and stay taken after
deletion (409 ``duplicate``); If-Match with a stale etag is 412 ``conditionNotMet``;
deleting a deleted event is 410 ``deleted``.
"""

from __future__ import annotations

import re
import secrets

from .errors import ApiError
from .times import _now, _rfc3339

CLIENT_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")


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
        if not isinstance(body, dict):
            raise ApiError(400, "parseError", "Parse Error")
        for side in ("start", "end"):
            if side in body and not isinstance(body[side], dict):
                raise ApiError(400, "invalid", f"Invalid {side}")

    def _insert(self, cal, body):
        self._check_event_body(body)
        if "start" not in body or "end" not in body:
            raise ApiError(400, "required", "Missing start or end time.")
        event_id = body.get("id") or secrets.token_hex(13)
        if not CLIENT_ID_RE.match(event_id):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        with self.lock:
            if event_id in cal.events:
                raise ApiError(409, "duplicate", "The requested identifier already exists.")
            event = {k: v for k, v in body.items() if k not in ("etag", "kind", "updated", "created", "sequence")}
            event["id"] = event_id
            event.setdefault("status", "confirmed")
            return self._store(cal, event, created=True)

    def _check_if_match(self, event, headers):
        expected = headers.get("If-Match")
        if expected and expected != event["etag"]:
            raise ApiError(412, "conditionNotMet", "Precondition Failed")

    def _patch(self, cal, event_id, body, headers, replace_all=False):
        self._check_event_body(body)
        with self.lock:
            event = self._get(cal, event_id)
            if event_id not in cal.events:  # editing one occurrence creates an exception; the series is untouched
                event = dict(event, sequence=0)
                cal.events[event_id] = event
            self._check_if_match(event, headers)
            if replace_all:
                updated = {k: v for k, v in body.items() if k not in ("etag", "kind", "updated", "sequence")}
                updated.update(id=event_id, created=event.get("created"), iCalUID=event.get("iCalUID"),
                               sequence=event.get("sequence", 0))
                updated.setdefault("status", "confirmed")
            else:
                updated = dict(event)
                for key, value in body.items():
                    if key not in ("id", "etag", "kind", "updated"):
                        updated[key] = value
            return self._store(cal, updated)

    def _delete(self, cal, event_id, headers):
        with self.lock:
            event = self._get(cal, event_id)
            if event_id not in cal.events:
                cal.events[event_id] = event = dict(event)
            if event["status"] == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            self._check_if_match(event, headers)
            self._store(cal, dict(event, status="cancelled"))
