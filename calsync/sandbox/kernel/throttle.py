"""Per-account request quotas and concurrency limits, with a clock tests can move forward.

Both providers limit each user (Google: requests per minute per user; Graph:
requests per 10 minutes and concurrent requests per mailbox). The numbers and
the error each provider answers with belong to the provider; the sliding window,
the in-flight count and the clock are the same, and live here.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class Throttled(Exception):
    """A request over a limit; ``reason`` is ``quota`` or ``concurrency``."""

    def __init__(self, reason, retry_after):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class Throttle:
    def __init__(self, per_window, window, enforce=True, concurrency=None):
        self.per_window = int(per_window)
        self.window = float(window)  # seconds; tests shrink it (with the limit) to burst quickly
        self.enforce = enforce
        self.concurrency = concurrency  # None: no concurrency limit
        self.clock_offset = 0.0  # seconds the quota clock runs ahead of the real one (``advance``)
        self._lock = threading.Lock()
        self._usage: dict[str, deque] = {}
        self._in_flight: dict[str, int] = {}

    def enter(self, account) -> None:
        """Count one request of ``account``; raise ``Throttled`` if it is over a limit (then it is not counted)."""
        if not self.enforce:
            return
        with self._lock:
            now = time.monotonic() + self.clock_offset
            usage = self._usage.setdefault(account, deque())
            while usage and usage[0] < now - self.window:
                usage.popleft()
            if len(usage) >= self.per_window:
                raise Throttled("quota", max(1, int(self.window - (now - usage[0])) + 1))
            if self.concurrency is not None and self._in_flight.get(account, 0) >= self.concurrency:
                raise Throttled("concurrency", 1)
            usage.append(now)
            if self.concurrency is not None:
                self._in_flight[account] = self._in_flight.get(account, 0) + 1

    def leave(self, account) -> None:
        """The request ``enter`` let through has been answered (only matters with a concurrency limit)."""
        if self.enforce and self.concurrency is not None:
            with self._lock:
                self._in_flight[account] = max(0, self._in_flight.get(account, 0) - 1)

    def advance(self, seconds) -> None:
        """As if ``seconds`` had passed: a soak or a test honours a Retry-After without sleeping."""
        with self._lock:
            self.clock_offset += max(0.0, float(seconds))

    def configure(self, per_window=None, window=None, enforce=None) -> dict:
        with self._lock:
            if per_window is not None:
                self.per_window = int(per_window)
            if window is not None:
                self.window = float(window)
            if enforce is not None:
                self.enforce = bool(enforce)
            self._usage.clear()
        return {"per_window": self.per_window, "window": self.window, "enforce": self.enforce}

    def clear_usage(self) -> None:
        with self._lock:
            self._usage.clear()
