"""What a person does in Google Calendar's own UI, for tests: create, edit, delete, series; the demo seed.

Not an API: these are the control actions ``person_*`` (see kernel/control.py),
changing events the way Google's UI would (an occurrence a person touches becomes
an exception; a series edit reaches exceptions for the fields they kept).
"""

from __future__ import annotations

import secrets

from .. import demo
from .times import _rfc3339


class PeopleMixin:
    """The person_* control actions and the demo seed (mixed into GoogleEmulator)."""

    def seed_demo(self):
        self.accounts.add(demo.GOOGLE_ACCOUNT)  # the sandbox's own provisioning, like an admin's
        cal = self._calendar(demo.GOOGLE_ACCOUNT, demo.GOOGLE_ACCOUNT, demo.GOOGLE_CALENDAR_NAME)
        for item in demo.demo_events("google"):
            if item["id"] in cal.events:
                continue
            self._store(cal, {
                "id": item["id"], "status": "confirmed", "summary": item["title"],
                "description": item["description"], "location": "",
                "start": {"dateTime": item["start"], "timeZone": "UTC"},
                "end": {"dateTime": item["end"], "timeZone": "UTC"},
                "extendedProperties": {"private": {"fieldops_identity": item["identity"]}},
            }, created=True)

    def person_create(self, account, fields, calendar_id=None):
        self.require_account(account)
        cal = self._calendar(calendar_id or account, account, account)
        event = {"id": secrets.token_hex(13), "status": "confirmed"}
        event.update(self._person_fields(fields))
        return self._store(cal, event, created=True)["id"]

    def person_create_series(self, account, fields, rrule):
        """A person creates a recurring event (``rrule`` like "FREQ=DAILY;COUNT=5"); returns the series id."""
        return self.person_create(account, dict(fields, recurrence=[f"RRULE:{rrule}"]))

    def person_edit(self, event_id, fields, account=None):
        """Edit an event, a whole series (its id), or one occurrence (which becomes an exception).

        A series edit reaches its exceptions too, for each field an exception did not change itself.
        """
        cal, event = self._find(event_id, account)
        before = dict(event)
        event = dict(event)
        event.update(self._person_fields(fields))
        stored = self._store(cal, event)
        if before.get("recurrence"):
            changed = {k: v for k, v in event.items() if k not in ("start", "end") and before.get(k) != v}
            prefix = f"{event_id}_"
            for exception_id in [i for i in list(cal.events) if i.startswith(prefix)]:
                exception = cal.events[exception_id]
                inherited = {k: v for k, v in changed.items() if exception.get(k) == before.get(k)}
                if inherited and exception.get("status") != "cancelled":
                    self._store(cal, dict(exception, **inherited))
        return stored

    def person_delete(self, event_id, account=None):
        """Delete an event, a whole series (its exceptions too), or one occurrence (a cancelled exception)."""
        cal, event = self._find(event_id, account)
        self._store(cal, dict(event, status="cancelled"))
        if event.get("recurrence"):
            for exception_id in [i for i in list(cal.events) if i.startswith(f"{event_id}_")]:
                if cal.events[exception_id].get("status") != "cancelled":
                    self._store(cal, dict(cal.events[exception_id], status="cancelled"))

    def occurrence_ids(self, series_id, account=None):
        cal, master = self._find(series_id, account)
        return [i["id"] for i in self._instances(cal, master)]

    def live_events(self, account):
        cal = self.calendars.get(account)
        return [e for e in (cal.events.values() if cal else []) if e["status"] != "cancelled"]

    def _person_fields(self, fields):
        out = {}
        for key, value in fields.items():
            if key in ("start", "end"):
                out[key] = {"dateTime": value if isinstance(value, str) else _rfc3339(value), "timeZone": "UTC"}
            elif key == "title":
                out["summary"] = value
            elif key in ("description", "location", "summary", "status", "recurrence", "transparency"):
                out[key] = value
            elif key == "all_day":  # (first day, day after the last), as a person picks "all day"
                out["start"], out["end"] = {"date": str(value[0])}, {"date": str(value[1])}
        return out

    def _find(self, event_id, account=None):
        with self.lock:
            for cal in self.calendars.values():
                if account is not None and cal.owner != account:
                    continue
                if event_id in cal.events:
                    return cal, cal.events[event_id]
                instance = self._virtual_instance(cal, event_id)
                if instance is not None:  # an occurrence a person touches becomes an exception
                    cal.events[event_id] = dict(instance, sequence=0)
                    return cal, cal.events[event_id]
        raise KeyError(event_id)
