"""The emulators' fault queue: path matching, counts, and letting ``after`` requests through first."""

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
