"""Quota pacing: stay under the provider's request quota instead of running into its 429s.

Google counts requests per user per minute (every item of a batch counts);
Graph counts requests per mailbox per 10 minutes (every request of a ``$batch``
counts). A throttled provider answers 403/429 and may keep throttling for a
while, so we pace ourselves first: a ``QuotaMeter`` is asked before every
request, keeps the units used in a sliding window below a share of the limit
(the *headroom*), sleeps a moment when the wait is short, and raises
``Backpressure`` when it is long, so the job queue waits instead of a worker.

A sliding window is safe against a provider that counts in fixed windows too:
every fixed window lies inside some sliding one. The ledger of units used is
shared by every worker using the same account (the Odoo addon keeps it in the
database); ``MemoryLedger`` is the in-process one.
"""

from __future__ import annotations

import abc
import threading
import time
from dataclasses import dataclass

from .errors import Backpressure


@dataclass(frozen=True)
class QuotaLimit:
    """``units`` requests per ``window`` seconds, per account (Google user / Graph mailbox)."""

    units: int
    window: float

    def __post_init__(self):
        if self.units < 1 or self.window <= 0:
            raise ValueError("a quota needs at least one unit and a positive window")


#: Google Calendar: 600 requests per minute per user (the default per-user quota of a project)
GOOGLE_LIMIT = QuotaLimit(600, 60.0)
#: Microsoft Graph, Outlook resources: 10,000 requests per 10 minutes per mailbox
GRAPH_LIMIT = QuotaLimit(10_000, 600.0)
#: Google Calendar: 10,000 requests per minute per project, shared by every user the project acts as
#: ("Manage quotas", developers.google.com/workspace/calendar/api/guides/quota)
GOOGLE_PROJECT_LIMIT = QuotaLimit(10_000, 60.0)
#: Microsoft Graph: the global limit of one app, 130,000 requests per 10 seconds across every tenant and
#: mailbox ("Microsoft Graph service limits", learn.microsoft.com/graph/throttling-limits)
GRAPH_APP_LIMIT = QuotaLimit(130_000, 10.0)


class QuotaLedger(abc.ABC):
    """Units used per account, with the time of use (seconds since the epoch)."""

    @abc.abstractmethod
    def usage_since(self, since: float) -> list[tuple[float, int]]:
        """``(at, units)`` entries at or after ``since``, oldest first."""

    @abc.abstractmethod
    def record(self, at: float, units: int) -> None:
        """Note ``units`` used at ``at``."""


class MemoryLedger(QuotaLedger):
    """The ledger of one process (tests, the engine benchmark, the soak)."""

    def __init__(self):
        self._entries: list[tuple[float, int]] = []
        self._lock = threading.Lock()

    def usage_since(self, since):
        with self._lock:
            self._entries = [e for e in self._entries if e[0] >= since]
            return list(self._entries)

    def record(self, at, units):
        with self._lock:
            self._entries.append((at, units))


class _Pacer:
    """The loop every pacer shares: before a request of ``units``, wait while ``wait_needed`` says so
    (a short wait in place, a long one handed to the job queue as ``Backpressure``), then record it."""

    def __call__(self, units: int = 1) -> None:
        while True:
            wait = self.wait_needed(units)
            if wait <= 0:
                self._record(self._clock(), units)
                return
            if wait > self.max_inline_wait:
                raise Backpressure(retry_after=wait)
            self.waited += wait
            self._sleep(wait)


class QuotaMeter(_Pacer):
    """Asked before each request: records its units, or waits, or raises ``Backpressure``.

    ``headroom`` is the share of the limit we allow ourselves: the rest absorbs
    clock skew, other applications on the same account, and the lag with which
    other workers' entries become visible.
    """

    def __init__(self, limit: QuotaLimit, ledger: QuotaLedger, *, headroom: float = 0.9,
                 max_inline_wait: float = 5.0, clock=time.time, sleep=time.sleep):
        if not 0 < headroom <= 1:
            raise ValueError("headroom is a share of the limit, above 0 and at most 1")
        self.limit = limit
        self.ledger = ledger
        self.budget = max(1, int(limit.units * headroom))
        self.max_inline_wait = max_inline_wait
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0  # seconds slept by this meter: the figure the health panel and benchmarks show

    def used(self) -> int:
        """Units used in the current window."""
        now = self._clock()
        return sum(units for _at, units in self.ledger.usage_since(now - self.limit.window))

    def wait_needed(self, units: int) -> float:
        """Seconds until ``units`` more fit in the budget (0 when they fit now)."""
        now = self._clock()
        entries = self.ledger.usage_since(now - self.limit.window)
        used = sum(u for _at, u in entries)
        need = used + min(units, self.budget) - self.budget
        if need <= 0:
            return 0.0
        freed = 0
        for at, entry_units in entries:  # oldest first: they leave the window first
            freed += entry_units
            if freed >= need:
                return max(0.0, at + self.limit.window - now) + 0.01
        return self.limit.window  # pragma: no cover - entries always free enough

    def _record(self, at: float, units: int) -> None:
        self.ledger.record(at, units)


class MeterChain(_Pacer):
    """Several quotas at once: one account's and the project's (or app's) that every account shares.

    Google counts requests per user *and* per project (10,000 per minute for the whole project,
    "Manage quotas", developers.google.com/workspace/calendar/api/guides/quota); an organization
    connection writing as 200 technicians stays under each user's quota and still runs into the
    project's. Graph likewise throttles per mailbox and per app (``GRAPH_APP_LIMIT``). A request goes out
    only when it fits every quota, and is recorded in every ledger then, never in some of them.
    The first meter (the account's) is the one the run's figures read (``ledger``, ``waited``).
    """

    def __init__(self, *meters: QuotaMeter):
        if not meters:
            raise ValueError("a meter chain needs at least one meter")
        self.meters = meters
        self.ledger = meters[0].ledger
        self.limit = meters[0].limit
        self.max_inline_wait = min(m.max_inline_wait for m in meters)
        self._clock = meters[0]._clock
        self._sleep = meters[0]._sleep
        self.waited = 0.0

    def used(self) -> int:
        return self.meters[0].used()

    def wait_needed(self, units: int) -> float:
        return max(meter.wait_needed(units) for meter in self.meters)

    def _record(self, at: float, units: int) -> None:
        for meter in self.meters:
            meter._record(at, units)
