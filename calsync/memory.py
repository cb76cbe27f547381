"""An in-memory calendar provider: the engine's own reference implementation.

It keeps versions, cursors, tombstones and client identities like the real
providers do, and it can inject faults, so the merge rules and the state
machine can be exercised without a network. The dry-run preview also plans
against it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from .errors import PreconditionFailed, RateLimited, SyncError, SyncTokenExpired, TransientError
from .events import ChangeSet, Channel, EventData, RemoteEvent
from .provider import CalendarProvider


@dataclass
class _Stored:
    event: RemoteEvent
    seq: int


class MemoryCalendar:
    """The calendar itself (the 'server' side), shared by any number of clients."""

    def __init__(self):
        self._events: dict[str, _Stored] = {}
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self.last_seq = 0
        self.min_valid_seq = 0
        self.faults: list[tuple[str, dict]] = []
        self.write_calls = 0
        self.channels: dict[str, Channel] = {}

    # -- server-side helpers -------------------------------------------------
    def _bump(self, event: RemoteEvent) -> RemoteEvent:
        seq = next(self._seq)
        self.last_seq = seq
        event = replace(event, version=f"v{seq}")
        self._events[event.id] = _Stored(event, seq)
        return event

    def _take_fault(self):
        if self.faults:
            return self.faults.pop(0)
        return None

    def _check_fault(self):
        fault = self._take_fault()
        if fault is None:
            return None
        kind, kwargs = fault
        if kind == "rate_limit":
            raise RateLimited("memory calendar throttled", retry_after=kwargs.get("retry_after", 1))
        if kind == "server_error":
            raise TransientError("memory calendar unavailable")
        if kind == "rejected":  # a permanent refusal of this one request (a 400 from a real provider)
            raise SyncError("memory calendar refused the request")
        return kind

    def events(self) -> list[RemoteEvent]:
        return [s.event for s in self._events.values()]

    def live_events(self) -> list[RemoteEvent]:
        return [e for e in self.events() if not e.deleted]

    def find(self, event_id):
        stored = self._events.get(event_id)
        return stored.event if stored else None

    # -- what a person does in the calendar UI ------------------------------
    def person_create(self, data: EventData) -> str:
        event = RemoteEvent(id=f"ext{next(self._ids)}", version="", data=data)
        return self._bump(event).id

    def person_edit(self, event_id: str, **changes) -> RemoteEvent:
        event = self._events[event_id].event
        return self._bump(replace(event, data=replace(event.data, **changes)))

    def person_delete(self, event_id: str) -> None:
        event = self._events[event_id].event
        self._bump(replace(event, deleted=True))

    def expire_cursors(self) -> None:
        """Every cursor handed out so far stops working; a full listing hands out a valid one."""
        self.last_seq = self.min_valid_seq = next(self._seq)

    def live_count(self) -> int:
        return len(self.live_events())

    def inject(self, kind: str, count: int = 1, **kwargs) -> None:
        """Queue ``count`` faults for the next calls (rate_limit, server_error, rejected, apply_then_fail)."""
        self.faults.extend([(kind, kwargs)] * count)


class MemoryProvider(CalendarProvider):
    """A client of a ``MemoryCalendar`` with the semantics of the real providers."""

    name = "memory"
    max_batch = 50
    renews_in_place = True

    def __init__(self, calendar: MemoryCalendar | None = None):
        self.calendar = calendar or MemoryCalendar()

    def list_changes(self, cursor=None):
        cal = self.calendar
        cal._check_fault()
        if cursor is None:
            events = tuple(s.event for s in cal._events.values() if not s.event.deleted)
            return ChangeSet(events=events, cursor=f"seq:{cal.last_seq}", full=True)
        since = int(cursor.split(":", 1)[1])
        if since < cal.min_valid_seq:
            raise SyncTokenExpired("The sync cursor expired; a full resync is needed.")
        changed = sorted((s for s in cal._events.values() if s.seq > since), key=lambda s: s.seq)
        return ChangeSet(events=tuple(s.event for s in changed), cursor=f"seq:{cal.last_seq}")

    def get(self, event_id):
        self.calendar._check_fault()
        return self.calendar.find(event_id)

    def _write(self, action):
        cal = self.calendar
        fault = cal._check_fault()
        cal.write_calls += 1
        result = action()
        if fault == "apply_then_fail":
            raise TransientError("memory calendar applied the write, then the response was lost")
        return result

    def create(self, identity, data):
        cal = self.calendar

        def action():
            existing = cal.find(identity)
            if existing is not None:
                if existing.deleted:
                    return cal._bump(replace(existing, deleted=False, data=data))
                return existing
            return cal._bump(RemoteEvent(id=identity, version="", data=data, identity=identity))

        return self._write(action)

    def _current(self, event_id, if_match):
        event = self.calendar.find(event_id)
        if event is None:
            raise PreconditionFailed(f"event {event_id} does not exist")
        if if_match is not None and event.version != if_match:
            raise PreconditionFailed(f"event {event_id} changed since version {if_match}")
        return event

    def update(self, event_id, data, if_match):
        def action():
            event = self._current(event_id, if_match)
            return self.calendar._bump(replace(event, data=data, deleted=False))

        return self._write(action)

    def delete(self, event_id, if_match=None):
        def action():
            event = self.calendar.find(event_id)
            if event is None or event.deleted:
                return None
            self._current(event_id, if_match)
            self.calendar._bump(replace(event, deleted=True))
            return None

        return self._write(action)

    def watch(self, address, token, channel_id, ttl, lifecycle_address=None):
        channel = Channel(id=channel_id, resource_id=f"res-{channel_id}",
                          expires_at=datetime.now(timezone.utc) + ttl, token=token)
        self.calendar.channels[channel_id] = channel
        return channel

    def renew(self, channel, ttl):
        renewed = replace(channel, expires_at=datetime.now(timezone.utc) + ttl)
        self.calendar.channels[channel.id] = renewed
        return renewed

    def unwatch(self, channel):
        self.calendar.channels.pop(channel.id, None)


__all__ = ["MemoryCalendar", "MemoryProvider"]
