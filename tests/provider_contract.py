"""The provider contract: one suite every ``CalendarProvider`` must pass.

A test module subclasses ``ProviderContract`` and supplies two fixtures:

- ``provider``: a fresh client on an empty calendar;
- ``backdoor``: the same calendar seen from outside the client (a person in the
  calendar UI, or the emulator's control API) with ``person_create(data) -> id``,
  ``person_edit(event_id, **changes)`` (title, description, start, end),
  ``person_delete(event_id)``, ``expire_cursors()``, ``live_count()`` and
  ``inject(kind, count=1, **kw)`` for ``rate_limit`` (``retry_after``),
  ``server_error`` and ``apply_then_fail``.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calsync.errors import PreconditionFailed, RateLimited, SyncTokenExpired, TransientError
from calsync.events import EventData, OpKind, WriteOp

# tomorrow at 09:00 UTC: inside every provider's sync window (Graph's calendarView delta lists a window around
# today), whenever the suite runs, against the sandbox or a real account
T0 = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


def new_identity() -> str:
    """A link identity: 32 lowercase hex digits, valid as a Google client event id."""
    return uuid.uuid4().hex


def job_event(title="WO-0001 Kitchen Faucet Repair", hours=0, description="Bring a 3/8 wrench."):
    start = T0 + timedelta(hours=hours)
    return EventData(title=title, start=start, end=start + timedelta(hours=2),
                     description=description, location="12 Main St, Springfield")


def ids_of(changes):
    return {e.id for e in changes.events}


class ProviderContract:
    """Behaviour the sync engine relies on, whatever the provider."""

    def test_create_then_get_returns_the_same_content(self, provider):
        identity = new_identity()
        created = provider.create(identity, job_event())
        assert created.id and created.version
        assert created.identity == identity
        fetched = provider.get(created.id)
        assert fetched.version == created.version
        assert fetched.data.title == "WO-0001 Kitchen Faucet Repair"
        assert fetched.data.start == T0 and fetched.data.end == T0 + timedelta(hours=2)
        assert fetched.data.description == "Bring a 3/8 wrench."
        assert not fetched.deleted

    def test_create_is_idempotent_per_identity(self, provider, backdoor):
        identity = new_identity()
        first = provider.create(identity, job_event())
        second = provider.create(identity, job_event())
        assert second.id == first.id
        assert backdoor.live_count() == 1

    def test_create_retried_after_apply_then_fail_makes_one_event(self, provider, backdoor):
        identity = new_identity()
        backdoor.inject("apply_then_fail")
        with contextlib.suppress(TransientError):  # a client may retry briefly by itself, or raise
            provider.create(identity, job_event())
        assert backdoor.live_count() == 1, "the provider applied the create before failing"
        again = provider.create(identity, job_event())
        assert again.identity == identity
        assert backdoor.live_count() == 1

    def test_times_in_another_zone_keep_the_instant(self, provider):
        berlin = ZoneInfo("Europe/Berlin")
        start = datetime(2026, 10, 25, 1, 30, tzinfo=berlin)  # the night clocks go back
        # three hours of elapsed time (wall-clock arithmetic on an aware datetime would give four)
        end = (start.astimezone(timezone.utc) + timedelta(hours=3)).astimezone(berlin)
        data = EventData(title="WO-0002", start=start, end=end, time_zone="Europe/Berlin")
        event = provider.get(provider.create(new_identity(), data).id)
        assert event.data.start == start
        elapsed = event.data.end.astimezone(timezone.utc) - event.data.start.astimezone(timezone.utc)
        assert elapsed == timedelta(hours=3)

    def test_full_then_incremental_listing(self, provider, backdoor):
        a = provider.create(new_identity(), job_event("A"))
        b = provider.create(new_identity(), job_event("B", hours=3))
        full = provider.list_changes(None)
        assert full.full and {a.id, b.id} <= ids_of(full)
        nothing = provider.list_changes(full.cursor)
        assert ids_of(nothing) == set()
        backdoor.person_edit(b.id, title="B edited in the calendar")
        changed = provider.list_changes(nothing.cursor)
        assert ids_of(changed) == {b.id}
        (edited,) = changed.events
        assert edited.data.title == "B edited in the calendar"
        assert edited.version != b.version
        assert ids_of(provider.list_changes(changed.cursor)) == set()

    def test_our_own_write_comes_back_with_the_version_we_were_given(self, provider):
        event = provider.create(new_identity(), job_event())
        cursor = provider.list_changes(None).cursor
        updated = provider.update(event.id, job_event(description="New notes"), if_match=event.version)
        (echo,) = [e for e in provider.list_changes(cursor).events if e.id == event.id]
        assert echo.version == updated.version
        assert echo.data.description == "New notes"

    def test_update_with_a_stale_version_is_refused(self, provider, backdoor):
        event = provider.create(new_identity(), job_event())
        backdoor.person_edit(event.id, title="changed by a person")
        with pytest.raises(PreconditionFailed):
            provider.update(event.id, job_event(description="ours"), if_match=event.version)
        assert provider.get(event.id).data.title == "changed by a person"

    def test_delete_is_listed_and_idempotent(self, provider):
        event = provider.create(new_identity(), job_event())
        cursor = provider.list_changes(None).cursor
        provider.delete(event.id, if_match=event.version)
        provider.delete(event.id)
        changes = provider.list_changes(cursor)
        (gone,) = [e for e in changes.events if e.id == event.id]
        assert gone.deleted

    def test_delete_with_a_stale_version_is_refused(self, provider, backdoor):
        event = provider.create(new_identity(), job_event())
        backdoor.person_edit(event.id, title="moved by a person")
        with pytest.raises(PreconditionFailed):
            provider.delete(event.id, if_match=event.version)
        assert backdoor.live_count() == 1

    def test_person_delete_is_listed(self, provider, backdoor):
        event = provider.create(new_identity(), job_event())
        cursor = provider.list_changes(None).cursor
        backdoor.person_delete(event.id)
        (gone,) = [e for e in provider.list_changes(cursor).events if e.id == event.id]
        assert gone.deleted

    def test_events_not_ours_have_no_identity(self, provider, backdoor):
        foreign = backdoor.person_create(job_event("Dentist"))
        listed = {e.id: e for e in provider.list_changes(None).events}
        assert listed[foreign].identity is None

    def test_identity_is_visible_in_listings(self, provider):
        identity = new_identity()
        event = provider.create(identity, job_event())
        listed = {e.id: e for e in provider.list_changes(None).events}
        assert listed[event.id].identity == identity

    def test_expired_cursor_asks_for_a_full_resync(self, provider, backdoor):
        provider.create(new_identity(), job_event())
        cursor = provider.list_changes(None).cursor
        backdoor.expire_cursors()
        with pytest.raises(SyncTokenExpired):
            provider.list_changes(cursor)
        assert provider.list_changes(None).full

    def test_batch_reports_each_item(self, provider, backdoor):
        a = provider.create(new_identity(), job_event("A"))
        b = provider.create(new_identity(), job_event("B"))
        backdoor.person_edit(b.id, title="B changed by a person")
        ops = [
            WriteOp(OpKind.CREATE, identity=new_identity(), data=job_event("C")),
            WriteOp(OpKind.UPDATE, identity="a", event_id=a.id, data=job_event("A2"), if_match=a.version),
            WriteOp(OpKind.UPDATE, identity="b", event_id=b.id, data=job_event("B2"), if_match=b.version),
        ]
        results = provider.apply(ops)
        assert [r.op for r in results] == ops
        assert results[0].ok and results[0].event.data.title == "C"
        assert results[1].ok and results[1].event.data.title == "A2"
        assert isinstance(results[2].error, PreconditionFailed)
        assert provider.get(b.id).data.title == "B changed by a person"
        assert backdoor.live_count() == 3

    def test_rate_limit_is_raised_with_retry_after(self, provider, backdoor):
        backdoor.inject("rate_limit", retry_after=120)
        started = time.monotonic()
        with pytest.raises(RateLimited) as caught:
            provider.list_changes(None)
        assert caught.value.retry_after == pytest.approx(120, abs=1)
        assert time.monotonic() - started < 30, "a long Retry-After is the caller's to wait"

    def test_persistent_server_errors_end_in_a_transient_error(self, provider, backdoor):
        backdoor.inject("server_error", count=20)
        started = time.monotonic()
        with pytest.raises(TransientError):
            provider.list_changes(None)
        assert time.monotonic() - started < 30
