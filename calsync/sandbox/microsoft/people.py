"""What a person does in Outlook's own UI, for tests: create, edit, delete, series; the demo seed.

Not an API: these are the control actions ``person_*`` (see kernel/control.py).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from .. import demo
from .recurrence import _occurrences, _same
from .times import _iso


class PeopleMixin:
    """The person_* control actions and the demo seed (mixed into MicrosoftEmulator)."""

    def seed_demo(self):
        self.accounts.add(demo.MICROSOFT_ACCOUNT)  # the sandbox's own provisioning, like an admin's
        for item in demo.demo_events("microsoft"):
            if item["id"] in self.mailboxes.get(demo.MICROSOFT_ACCOUNT, {}):
                continue
            self._save_event(demo.MICROSOFT_ACCOUNT, {
                "id": item["id"], "subject": item["title"],
                "body": {"contentType": "text", "content": item["description"]},
                "start": {"dateTime": item["start"].rstrip("Z"), "timeZone": "UTC"},
                "end": {"dateTime": item["end"].rstrip("Z"), "timeZone": "UTC"},
                "location": {"displayName": ""}, "transactionId": item["identity"],
            }, created=True)

    def person_create(self, account, fields, calendar_id=None):
        """A person creates an event (one calendar per mailbox in the sandbox: ``calendar_id`` is ignored)."""
        self.require_account(account)
        event = {"id": "AAMk" + secrets.token_urlsafe(24), "transactionId": None}
        event.update(self._person_fields(fields))
        return self._save_event(account, event, created=True)["id"]

    def person_create_series(self, account, fields, rrule):
        """A person creates a recurring event (``rrule`` like "FREQ=DAILY;COUNT=5"); returns the series id."""
        self.require_account(account)
        rule = dict(part.split("=", 1) for part in rrule.split(";"))
        start = fields["start"] if isinstance(fields["start"], datetime) else \
            datetime.fromisoformat(fields["start"].replace("Z", "+00:00"))
        recurrence = {"pattern": {"type": rule["FREQ"].lower(), "interval": int(rule.get("INTERVAL", 1))},
                      "range": {"type": "numbered", "numberOfOccurrences": int(rule["COUNT"]),
                                "startDate": start.strftime("%Y-%m-%d")}}
        if rule["FREQ"] == "WEEKLY":
            recurrence["pattern"]["daysOfWeek"] = [start.strftime("%A").lower()]
        event = {"id": "AAMk" + secrets.token_urlsafe(24), "transactionId": None, "type": "seriesMaster",
                 "recurrence": recurrence}
        event.update(self._person_fields(fields))
        return self._save_event(account, event, created=True)["id"]

    def person_edit(self, event_id, fields, account=None):
        """Edit an event, a whole series (its id), or one occurrence (which becomes an exception)."""
        account = account or self._owner(event_id)
        before = dict(self._person_target(account, event_id))
        event = dict(before)
        event.update(self._person_fields(fields))
        stored = self._save_event(account, event)
        if before.get("recurrence"):  # a series edit reaches its exceptions, for fields they did not change
            changed = {k: v for k, v in event.items()
                       if k not in ("start", "end", "recurrence") and not k.startswith("@") and before.get(k) != v
                       and k not in ("changeKey", "lastModifiedDateTime", "@odata.etag")}
            box = self.mailboxes[account]
            for exception_id in [i for i in list(box) if i.startswith(f"{event_id}_")]:
                exception = box[exception_id]
                inherited = {k: v for k, v in changed.items() if _same(k, exception.get(k), before.get(k))}
                if inherited and not exception.get("@deleted"):
                    self._save_event(account, dict(exception, **inherited))
        return stored

    def person_delete(self, event_id, account=None):
        """Delete an event, a whole series, or one occurrence."""
        account = account or self._owner(event_id)
        self._person_target(account, event_id)
        self._delete_event(account, event_id)

    def _person_target(self, account, event_id):
        box = self.mailboxes.setdefault(account, {})
        if event_id not in box:
            occurrence = self._occurrence(account, event_id)
            if occurrence is None:
                raise KeyError(event_id)
            box[event_id] = dict(occurrence, type="exception")
        return box[event_id]

    def occurrence_ids(self, series_id, account=None):
        account = account or self._owner(series_id)
        master = self.mailboxes[account][series_id]
        return [o["id"] for o in _occurrences(master)]

    def live_events(self, account):
        return [e for e in self.mailboxes.get(account, {}).values() if not e.get("@deleted")]

    def _person_fields(self, fields):
        out = {}
        for key, value in fields.items():
            if key in ("start", "end"):
                moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
                out[key] = {"dateTime": _iso(moment), "timeZone": "UTC"}
            elif key in ("title", "subject"):
                out["subject"] = value
            elif key == "description":
                out["body"] = {"contentType": "html", "content": f"<html><body><p>{value}</p></body></html>"}
            elif key == "location":
                out["location"] = {"displayName": value}
            elif key == "show_as":  # Outlook's "Show as": free, tentative, busy, oof, workingElsewhere
                out["showAs"] = value
            elif key == "all_day":  # (first day, day after the last), as a person ticks "all day"
                out["isAllDay"] = True
                out["start"] = {"dateTime": f"{value[0]}T00:00:00.0000000", "timeZone": "UTC"}
                out["end"] = {"dateTime": f"{value[1]}T00:00:00.0000000", "timeZone": "UTC"}
        return out

    def _owner(self, event_id):
        for account, box in self.mailboxes.items():
            if event_id in box or event_id.rpartition("_")[0] in box:  # an event, or an occurrence of a series
                return account
        raise KeyError(event_id)
