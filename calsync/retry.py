"""The one brief in-process retry policy of the provider clients.

A client retries a transient failure only briefly (a few short backoffs, or a
Retry-After of a few seconds); anything longer is the job queue's to wait, so
retries are never multiplied across layers and no job sleeps for minutes.
"""

from __future__ import annotations

from .errors import RateLimited, TransientError

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
