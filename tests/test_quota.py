"""Quota pacing: the meter's arithmetic, and a burst through the real clients that never meets a 429.

The emulators enforce the providers' quotas (shrunk here to a 100-request window of
one second, so a burst takes seconds instead of minutes); the clients ask a
``QuotaMeter`` before each request. Without the meter the same burst is throttled,
which shows the emulator would catch a meter that lets too much through.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from calsync import sync
from calsync.errors import Backpressure
from calsync.google import GoogleCalendarClient
from calsync.mapping import JobValues
from calsync.microsoft import GraphCalendarClient
from calsync.quota import (
    GOOGLE_LIMIT,
    GOOGLE_PROJECT_LIMIT,
    GRAPH_APP_LIMIT,
    GRAPH_LIMIT,
    MemoryLedger,
    MeterChain,
    QuotaLimit,
    QuotaMeter,
)
from calsync.store import MemoryDatabase


class Clock:
    def __init__(self):
        self.now = 1_000_000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def meter(limit, **kw):
    clock = Clock()
    return QuotaMeter(limit, MemoryLedger(), clock=clock, sleep=clock.sleep, **kw), clock


def test_default_limits_are_the_providers():
    assert (GOOGLE_LIMIT.units, GOOGLE_LIMIT.window) == (600, 60.0)
    assert (GRAPH_LIMIT.units, GRAPH_LIMIT.window) == (10_000, 600.0)


def test_units_within_the_budget_go_at_once_and_are_recorded():
    m, clock = meter(QuotaLimit(100, 60), headroom=0.9)
    for _ in range(9):
        m(10)
    assert m.used() == 90 and clock.slept == []
    assert m.wait_needed(1) > 0  # the budget is 90, not the provider's 100


def test_a_short_wait_is_slept_and_a_long_one_raises_backpressure():
    m, clock = meter(QuotaLimit(10, 4), headroom=1.0, max_inline_wait=5)
    for _ in range(10):
        m(1)
        clock.now += 0.1
    m(1)  # the oldest entry leaves the 4 s window after about 3 s: slept, not raised
    assert len(clock.slept) == 1 and 2.9 < clock.slept[0] < 3.1
    long_meter, clock = meter(QuotaLimit(10, 60), headroom=1.0, max_inline_wait=5)
    for _ in range(10):
        long_meter(1)
    with pytest.raises(Backpressure) as caught:
        long_meter(1)
    assert 59 < caught.value.retry_after <= 61
    assert long_meter.used() == 10  # the refused request was not recorded


def test_the_wait_frees_exactly_what_is_needed():
    m, clock = meter(QuotaLimit(100, 10), headroom=1.0, max_inline_wait=60)
    m(50)
    clock.now += 3
    m(50)
    clock.now += 1
    # 100 used: 50 more need the first entry gone (at +10 s from it, 6 s from now), not both
    assert 5.9 < m.wait_needed(50) < 6.1
    assert m.wait_needed(101) == pytest.approx(m.wait_needed(100))  # a request above the budget waits for all


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        QuotaLimit(0, 60)
    with pytest.raises(ValueError):
        QuotaMeter(GOOGLE_LIMIT, MemoryLedger(), headroom=1.5)


# -- a burst against the emulators, through the real clients ------------------------------------------------
START = datetime(2027, 5, 3, 7, 0, tzinfo=timezone.utc)
LIMIT = QuotaLimit(100, 1.0)


@pytest.fixture(params=["google", "microsoft"])
def quota_world(request, emulator, config, account, ms_emulator, ms_config, ms_cache, ms_account):
    """(emulator, make_client(meter), account) with the emulator's quota switched on and shrunk."""
    if request.param == "google":
        from tests.google_fixtures import sign_in

        token = sign_in(config, account)
        emu, acct = emulator, account

        def make(meter_):
            return GoogleCalendarClient(config, token, sleep=lambda s: None, meter=meter_)
    else:
        emu, acct = ms_emulator, ms_account

        def make(meter_):
            return GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None,
                                       meter=meter_)
    emu.set_quota(per_window=LIMIT.units, window=LIMIT.window, enforce=True)
    yield emu, make, acct
    emu.set_quota(per_window=600 if request.param == "google" else 10_000,
                  window=60 if request.param == "google" else 600, enforce=False)


def office_with_jobs(count):
    db = MemoryDatabase()
    store = db.store("cal")
    for n in range(count):
        start = START + timedelta(hours=n)
        db.data.jobs[n] = JobValues(start=start, end=start + timedelta(hours=1), notes=f"job {n}",
                                    title=f"WO{n:05d}", location="Depot")
        db.data.carried_by[n] = "cal"
        store.new_link(n, uuid.uuid4().hex)
    db.commit()
    return db, store


def push_until_done(client, store):
    """What the job queue does with Backpressure: wait the time it names, then run the push again."""
    waits = []
    for _round in range(100):
        try:
            sync.push(client, store)
            return waits
        except Backpressure as exc:
            waits.append(exc.retry_after)
            time.sleep(exc.retry_after)
    raise AssertionError("the push never finished")


def throttled_answers(emu, since):
    return [r for r in emu.requests_log()[since:] if r.get("status") in (403, 429)]


def test_a_paced_burst_never_meets_the_providers_throttle(quota_world):
    emu, make, account = quota_world
    _db, store = office_with_jobs(400)
    since = len(emu.requests_log())
    paced = QuotaMeter(LIMIT, MemoryLedger(), headroom=0.9, max_inline_wait=0.3)
    handed_back = push_until_done(make(paced), store)
    assert throttled_answers(emu, since) == []
    assert len(emu.live_events(account)) == 400
    assert {link.state for link in store.all_links()} == {"in_sync"}
    assert handed_back or paced.waited  # it did have to slow down: 400 writes do not fit in one window


def test_the_same_burst_unpaced_is_throttled(quota_world):
    emu, make, _account = quota_world
    _db, store = office_with_jobs(400)
    since = len(emu.requests_log())
    with pytest.raises(Exception):  # noqa: B017 - the provider's throttle surfaces as a typed transient error
        sync.push(make(None), store)
    assert throttled_answers(emu, since)


def test_access_token_expiry_is_read_from_both_token_kinds(config, account, ms_cache):
    from calsync.token_expiry import access_token_expiry
    from tests.google_fixtures import sign_in

    now = datetime.now(timezone.utc)
    google = access_token_expiry("google", sign_in(config, account))
    microsoft = access_token_expiry("microsoft", ms_cache)
    for expiry in (google, microsoft):
        assert expiry is not None and now < expiry < now + timedelta(hours=2)
    assert access_token_expiry("google", None) is None
    assert access_token_expiry("microsoft", "not json") is None


def test_project_and_app_limits_are_the_providers():
    assert (GOOGLE_PROJECT_LIMIT.units, GOOGLE_PROJECT_LIMIT.window) == (10_000, 60.0)
    assert (GRAPH_APP_LIMIT.units, GRAPH_APP_LIMIT.window) == (130_000, 10.0)


def test_a_chain_sends_only_what_fits_every_quota_and_records_it_in_each():
    clock = Clock()
    shared = MemoryLedger()
    technicians = [QuotaMeter(QuotaLimit(10, 60), MemoryLedger(), headroom=1.0, clock=clock, sleep=clock.sleep)
                   for _ in range(3)]
    project = QuotaMeter(QuotaLimit(15, 60), shared, headroom=1.0, clock=clock, sleep=clock.sleep)
    chains = [MeterChain(meter, project) for meter in technicians]
    for chain in chains[:2]:
        chain(7)  # each technician well under their own 10
    assert [m.used() for m in technicians] == [7, 7, 0] and project.used() == 14
    with pytest.raises(Backpressure) as raised:
        chains[2](7)  # the third fits its own quota, not the project's
    assert raised.value.retry_after > 5
    # refused means recorded nowhere: neither the technician nor the project counts it
    assert technicians[2].used() == 0 and project.used() == 14
    chains[2](1)
    assert technicians[2].used() == 1 and project.used() == 15 and chains[2].ledger is technicians[2].ledger


def test_a_short_wait_of_the_project_is_slept_by_the_chain():
    clock = Clock()
    own = QuotaMeter(QuotaLimit(100, 60), MemoryLedger(), headroom=1.0, clock=clock, sleep=clock.sleep)
    project = QuotaMeter(QuotaLimit(2, 3), MemoryLedger(), headroom=1.0, clock=clock, sleep=clock.sleep)
    chain = MeterChain(own, project)
    chain(2)
    chain(1)
    assert clock.slept and chain.waited == pytest.approx(sum(clock.slept)) and own.used() == 3
    with pytest.raises(ValueError):
        MeterChain()
