"""Microsoft Graph's error answers: ``{"error": {"code", "message"}}`` and the faults a test can inject.

Shape from Graph's "Microsoft Graph error responses and resource types"
(learn.microsoft.com/graph/errors).
"""

from __future__ import annotations


class GraphError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def body(self):
        return {"error": {"code": self.code, "message": self.message}}


def fault_error(kind, retry_after, path):
    """The error an injected fault answers with before the request runs (None: not such a fault)."""
    if kind == "rate_limit":
        return GraphError(429, "ApplicationThrottled", "Too many requests.", {"Retry-After": str(retry_after or 1)})
    if kind == "server_error":
        return GraphError(503, "ServiceUnavailable", "Service unavailable.",
                          {"Retry-After": str(retry_after)} if retry_after else {})
    # An expired delta token. calendarView delta answers 410 SyncStateNotFound (the default, see delta.py);
    # the delta-query overview (learn.microsoft.com/graph/delta-query-overview, "Synchronization reset")
    # speaks of "a 40X-series error with error codes such as syncStateNotFound" (identity resources answer 400,
    # Microsoft 365 Developer Blog, "Duration of change tracking tokens", 2020), and the Graph errors page
    # lists resyncRequired: the other forms are faults a test asks for.
    if kind == "gone" and "delta" in path:
        return GraphError(410, "SyncStateNotFound", "The sync state generation is not found.")
    if kind == "sync_state_not_found" and "delta" in path:
        return GraphError(400, "syncStateNotFound", "The sync state generation is not found. The delta token "
                          "is expired and data must be synchronized again.")
    if kind == "resync_required" and "delta" in path:
        return GraphError(400, "resyncRequired", "The delta token is no longer valid, and the app must reset "
                          "the sync state.")
    # A version conflict may also come as 409 ErrorIrresolvableConflict (Graph errors page: 409 Conflict;
    # community reports of event PATCH / DELETE with a stale change key)
    if kind == "conflict_409":
        return GraphError(409, "ErrorIrresolvableConflict", "The send or update operation could not be "
                          "performed because the change key passed in the request does not match the current "
                          "change key for the item.")
    return None


def not_found():
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
