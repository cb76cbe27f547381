"""Microsoft Graph's HTTP errors as the engine's typed errors (status, error code, Retry-After)."""

from __future__ import annotations

from ..errors import (
    NeedsReauth,
    PreconditionFailed,
    ProviderError,
    RateLimited,
    SyncError,
    SyncTokenExpired,
    TransientError,
)


def safe_json(answer):
    try:
        return answer.json()
    except ValueError:
        return None


def translate(status: int, headers, body) -> SyncError:
    """Graph's HTTP errors as the engine's typed errors."""
    code = ((body or {}).get("error") or {}).get("code", "") if isinstance(body, dict) else ""
    retry = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        retry_after = float(retry) if retry is not None else None
    except ValueError:
        retry_after = None
    if status == 401:
        return NeedsReauth("Microsoft no longer accepts this calendar's access. Reconnect the calendar.")
    if status == 429 or (status == 503 and retry_after is not None):
        return RateLimited("Microsoft Graph is throttling this mailbox.", retry_after=retry_after, reason=code)
    if status == 410:
        return SyncTokenExpired("Microsoft's delta state expired; a full resync is needed.")
    if status == 412:
        return PreconditionFailed("The Outlook event changed since it was last read.")
    if status >= 500:
        return TransientError(f"Microsoft Graph answered {status}.")
    return ProviderError(f"Microsoft Graph refused the request ({status} {code or 'error'}).", status=status,
                         reason=code)
