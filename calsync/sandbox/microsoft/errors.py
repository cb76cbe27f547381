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
    if kind == "gone" and "delta" in path:
        return GraphError(410, "SyncStateNotFound", "The sync state generation is not found.")
    return None


def not_found():
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
