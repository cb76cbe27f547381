"""The event resource: create (``transactionId`` dedupe), get, patch, delete, the store, If-Match.

Graph event resource (learn.microsoft.com/graph/api/resources/event): ``changeKey``
and ``@odata.etag`` change on every edit; a create repeated with the same
``transactionId`` returns the first event; a stale If-Match is 412
``ErrorIrresolvableConflict``.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timezone

from .errors import GraphError
from .present import stamp
from .recurrence import _occurrences
from .times import _parse_graph_time


class EventsMixin:
    """Event storage and the event methods (mixed into MicrosoftEmulator)."""

    # -- storage -----------------------------------------------------------------------------
    def _save_event(self, account, event, created=False):
        with self.lock:
            box = self.mailboxes.setdefault(account, {})
            seq = next(self.seq)
            # event resource type: createdDateTime / lastModifiedDateTime are DateTimeOffset, "always in UTC
            # time", written with Z (2014-01-01T00:00:00Z)
            now = stamp(datetime.now(timezone.utc))
            event = dict(event)
            change_key = base64.b64encode(secrets.token_bytes(12)).decode()
            if created:
                event.setdefault("createdDateTime", now)
                # the zones the event was made in (originalStartTimeZone / originalEndTimeZone)
                event.setdefault("originalStartTimeZone", (event.get("start") or {}).get("timeZone") or "UTC")
                event.setdefault("originalEndTimeZone", (event.get("end") or {}).get("timeZone") or "UTC")
                event.setdefault("iCalUId", "040000008200E00074C5B7101A82E008" + secrets.token_hex(16))
                event.setdefault("type", "singleInstance")
            event.update({"changeKey": change_key, "@odata.etag": f'W/"{change_key}"', "lastModifiedDateTime": now,
                          "isCancelled": False})
            box[event["id"]] = event
            self.changes.setdefault(account, {})[event["id"]] = seq
        self._notify(account, event, "created" if created else "updated")
        return event

    def _delete_event(self, account, event_id):
        with self.lock:
            removed = self.mailboxes[account].pop(event_id)
            if removed.get("recurrence"):
                # the series goes with its occurrences and exceptions: calendarView delta reports each removed
                occurrence_ids = [o["id"] for o in _occurrences(removed)]
                for occurrence_id in occurrence_ids:
                    self.mailboxes[account].pop(occurrence_id, None)
                self.mailboxes[account][event_id] = {"id": event_id, "@deleted": True,
                                                     "@occurrences": occurrence_ids}
            elif removed.get("seriesMasterId"):
                # one occurrence deleted: calendarView delta gives no indication of it (no @removed; found by
                # experiment, microsoft-graph-docs PR #4501) but returns the series master, changed, with
                # the occurrences that still exist ("When a single event is removed from a recurrence,
                # Outlook returns the recurrence and events which still exist": Odoo 18's
                # microsoft_calendar, test_delete_events.py, whose master has a later lastModifiedDateTime).
                # Whether the master's changeKey (and so the other occurrences' versions) changes too, the
                # docs do not say: this emulator keeps it, so an If-Match on a sibling still holds.
                master_id = removed["seriesMasterId"]
                self.mailboxes[account][event_id] = {"id": event_id, "@deleted": True, "seriesMasterId": master_id}
                master = self.mailboxes[account].get(master_id)
                if master is not None and not master.get("@deleted"):
                    master["lastModifiedDateTime"] = stamp(datetime.now(timezone.utc))
                    self.changes.setdefault(account, {})[master_id] = next(self.seq)
                    notice = (master, "updated")
                else:
                    notice = ({"id": event_id}, "deleted")
            if not removed.get("seriesMasterId"):
                self.changes.setdefault(account, {})[event_id] = next(self.seq)
                notice = ({"id": event_id}, "deleted")
        self._notify(account, *notice)

    def _check_if_match(self, event, headers):
        expected = headers.get("If-Match")
        if expected and expected.strip() not in (event["@odata.etag"], event["changeKey"], f'"{event["changeKey"]}"'):
            raise GraphError(412, "ErrorIrresolvableConflict", "The send or update operation could not be "
                             "performed because the change key passed in the request does not match the current "
                             "change key for the item.")

    def _create(self, account, body):
        if not isinstance(body, dict) or "start" not in body or "end" not in body:
            raise GraphError(400, "ErrorInvalidRequest", "Start and end are required.")
        _parse_graph_time(body["start"])
        _parse_graph_time(body["end"])
        transaction = body.get("transactionId")
        with self.lock:
            if transaction:
                for event in self.mailboxes.get(account, {}).values():
                    if event.get("transactionId") == transaction:
                        return event  # a retried create: the same event, not a second one
            event = {k: v for k, v in body.items() if k not in ("id", "changeKey")}
            event["id"] = "AAMk" + secrets.token_urlsafe(24)
            if event.get("recurrence"):
                event["type"] = "seriesMaster"
                _occurrences(event)  # refuse patterns the sandbox cannot expand, at creation
            return self._save_event(account, event, created=True)
