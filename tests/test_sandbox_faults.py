"""The emulators' own bookkeeping: the fault queue (paths, counts, ``after``) and round-trip counts."""

from datetime import datetime, timedelta, timezone

from calsync.events import EventData, OpKind, WriteOp
from calsync.sandbox.faults import FaultQueue


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
