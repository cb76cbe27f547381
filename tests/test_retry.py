"""The brief in-process retry policy: short waits only, Retry-After honoured, bounded."""

from calsync.errors import NeedsReauth, RateLimited, TransientError
from calsync.retry import brief_wait


def test_transient_errors_back_off_briefly_then_give_up():
    error = TransientError("503")
    assert [brief_wait(error, a) for a in range(3)] == [0.25, 0.5, None]


def test_a_short_retry_after_is_honoured_and_a_long_one_is_the_callers():
    assert brief_wait(RateLimited(retry_after=2), 0) == 2
    assert brief_wait(RateLimited(retry_after=120), 0) is None


def test_permanent_errors_are_not_retried():
    assert brief_wait(NeedsReauth("revoked"), 0) is None
