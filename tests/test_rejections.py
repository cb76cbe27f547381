"""The rejected-request tally: counts everything, keeps the most frequent sources, never grows without bound."""

from calsync.rejections import OTHER_SOURCE, RejectionTally


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def totals(rows):
    out = {}
    for row in rows:
        out[(row.key.reason, row.source)] = out.get((row.key.reason, row.source), 0) + row.count
    return out


def test_counts_per_reason_and_source_with_the_most_frequent_sources_kept():
    tally = RejectionTally(top_sources=2, clock=Clock())
    for _ in range(30):
        tally.add("google", "unknown channel", "10.6.6.6", sample="chan=x")
    for n in range(10):
        tally.add("google", "unknown channel", f"10.0.0.{n}")
    tally.add("google", "unknown channel", "10.0.0.1")
    tally.add("microsoft", "clientState does not match", "10.6.6.6", company=3, connection=7)
    rows = tally.drain()
    assert totals(rows) == {("unknown channel", "10.6.6.6"): 30, ("unknown channel", "10.0.0.1"): 2,
                            ("unknown channel", OTHER_SOURCE): 9, ("clientState does not match", "10.6.6.6"): 1}
    graph = [r for r in rows if r.key.provider == "microsoft"]
    assert (graph[0].key.company, graph[0].key.connection) == (3, 7)
    assert all(len(r.samples) <= 3 for r in rows)
    assert tally.drain() == []


def test_memory_is_bounded_by_distinct_sources_not_requests():
    tally = RejectionTally(max_sources=50, clock=Clock())
    for n in range(10_000):
        tally.add("google", "unknown channel", f"2001:db8::{n:x}")
    (bucket,) = tally._buckets.values()
    assert len(bucket.sources) == 51  # 50 sources and 'other'
    assert sum(bucket.sources.values()) == 10_000


def test_minutes_are_separate_rows():
    clock = Clock(1_800_000_000.0 - 1_800_000_000.0 % 60)
    tally = RejectionTally(clock=clock)
    tally.add("google", "unknown channel", "a")
    clock.now += 60
    tally.add("google", "unknown channel", "a")
    assert sorted(r.key.minute for r in tally.drain()) == [clock.now - 60, clock.now]


def test_a_drain_is_due_only_after_its_interval_and_a_failed_write_loses_nothing():
    clock = Clock()
    tally = RejectionTally(flush_seconds=2, clock=clock)
    assert not tally.due()
    tally.add("google", "unknown channel", "a")
    assert not tally.due()
    clock.now += 2
    assert tally.due()
    try:
        with tally.try_drain() as rows:
            assert totals(rows) == {("unknown channel", "a"): 1}
            raise ConnectionError("database went away")
    except ConnectionError:
        pass
    with tally.try_drain() as rows:
        assert totals(rows) == {("unknown channel", "a"): 1}


def test_one_drain_at_a_time():
    tally = RejectionTally(clock=Clock())
    first = tally.try_drain()
    with first:
        assert tally.try_drain() is None
    assert tally.try_drain() is not None
