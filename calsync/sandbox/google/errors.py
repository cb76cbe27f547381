"""Google Calendar's error answers: the JSON shape and the faults a test can inject.

Shape from the Calendar API's "Handle API errors" guide
(developers.google.com/calendar/api/guides/errors): ``error.code``, ``error.message``
and ``error.errors[]`` with ``domain`` / ``reason`` / ``message``.
"""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status, reason, message, headers=None):
        super().__init__(message)
        self.status, self.reason, self.message, self.headers = status, reason, message, headers or {}

    def body(self):
        return {"error": {"code": self.status, "message": self.message,
                          "errors": [{"domain": "global", "reason": self.reason, "message": self.message}]}}


def fault_error(kind, retry_after):
    """The error an injected fault answers with (None: the fault is not an error answer)."""
    if kind == "rate_limit":
        return ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded", {"Retry-After": str(retry_after or 1)})
    if kind == "user_rate_limit":
        return ApiError(403, "userRateLimitExceeded", "User Rate Limit Exceeded",
                        {"Retry-After": str(retry_after or 1)})
    if kind == "quota_exceeded":
        return ApiError(403, "quotaExceeded", "Calendar usage limits exceeded.")
    if kind == "server_error":
        return ApiError(503, "backendError", "Backend Error")
    if kind == "gone":
        return ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
    return None


def parse_error():
    return ApiError(400, "parseError", "Parse Error")
