"""events.list and events.instances: pages, sync tokens, filters, 410 ``fullSyncRequired``.

Synchronize resources efficiently (developers.google.com/calendar/api/guides/sync): the sync
token comes only on the last page; a gone token is 410 and means a full sync. The parameter
rules are those of events.list in the Calendar v3 discovery document (see ``discovery``).
"""

from __future__ import annotations

import base64
import json

from .discovery import rfc3339
from .errors import ApiError
from .recurrence import cancelled_occurrence
from .times import _when

# events.list syncToken: "There are several query parameters that cannot be specified together with
# nextSyncToken ... iCalUID, orderBy, privateExtendedProperty, q, sharedExtendedProperty, timeMin, timeMax,
# updatedMin"
SYNC_FORBIDDEN = ("iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin",
                  "timeMax", "updatedMin")


# what a page token carries of the query that made it: Odoo 18's google_calendar asks for the next pages
# with only access_token and pageToken (GoogleCalendarService.get_events), and that works against the real API
PAGE_CARRIES = ("syncToken", "timeMin", "timeMax", "updatedMin", "showDeleted", "singleEvents", "maxResults",
                "privateExtendedProperty", "sharedExtendedProperty", "q", "iCalUID", "orderBy")


def _page_token(query, offset):
    state = {k: query[k] for k in PAGE_CARRIES if k in query}
    return base64.urlsafe_b64encode(json.dumps({"query": state, "offset": offset}).encode()).decode()


def _resume(query):
    """(the query a page belongs to, its first item): the page token's query, with what this request repeats."""
    token = query.get("pageToken")
    if not token:
        return query, 0
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
        merged, offset = dict(state["query"]), int(state["offset"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, "invalid", "Invalid page token value.") from None
    merged.update({k: v for k, v in query.items() if k != "pageToken"})
    return merged, offset


def _bound(query, name):
    return rfc3339(query[name]) if query.get(name) else None


def window(query):
    """(timeMin, timeMax) of a query. timeMax: "If timeMin is set, timeMax must be greater than timeMin";
    the API answers 400 ``timeRangeEmpty`` ("The specified time range is empty.") otherwise."""
    low, high = _bound(query, "timeMin"), _bound(query, "timeMax")
    if low is not None and high is not None and high <= low:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")
    return low, high


def _overlaps(item, low, high):
    """timeMin: "Lower bound (exclusive) for an event's end time"; timeMax: "Upper bound (exclusive) for an
    event's start time"."""
    if low is None and high is None:
        return True
    if not isinstance(item.get("start"), dict) or not isinstance(item.get("end"), dict):
        return False
    return (low is None or _when(item["end"]) > low) and (high is None or _when(item["start"]) < high)


def deleted_stub(item):
    """A deleted event in an incremental list: "Deleted events are only guaranteed to have the id field
    populated ... incremental sync requests with showDeleted set to false will not return these details"
    (Event.status, Calendar v3 discovery document)."""
    if item.get("recurringEventId"):
        return cancelled_occurrence(item)
    return {"kind": "calendar#event", "id": item["id"], "status": "cancelled"}


def _collection(cal):
    """What every events list answer says of its calendar (the Events collection of the discovery document):
    ``defaultReminders`` ("The default reminders on the calendar for the authenticated user"), the access role
    and the zone. The reminder values are the sandbox's choice: the docs do not say what a new calendar has."""
    return {"kind": "calendar#events", "timeZone": "UTC", "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 30}]}


class ListingMixin:
    """Listing events (mixed into GoogleEmulator)."""

    def _sync_token(self, cal, top):
        return base64.urlsafe_b64encode(f"{cal.id}:{top}:{cal.token_epoch}".encode()).decode()

    def _since(self, cal, sync_token):
        """The change number a token stands for; 410 for a token this calendar did not issue, or expired."""
        try:
            calendar_id, since, epoch = base64.urlsafe_b64decode(sync_token.encode()).decode().rsplit(":", 2)
            since, epoch = int(since), int(epoch)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(410, "fullSyncRequired", "Invalid sync token.") from None
        # only tokens issued before an expiry are gone: the full sync that follows hands out a valid one
        if calendar_id != cal.id or epoch != cal.token_epoch:
            raise ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
        return since

    def _list(self, cal, query):
        query, offset = _resume(query)
        sync_token = query.get("syncToken")
        if sync_token and any(p in query for p in SYNC_FORBIDDEN):
            raise ApiError(400, "invalid", "Sync token cannot be combined with the given parameters.")
        if sync_token and query.get("showDeleted", "").lower() == "false":
            # syncToken: "All events deleted since the previous list request will always be in the result set
            # and it is not allowed to set showDeleted to False"
            raise ApiError(400, "invalid", "The showDeleted parameter cannot be false with a sync token.")
        low, high = window(query)
        updated_min = _bound(query, "updatedMin")
        show_deleted = query.get("showDeleted", "").lower() == "true"
        incremental = bool(sync_token) or updated_min is not None
        # maxResults: "By default the value is 250 events. The page size can never be larger than 2500 events."
        max_results = min(int(query.get("maxResults", 250)), 2500)
        with self.lock:
            ordered = [i for i, _s in sorted(cal.seq.items(), key=lambda kv: kv[1])]
            if sync_token:
                since = self._since(cal, sync_token)
                ids = [i for i in ordered if cal.seq[i] > since]
            else:
                # updatedMin: "entries deleted since this time will always be included regardless of showDeleted"
                ids = [i for i in ordered if show_deleted or updated_min is not None or
                       cal.events[i]["status"] != "cancelled"]
                if updated_min is not None:
                    ids = [i for i in ids if rfc3339(cal.events[i]["updated"]) >= updated_min]
                prop = query.get("privateExtendedProperty")
                if prop and "=" in prop:
                    key, value = prop.split("=", 1)
                    ids = [i for i in ids if (cal.events[i].get("extendedProperties") or {}).get("private", {})
                           .get(key) == value]
            items = [cal.events[i] for i in ids]
            single = query.get("singleEvents", "").lower() == "true"
            expanded = []
            for item in items:
                if item.get("recurrence") and single:
                    # showDeleted: "If showDeleted and singleEvents are both True, only single instances of
                    # deleted events (but not the underlying recurring events) are returned"
                    expanded += [i for i in self._instances(cal, item, cancelled_too=incremental or show_deleted)
                                 if incremental or show_deleted or i.get("status") != "cancelled"]
                elif item.get("recurrence"):
                    # a series is in a time window when one of its occurrences is
                    if (low is None and high is None) or any(_overlaps(i, low, high)
                                                             for i in self._instances(cal, item)):
                        expanded.append(item)
                elif not item.get("recurringEventId") or incremental or not single:
                    expanded.append(item)  # a full single-events list shows exceptions through their series
            items = [i for i in expanded if i.get("recurrence") or _overlaps(i, low, high)]
            if incremental and not show_deleted:
                items = [deleted_stub(i) if i.get("status") == "cancelled" else i for i in items]
            out = {**_collection(cal), "summary": cal.id,
                   "items": items[offset:offset + max_results]}
            if offset + max_results < len(items):
                out["nextPageToken"] = _page_token(query, offset + max_results)
            else:
                out["nextSyncToken"] = self._sync_token(cal, max(cal.seq.values() or [0]))
            return out

    def _list_instances(self, cal, series_id, query):
        """events.instances: the occurrences of a series (exceptions included), cancelled ones on request."""
        master = self._get(cal, series_id)
        low, high = window(query)
        items = self._instances(cal, master)
        if query.get("showDeleted", "").lower() != "true":
            items = [i for i in items if i.get("status") != "cancelled"]
        items = [i for i in items if i.get("status") == "cancelled" or _overlaps(i, low, high)]
        return {**_collection(cal), "summary": cal.id, "items": items}
