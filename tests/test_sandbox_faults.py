"""The emulators' own bookkeeping: the fault queue (paths, counts, ``after``) and round-trip counts."""

from datetime import datetime, timedelta, timezone

import pytest

from calsync.errors import RateLimited
from calsync.events import EventData, OpKind, WriteOp
from calsync.google import GoogleCalendarClient, GoogleConfig
from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.kernel.faults import FaultQueue
from tests.google_fixtures import sign_in


def test_fault_hits_only_matching_paths_and_is_spent():
    faults = FaultQueue()
    faults.inject("server_error", path_contains="/events")
    assert faults.take("/users/me/calendarList") is None
    assert faults.take("/calendars/x/events")["kind"] == "server_error"
    assert faults.take("/calendars/x/events") is None


def test_after_lets_matching_requests_through_then_the_whole_group_follows():
    faults = FaultQueue()
    faults.inject("slow", count=2, delay=1, path_contains="/events", after=3)
    seen = [faults.take("/calendars/x/events") for _ in range(6)]
    assert [f and f["kind"] for f in seen] == [None, None, None, "slow", "slow", None]
    assert not faults


def test_unmatched_requests_do_not_count_towards_after():
    faults = FaultQueue()
    faults.inject("gone", path_contains="delta", after=1)
    assert faults.take("/me/events/1") is None
    assert faults.take("/me/calendarView/delta") is None
    assert faults.take("/me/events/1") is None
    assert faults.take("/me/calendarView/delta")["kind"] == "gone"



def test_emulator_counts_http_round_trips_not_batch_items(emulator, provider):
    before = emulator.round_trips["api"]
    calls = len(emulator.requests_log())
    start = datetime(2027, 1, 4, 9, tzinfo=timezone.utc)
    ops = [WriteOp(OpKind.CREATE, identity=f"roundtrip{n}",
                   data=EventData(title=f"Job {n}", start=start, end=start + timedelta(hours=1)))
           for n in range(3)]
    assert all(result.ok for result in provider.apply(ops))
    assert emulator.round_trips["api"] - before == 1, "three creates, one batch request"
    assert len(emulator.requests_log()) - calls == 3, "each batch item is one API call (what the quota counts)"


def test_the_quota_clock_can_be_advanced_instead_of_sleeping(tls):
    """A throttle's Retry-After is honoured by moving the emulator's quota clock (the soak's way to wait)."""
    emu = GoogleEmulator(tls, quota_per_minute=3, allow_http_loopback=True).start()
    try:
        config = GoogleConfig.sandbox(emu.base_url, tls.cert_path, client_id=emu.client_id,
                                      client_secret=emu.client_secret)
        client = GoogleCalendarClient(config, sign_in(config, "quota@example.test"), sleep=lambda s: None)
        for _ in range(3):
            client.list_changes(None)
        with pytest.raises(RateLimited) as caught:
            client.list_changes(None)
        assert caught.value.retry_after > 5  # the client does not wait that long: the job layer does
        emu.advance_clock(caught.value.retry_after)
        assert client.list_changes(None).full
    finally:
        emu.stop()
