"""The job layer's retry and throttle policy as a pure function (``calsync.retry.decide``)."""

from datetime import datetime, timedelta, timezone

from calsync.errors import Backpressure, NeedsReauth, QuotaExhausted, RateLimited, SyncError, TransientError
from calsync.guard import MassDeletionHeld
from calsync.retry import decide

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def test_throttling_waits_as_asked_without_using_an_attempt_and_remembers_when_it_began():
    d = decide(RateLimited(retry_after=42), attempt=3, throttled_since=None, now=NOW)
    assert (d.action, d.seconds, d.state, d.counts, d.throttled_since) == ("retry", 42, "throttled", False, NOW)
    later = decide(RateLimited(), attempt=4, throttled_since=NOW - timedelta(minutes=10), now=NOW)
    assert later.seconds == 30 and later.throttled_since == NOW - timedelta(minutes=10)


def test_throttled_for_over_an_hour_stops_the_connection():
    d = decide(RateLimited(retry_after=120), attempt=1, throttled_since=NOW - timedelta(minutes=59), now=NOW)
    assert (d.action, d.state, d.kind) == ("stop", "error", "throttled")


def test_transient_failures_back_off_then_stop_after_the_last_attempt():
    assert [decide(TransientError("x"), n, None, NOW).seconds for n in (1, 2, 3, 5)][:3] == [20, 40, 80]
    assert decide(TransientError("x"), 6, None, NOW, max_attempts=6).action == "stop"
    assert decide(TransientError("x"), 10, None, NOW, max_attempts=20).seconds == 300


def test_pacing_review_quota_reauth_and_other_errors():
    paced = decide(Backpressure(2.2), 1, None, NOW)
    assert (paced.action, paced.seconds, paced.counts) == ("retry", 3, False)
    assert decide(MassDeletionHeld(5, 6), 1, None, NOW).state == "review"
    assert decide(QuotaExhausted("q"), 1, None, NOW).kind == "quota"
    assert decide(NeedsReauth("r"), 1, None, NOW).state == "needs_reauth"
    assert decide(SyncError("bad"), 1, None, NOW).action == "stop"

