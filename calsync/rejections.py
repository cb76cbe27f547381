"""A bounded, in-memory tally of rejected webhook requests, drained into per-minute aggregate rows.

A forged request must not cost a database row: each rejection is only counted
here, per minute, provider, reason, tenant and source, with a few samples. A
receiver drains the tally into the database at most every few seconds, so a
flood of forgeries costs a handful of writes per worker, whatever its rate.
Memory stays bounded too: past ``max_sources`` distinct sources for one key
in one minute, further sources are counted under ``OTHER_SOURCE``, and when
draining only the ``top_sources`` most frequent keep a row of their own.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

OTHER_SOURCE = "other"
TOP_SOURCES = 5
MAX_SOURCES = 200
MAX_SAMPLES = 3


@dataclass(frozen=True)
class RejectionKey:
    """What one aggregate row counts; ``company``/``connection`` are known only when the channel is ours."""

    minute: int  # seconds since the epoch, truncated to the minute
    provider: str
    reason: str
    company: int | None = None
    connection: int | None = None


@dataclass
class RejectionRow:
    key: RejectionKey
    source: str
    count: int
    samples: list[str] = field(default_factory=list)
    last_seen: float = 0.0


@dataclass
class _Bucket:
    sources: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    last_seen: float = 0.0


class RejectionTally:
    """Thread-safe counts of rejections, drained in one piece; never more than a bounded number of entries."""

    def __init__(self, *, top_sources: int = TOP_SOURCES, max_sources: int = MAX_SOURCES,
                 max_samples: int = MAX_SAMPLES, flush_seconds: float = 2.0, clock=time.time):
        self.top_sources = top_sources
        self.max_sources = max_sources
        self.max_samples = max_samples
        self.flush_seconds = flush_seconds
        self.clock = clock
        self._buckets: dict[RejectionKey, _Bucket] = {}
        self._lock = threading.Lock()
        self._drain_lock = threading.Lock()
        self._last_drain = clock()

    def add(self, provider: str, reason: str, source: str | None, *, company: int | None = None,
            connection: int | None = None, sample: str = "", count: int = 1) -> None:
        now = self.clock()
        key = RejectionKey(int(now // 60 * 60), provider, reason[:120], company, connection)
        source = (source or "unknown")[:64]
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket())
            if source not in bucket.sources and len(bucket.sources) >= self.max_sources:
                source = OTHER_SOURCE
            bucket.sources[source] = bucket.sources.get(source, 0) + count
            kept = bucket.samples.setdefault(source, [])
            if sample and len(kept) < self.max_samples:
                kept.append(f"{time.strftime('%H:%M:%S', time.gmtime(now))} {sample}"[:80])
            bucket.last_seen = now

    def due(self) -> bool:
        """Whether a drain is owed now (something counted and the flush interval passed)."""
        return bool(self._buckets) and self.clock() - self._last_drain >= self.flush_seconds

    def drain(self) -> list[RejectionRow]:
        """Everything counted so far, as rows: the most frequent sources per key, the rest as ``other``."""
        with self._lock:
            buckets, self._buckets = self._buckets, {}
            self._last_drain = self.clock()
        rows = []
        for key, bucket in buckets.items():
            ranked = sorted(bucket.sources.items(), key=lambda item: (-item[1], item[0]))
            kept = [item for item in ranked if item[0] != OTHER_SOURCE][: self.top_sources]
            rest = sum(n for source, n in ranked if (source, n) not in kept)
            for source, n in kept:
                rows.append(RejectionRow(key, source, n, bucket.samples.get(source, []), bucket.last_seen))
            if rest:
                samples = [s for source, _n in ranked if (source, _n) not in kept
                           for s in bucket.samples.get(source, [])][: self.max_samples]
                rows.append(RejectionRow(key, OTHER_SOURCE, rest, samples, bucket.last_seen))
        return rows

    def restore(self, rows: list[RejectionRow]) -> None:
        """Put drained rows back (their write failed): counted again at the next drain, nothing lost."""
        with self._lock:
            for row in rows:
                bucket = self._buckets.setdefault(row.key, _Bucket())
                bucket.sources[row.source] = bucket.sources.get(row.source, 0) + row.count
                kept = bucket.samples.setdefault(row.source, [])
                kept.extend(row.samples[: max(0, self.max_samples - len(kept))])
                bucket.last_seen = max(bucket.last_seen, row.last_seen)

    def try_drain(self):
        """A drain for one caller at a time: others go on at once instead of waiting (``None``)."""
        if not self._drain_lock.acquire(blocking=False):
            return None
        return _Draining(self)


class _Draining:
    """Context of one drain: ``rows`` to write; on an exception they go back into the tally."""

    def __init__(self, tally: RejectionTally):
        self.tally = tally
        self.rows: list[RejectionRow] = []

    def __enter__(self):
        self.rows = self.tally.drain()
        return self.rows

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                self.tally.restore(self.rows)
        finally:
            self.tally._drain_lock.release()
        return False
