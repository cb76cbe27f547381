"""The one brief in-process retry policy of the provider clients.

A client retries a transient failure only briefly (a few short backoffs, or a
Retry-After of a few seconds); anything longer is the job queue's to wait, so
retries are never multiplied across layers and no job sleeps for minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import Backpressure, NeedsReauth, QuotaExhausted, RateLimited, TransientError
from .guard import MassDeletionHeld

ATTEMPTS = 3
WAIT_CAP_SECONDS = 5.0


def brief_wait(error: Exception, attempt: int, attempts: int = ATTEMPTS, cap: float = WAIT_CAP_SECONDS):
    """Seconds to wait before trying ``attempt + 1`` again, or None when the caller must give up and raise."""
    if attempt + 1 >= attempts or not isinstance(error, TransientError):
        return None
    if isinstance(error, RateLimited):
        wait = error.retry_after if error.retry_after is not None else 2 ** attempt
    else:
        wait = 0.25 * 2 ** attempt
    return wait if wait <= cap else None


# -- the job layer's decision: what one engine error means for the sync job and its connection -----------
THROTTLE_CAP_SECONDS = 3600  # throttled for longer than this in a row: stop and say so
DEFAULT_THROTTLE_WAIT = 30
TRANSIENT_WAIT_CAP = 300


@dataclass(frozen=True)
class Decision:
    """What the job layer does: ``action`` is "retry" (after ``seconds``), "stop" (connection in error),
    "review" (held for a person) or "reauth"; ``state`` the connection's new state (None: unchanged);
    ``counts`` whether the retry uses up one of the job's attempts; ``throttled_since`` to store."""

    action: str
    kind: str
    seconds: int = 0
    state: str | None = None
    counts: bool = True
    throttled_since: datetime | None = None


def decide(error: Exception, attempt: int, throttled_since: datetime | None, now: datetime,
           max_attempts: int = 5) -> Decision:
    """The retry and throttle policy as one pure function: no clock, no database, no sleep.

    ``attempt`` is this run's number (1-based), ``throttled_since`` when the current run of
    throttling began (None when the connection is not throttled).
    """
    if isinstance(error, Backpressure):  # our own pacing: wait in the queue, the attempt is free
        return Decision("retry", "paced", max(1, math.ceil(error.retry_after or 1)), counts=False,
                        throttled_since=throttled_since)
    if isinstance(error, RateLimited):
        since = throttled_since or now
        wait = max(1, int(error.retry_after or DEFAULT_THROTTLE_WAIT))
        if now + timedelta(seconds=wait) - since > timedelta(seconds=THROTTLE_CAP_SECONDS):
            return Decision("stop", "throttled", state="error")
        return Decision("retry", "throttled", wait, state="throttled", counts=False, throttled_since=since)
    if isinstance(error, MassDeletionHeld):
        return Decision("review", "review", state="review")
    if isinstance(error, QuotaExhausted):
        return Decision("stop", "quota", state="error")
    if isinstance(error, NeedsReauth):
        return Decision("reauth", "reauth", state="needs_reauth")
    if isinstance(error, TransientError):
        if attempt >= max_attempts:
            return Decision("stop", "transient", state="error")
        return Decision("retry", "transient", min(TRANSIENT_WAIT_CAP, 10 * 2 ** attempt),
                        throttled_since=throttled_since)
    return Decision("stop", getattr(error, "kind", "error"), state="error")
