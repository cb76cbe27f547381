"""Recurring events: RRULE expansion, the instances of a series, occurrences addressed by id.

Instance ids are ``<series id>_<start as YYYYMMDDTHHMMSSZ>``, the form the Calendar
API uses for timed occurrences (events.instances reference).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .errors import ApiError
from .times import _rfc3339, _when

MAX_INSTANCES = 366


def _parse_rrule(recurrence):
    """FREQ (DAILY/WEEKLY), INTERVAL and COUNT or UNTIL of the first RRULE line: what the sandbox expands."""
    for line in recurrence or []:
        if line.startswith("RRULE:"):
            parts = dict(p.split("=", 1) for p in line[6:].split(";") if "=" in p)
            freq = {"DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}.get(parts.get("FREQ"))
            if freq is None:
                raise ApiError(400, "invalid", "The sandbox expands FREQ=DAILY and FREQ=WEEKLY rules only.")
            until = parts.get("UNTIL")
            return (freq * int(parts.get("INTERVAL", 1)), int(parts.get("COUNT", 0)) or None,
                    datetime.strptime(until[:15], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc) if until else None)
    return None


def _instance_id(master_id, start):
    return f"{master_id}_{start.strftime('%Y%m%dT%H%M%SZ')}"


class RecurrenceMixin:
    """Expands series for the emulator (mixed into GoogleEmulator)."""

    def _instances(self, cal, master, cancelled_too=False):
        """The occurrences of a series as the API shows them with singleEvents=true (exceptions included).

        A deleted series has none, except in an incremental sync (``cancelled_too``), which
        reports each of its occurrences cancelled.
        """
        rule = _parse_rrule(master.get("recurrence"))
        if rule is None or (master.get("status") == "cancelled" and not cancelled_too):
            return []
        step, count, until = rule
        start, end = _when(master["start"]), _when(master["end"])
        out = []
        for n in range(count or MAX_INSTANCES):
            moment = start + step * n
            if until and moment > until:
                break
            instance_id = _instance_id(master["id"], moment)
            if instance_id in cal.events:  # an exception (edited or cancelled occurrence)
                exception = cal.events[instance_id]
                out.append(dict(exception, status="cancelled") if master.get("status") == "cancelled" else exception)
                continue
            out.append({**{k: v for k, v in master.items() if k not in ("recurrence", "id", "etag")},
                        "id": instance_id, "etag": master["etag"], "recurringEventId": master["id"],
                        "originalStartTime": {"dateTime": _rfc3339(moment), "timeZone": "UTC"},
                        "start": {"dateTime": _rfc3339(moment), "timeZone": "UTC"},
                        "end": {"dateTime": _rfc3339(moment + (end - start)), "timeZone": "UTC"}})
        return out

    def _virtual_instance(self, cal, event_id):
        master_id, _, stamp = event_id.rpartition("_")
        master = cal.events.get(master_id)
        if not master or not stamp:
            return None
        return next((i for i in self._instances(cal, master) if i["id"] == event_id), None)
