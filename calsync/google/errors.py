"""Google's HTTP errors as the engine's typed errors, reading the reason from the response body."""

from __future__ import annotations

import json

from googleapiclient.errors import HttpError

from ..errors import (
    NeedsReauth,
    PreconditionFailed,
    ProviderError,
    QuotaExhausted,
    RateLimited,
    SyncTokenExpired,
    TransientError,
)

RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
DAILY_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RESYNC_REASONS = {"fullSyncRequired", "updatedMinTooLongAgo"}


def reason_of(exc: HttpError) -> str:
    """The machine reason (``error.errors[].reason``); the body is the reliable place, not error_details."""
    try:
        body = json.loads(exc.content.decode("utf-8") if isinstance(exc.content, bytes) else exc.content)
        errors = body.get("error", {}).get("errors") or []
        return errors[0].get("reason", "") if errors else ""
    except (ValueError, AttributeError):
        return ""


def retry_after_of(exc: HttpError) -> float | None:
    value = exc.resp.get("retry-after") if exc.resp is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def translate(exc: HttpError):
    """The typed error for a Google HttpError (the caller raises it)."""
    status = exc.resp.status if exc.resp is not None else 0
    reason = reason_of(exc)
    if status == 401:
        return NeedsReauth("Google no longer accepts this calendar's access. Reconnect the calendar.")
    if status == 429 or (status == 403 and reason in RATE_REASONS):
        return RateLimited("Google is rate limiting this calendar.", retry_after=retry_after_of(exc), reason=reason)
    if status == 403 and reason in DAILY_REASONS:
        return QuotaExhausted("Google's daily Calendar API quota is used up.", reason=reason)
    if status == 410 and reason in RESYNC_REASONS:
        return SyncTokenExpired("Google's sync token expired; a full resync is needed.")
    if status == 412:
        return PreconditionFailed("The Google event changed since it was last read.")
    if status >= 500:
        return TransientError(f"Google Calendar answered {status}.")
    return ProviderError(f"Google Calendar refused the request ({status} {reason or 'error'}).", status=status,
                         reason=reason)
