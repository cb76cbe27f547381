"""events.list and events.instances: pages, sync tokens, 410 ``fullSyncRequired``.

Synchronize resources efficiently (developers.google.com/calendar/api/guides/sync):
the sync token comes only on the last page; a gone token is 410 and means a full
sync; a sync token cannot be combined with the filters in ``SYNC_FORBIDDEN``
(events.list reference).
"""

from __future__ import annotations

import base64
from datetime import datetime

from .errors import ApiError
from .times import _when

SYNC_FORBIDDEN = ("iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin",
                  "timeMax", "updatedMin")


class ListingMixin:
    """Listing events (mixed into GoogleEmulator)."""

    def _list(self, cal, query):
        sync_token = query.get("syncToken")
        if sync_token and any(p in query for p in SYNC_FORBIDDEN):
            raise ApiError(400, "invalid", "Sync token cannot be combined with the given parameters.")
        try:
            max_results = min(int(query.get("maxResults", 250)), 2500)
        except ValueError:
            raise ApiError(400, "invalid", "Invalid maxResults") from None
        with self.lock:
            if sync_token:
                try:
                    since = int(base64.urlsafe_b64decode(sync_token.encode()).decode().split(":")[1])
                except (ValueError, IndexError):
                    raise ApiError(410, "fullSyncRequired", "Invalid sync token.") from None
                if since < cal.min_token_seq:
                    raise ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is "
                                   "required.")
                ids = [i for i, s in sorted(cal.seq.items(), key=lambda kv: kv[1]) if s > since]
            else:
                show_deleted = query.get("showDeleted") == "true"
                ids = [i for i, s in sorted(cal.seq.items(), key=lambda kv: kv[1])
                       if show_deleted or cal.events[i]["status"] != "cancelled"]
                prop = query.get("privateExtendedProperty")
                if prop and "=" in prop:
                    key, value = prop.split("=", 1)
                    ids = [i for i in ids if cal.events[i].get("extendedProperties", {}).get("private", {})
                           .get(key) == value]
            items = [cal.events[i] for i in ids]
            if query.get("singleEvents") == "true":
                expanded = []
                for item in items:
                    if item.get("recurrence"):
                        expanded += [i for i in self._instances(cal, item, cancelled_too=bool(sync_token))
                                     if sync_token or i.get("status") != "cancelled"]
                    elif not item.get("recurringEventId") or sync_token:
                        expanded.append(item)
                items = expanded
            offset = int(query.get("pageToken", "0") or 0) if str(query.get("pageToken", "0")).isdigit() else 0
            out = {"kind": "calendar#events", "summary": cal.id, "timeZone": "UTC",
                   "items": items[offset:offset + max_results]}
            if offset + max_results < len(items):
                out["nextPageToken"] = str(offset + max_results)
            else:
                top = max(cal.seq.values() or [0])
                out["nextSyncToken"] = base64.urlsafe_b64encode(f"{cal.id}:{top}".encode()).decode()
            return out

    def _list_instances(self, cal, series_id, query):
        """events.instances: the occurrences of a series (exceptions included), cancelled ones on request."""
        master = self._get(cal, series_id)
        items = self._instances(cal, master)
        if query.get("showDeleted") != "true":
            items = [i for i in items if i.get("status") != "cancelled"]
        low, high = query.get("timeMin"), query.get("timeMax")
        items = [i for i in items if i.get("status") == "cancelled" or (
            (not low or _when(i["end"]) > datetime.fromisoformat(low.replace("Z", "+00:00"))) and
            (not high or _when(i["start"]) < datetime.fromisoformat(high.replace("Z", "+00:00"))))]
        return {"kind": "calendar#events", "timeZone": "UTC", "items": items}
