"""Recurring events: a series master's occurrences, ``/events/{id}/instances``, occurrences by id.

Occurrence ids are the sandbox's own (``<series id>_<YYYYMMDDHHMM>``): Graph's are
opaque, and clients must not read them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from .errors import GraphError
from .times import _iso, _parse_graph_time


def _occurrences(master):
    """A series master's occurrences, as calendarView shows them (daily or weekly, numbered or to an end date)."""
    rec = master.get("recurrence") or {}
    pattern, span = rec.get("pattern") or {}, rec.get("range") or {}
    step = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}.get(pattern.get("type"))
    if step is None:
        raise GraphError(400, "ErrorInvalidRecurrence", "The sandbox expands daily and weekly patterns only.")
    step *= int(pattern.get("interval", 1))
    start, end = _parse_graph_time(master["start"]), _parse_graph_time(master["end"])
    count = int(span.get("numberOfOccurrences") or 0) if span.get("type") == "numbered" else 366
    last = datetime.fromisoformat(span["endDate"] + "T23:59:59+00:00") if span.get("endDate") else None
    out = []
    for n in range(count):
        moment = start + step * n
        if last and moment > last:
            break
        out.append({**{k: v for k, v in master.items() if k not in ("recurrence", "id", "type")},
                    "id": f"{master['id']}_{moment.strftime('%Y%m%d%H%M')}", "type": "occurrence",
                    "seriesMasterId": master["id"], "originalStart": _iso(moment) + "Z",
                    "start": {"dateTime": _iso(moment), "timeZone": "UTC"},
                    "end": {"dateTime": _iso(moment + (end - start)), "timeZone": "UTC"}})
    return out


def _same(key, mine, series):
    """An exception kept the series' value of ``key`` (a body counts by its text, HTML or not)."""
    if key == "body" and isinstance(mine, dict) and isinstance(series, dict):
        def text(body):
            return " ".join(re.sub(r"<[^>]+>", " ", body.get("content") or "").split())

        return text(mine) == text(series)
    return mine == series


class RecurrenceMixin:
    """Series expansion and the instances endpoint (mixed into MicrosoftEmulator)."""

    def _instances(self, account, series_id, query):
        """GET /events/{id}/instances: a series' occurrences and exceptions starting in the window."""
        if not query.get("startDateTime") or not query.get("endDateTime"):
            raise GraphError(400, "ErrorInvalidParameter",
                             "This request requires a time window specified by startDateTime and endDateTime.")
        start = datetime.fromisoformat(query["startDateTime"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(query["endDateTime"].replace("Z", "+00:00"))
        with self.lock:
            box = self.mailboxes.get(account, {})
            master = box.get(series_id)
            if not master or master.get("@deleted"):
                raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            if not master.get("recurrence"):
                raise GraphError(400, "ErrorInvalidRequest", "The event is not a series master.")
            items = [box.get(o["id"], o) for o in _occurrences(master)]
        items = [i for i in items if not i.get("@deleted") and start <= _parse_graph_time(i["start"]) < end]
        return {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)", "value": items}

    def _occurrence(self, account, event_id):
        master_id = event_id.rpartition("_")[0]
        master = self.mailboxes.get(account, {}).get(master_id)
        if not master or not master.get("recurrence"):
            return None
        return next((o for o in _occurrences(master) if o["id"] == event_id), None)
