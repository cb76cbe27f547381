"""Microsoft Graph's HTTP errors as the engine's typed errors (status, error code, Retry-After)."""

from __future__ import annotations

from ..errors import (
    MailboxOutOfScope,
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


# An expired delta token: calendarView delta answers 410 SyncStateNotFound, the delta-query overview
# speaks of "a 40X-series error with error codes such as syncStateNotFound" (identity resources answer 400
# syncStateNotFound, Microsoft 365 Developer Blog, "Duration of change tracking tokens", 2020), and the
# Graph errors page lists resyncRequired. Codes are compared case-insensitively (both spellings are seen).
RESYNC_CODES = frozenset({"syncstatenotfound", "syncstateinvalid", "resyncrequired"})
# A stale If-Match on an event is 412, and also 409 ErrorIrresolvableConflict (Graph errors page: 409
# Conflict; community reports of event PATCH/DELETE): both mean "re-read and re-plan".
VERSION_CONFLICT_CODES = frozenset({"errorirresolvableconflict"})


def error_code(body) -> str:
    """The ``error.code`` of a Graph error body, or ''."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else ""


# App-only access to a mailbox outside the app's scope (an application access policy, RBAC for
# Applications) is 403 ErrorAccessDenied; a mailbox the tenant does not have is 404 ErrorInvalidUser
# (New-ApplicationAccessPolicy, learn.microsoft.com/powershell/module/exchange/new-applicationaccesspolicy)
OUT_OF_SCOPE = {(403, "erroraccessdenied"), (404, "errorinvaliduser")}


def translate(status: int, headers, body, mailbox: str | None = None) -> SyncError:
    """Graph's HTTP errors as the engine's typed errors; ``mailbox``: the app-only client's mailbox."""
    code = error_code(body)
    if mailbox and (status, code.lower()) in OUT_OF_SCOPE:
        return MailboxOutOfScope(f"The organization's Microsoft 365 grant does not reach the mailbox {mailbox} "
                                 f"({code}); the admin's application access policy or RBAC scope leaves it "
                                 "out, or the mailbox does not exist.", mailbox=mailbox)
    retry = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        retry_after = float(retry) if retry is not None else None
    except ValueError:
        retry_after = None
    if status == 401:
        return NeedsReauth("Microsoft no longer accepts this calendar's access. Reconnect the calendar.")
    if status == 429 or (status == 503 and retry_after is not None):
        return RateLimited("Microsoft Graph is throttling this mailbox.", retry_after=retry_after, reason=code)
    if status == 410 or (400 <= status < 500 and code.lower() in RESYNC_CODES):
        return SyncTokenExpired("Microsoft's delta state expired; a full resync is needed.")
    if status == 412 or (status == 409 and code.lower() in VERSION_CONFLICT_CODES):
        return PreconditionFailed("The Outlook event changed since it was last read.")
    if status >= 500:
        return TransientError(f"Microsoft Graph answered {status}.")
    return ProviderError(f"Microsoft Graph refused the request ({status} {code or 'error'}).", status=status,
                         reason=code)
