"""Google-specific behaviour of the client and the emulator, over real HTTPS with the real libraries."""

import http.server
import threading
import time
from datetime import timedelta

import pytest

from calsync import sync
from calsync.errors import NeedsReauth, ProviderError, QuotaExhausted, RateLimited, TransientError
from calsync.google import GoogleCalendarClient
from calsync.google.client import PAGE_SIZE
from calsync.sandbox.google import GoogleEmulator
from calsync.store import MemoryDatabase
from tests.engine_fixtures import make_job
from tests.google_fixtures import sign_in
from tests.provider_contract import job_event, new_identity


def test_listing_follows_pages_and_the_sync_token_comes_last(provider, emulator, account, monkeypatch):
    monkeypatch.setattr("calsync.google.client.PAGE_SIZE", 3)
    for n in range(7):
        provider.create(new_identity(), job_event(f"J{n}", hours=n))
    before = len(emulator.requests_log())
    full = provider.list_changes(None)
    lists = [r for r in emulator.requests_log()[before:] if r["method"] == "GET"]
    assert len(full.events) == 7 and len(lists) == 3  # 3 + 3 + 1
    assert all("syncToken" not in r["query"] for r in lists)
    assert full.cursor
    assert PAGE_SIZE == 2500


def test_a_long_read_reports_the_events_read_so_far_after_each_page(provider, monkeypatch):
    monkeypatch.setattr("calsync.google.client.PAGE_SIZE", 3)
    for n in range(7):
        provider.create(new_identity(), job_event(f"P{n}", hours=n))
    seen = []
    provider.on_progress = seen.append
    provider.list_changes(None)
    assert seen == [3, 6, 7]  # no total: the list never says in advance how many will come


def test_sync_token_with_a_time_window_is_refused_by_the_emulator(provider, emulator, config):
    cursor = provider.list_changes(None).cursor
    request = provider._events.list(calendarId="primary", syncToken=cursor, timeMin="2026-01-01T00:00:00Z")
    with pytest.raises(ProviderError) as caught:
        provider._execute(request)
    assert caught.value.status == 400


def test_deleted_id_stays_taken_and_create_restores_it(provider, backdoor):
    identity = new_identity()
    event = provider.create(identity, job_event())
    provider.delete(event.id, if_match=event.version)
    restored = provider.create(identity, job_event(description="back again"))
    assert restored.id == event.id and not restored.deleted
    assert restored.data.description == "back again"
    assert backdoor.live_count() == 1


def test_client_ids_must_be_base32hex(provider):
    with pytest.raises(ProviderError) as caught:
        provider.create("Not-Base32hex-WXYZ", job_event())
    assert caught.value.status == 400


def test_short_retry_after_is_honoured_in_process(config, token, emulator):
    waits = []
    client = GoogleCalendarClient(config, token, sleep=waits.append)
    emulator.inject_fault("rate_limit", retry_after=2, path_contains="/calendar/v3/")
    emulator.inject_fault("server_error", path_contains="/calendar/v3/")
    client.list_changes(None)
    assert waits[0] == 2.0  # Retry-After, not the library's own backoff
    assert len(waits) == 2 and waits[1] < 1


def test_long_retry_after_and_persistent_errors_go_to_the_caller_bounded(config, token, emulator):
    waits = []
    client = GoogleCalendarClient(config, token, sleep=waits.append)
    emulator.inject_fault("user_rate_limit", retry_after=90, path_contains="/calendar/v3/")
    with pytest.raises(RateLimited) as caught:
        client.list_changes(None)
    assert caught.value.retry_after == 90 and caught.value.reason == "userRateLimitExceeded" and waits == []
    emulator.inject_fault("server_error", count=10, path_contains="/calendar/v3/")
    with pytest.raises(TransientError):
        client.list_changes(None)
    assert len(waits) == 2  # three attempts in all, then the job layer decides
    emulator.faults.clear()


def test_daily_quota_is_told_apart_from_rate_limits(config, token, emulator):
    client = GoogleCalendarClient(config, token, sleep=lambda s: None)
    emulator.inject_fault("quota_exceeded", path_contains="/calendar/v3/")
    with pytest.raises(QuotaExhausted):
        client.list_changes(None)


def test_quota_enforced_per_user_per_minute(tls):
    strict = GoogleEmulator(tls, enforce_quotas=True, quota_per_minute=5, allow_http_loopback=True).start()
    try:
        from calsync.google import GoogleConfig

        cfg = GoogleConfig.sandbox(strict.base_url, tls.cert_path, strict.client_id, strict.client_secret)
        client = GoogleCalendarClient(cfg, sign_in(cfg, "busy@example.test"), sleep=lambda s: None)
        for _ in range(5):
            client.get("nonexistent0")
        with pytest.raises(RateLimited) as caught:
            client.get("nonexistent0")
        assert caught.value.reason == "userRateLimitExceeded" and caught.value.retry_after > 5
    finally:
        strict.stop()


def test_expired_access_token_is_refreshed_and_reported(config, token, emulator):
    refreshed = []
    client = GoogleCalendarClient(config, token, on_token_refresh=refreshed.append, sleep=lambda s: None)
    emulator.expire_access_tokens()
    client.list_changes(None)
    assert len(refreshed) == 1 and "sbx-gat-" in refreshed[0]
    assert '"client_secret"' not in refreshed[0]


def test_revoked_grant_needs_reauth(config, account, emulator):
    client = GoogleCalendarClient(config, sign_in(config, account), sleep=lambda s: None)
    emulator.revoke_consent(account)
    with pytest.raises(NeedsReauth):
        client.list_changes(None)


def _code(config):
    """Authorize as the browser would and return (code, verifier)."""
    import urllib.parse

    import requests

    from calsync.google import oauth

    url, verifier = oauth.authorization_url(config, "https://odoo.example.test/cb", "s")
    session = requests.Session()
    session.trust_env = False
    location = session.get(url, allow_redirects=False, verify=config.ca_certs).headers["Location"]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["code"], verifier


def test_a_used_code_cannot_be_exchanged_twice(config):
    from calsync.google import oauth

    code, verifier = _code(config)
    oauth.exchange_code(config, "https://odoo.example.test/cb", code, verifier)
    with pytest.raises(NeedsReauth):
        oauth.exchange_code(config, "https://odoo.example.test/cb", code, verifier)


def test_a_wrong_pkce_verifier_is_refused(config):
    from calsync.google import oauth

    code, _verifier = _code(config)
    with pytest.raises(NeedsReauth):
        oauth.exchange_code(config, "https://odoo.example.test/cb", code, "x" * 50)


class _Listener(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        _Listener.received.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        return


def test_push_notifications_reach_a_listener_with_google_headers(provider, backdoor):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Listener.received = []
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}/hook"
        channel = provider.watch(address, "chan-token-1", "chan" + new_identity()[:20], timedelta(hours=1))
        event = provider.create(new_identity(), job_event())
        backdoor.person_edit(event.id, title="moved")
        deadline = time.monotonic() + 5
        while len(_Listener.received) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        states = [h["x-goog-resource-state"] for h in _Listener.received]
        assert states[0] == "sync" and states.count("exists") >= 2
        for headers in _Listener.received:
            assert headers["x-goog-channel-id"] == channel.id
            assert headers["x-goog-resource-id"] == channel.resource_id
            assert headers["x-goog-channel-token"] == "chan-token-1"
        numbers = [int(h["x-goog-message-number"]) for h in _Listener.received]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        provider.unwatch(channel)
        provider.unwatch(channel)  # stopping twice is harmless
        count = len(_Listener.received)
        backdoor.person_edit(event.id, title="again")
        time.sleep(0.3)
        assert len(_Listener.received) == count
    finally:
        server.shutdown()


def test_full_resync_after_410_matches_links_without_duplicates(provider, backdoor, emulator):
    db = MemoryDatabase()
    store = db.store("google")
    for n in range(3):
        db.data.jobs[n] = make_job(n)
        db.data.carried_by[n] = "google"
        store.new_link(n, new_identity())
    db.commit()
    sync.push(provider, store)
    sync.pull(provider, store)
    backdoor.expire_cursors()
    emulator.inject_fault("gone", path_contains="/events")
    report = sync.pull(provider, store)
    assert report.full
    assert backdoor.live_count() == 3
    assert {link.state for link in store.links()} == {"in_sync"}


def test_batch_costs_one_round_trip_per_fifty_writes(provider, emulator, backdoor):
    from calsync.events import OpKind, WriteOp

    ops = [WriteOp(OpKind.CREATE, identity=new_identity(), data=job_event(f"B{n}")) for n in range(50)]
    before = provider.requests_sent
    results = provider.apply(ops)
    assert all(r.ok for r in results)
    assert provider.requests_sent - before == 1
    assert backdoor.live_count() == 50


def test_recurring_series_come_as_occurrences_and_edits_make_exceptions(provider, emulator, account):
    body = {"summary": "Weekly boiler check", "start": {"dateTime": "2026-12-01T09:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-01T10:00:00Z", "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}
    master = provider._execute(provider._events.insert(calendarId="primary", body=body))
    full = provider.list_changes(None)
    occurrences = sorted((e for e in full.events if e.series_id == master["id"]), key=lambda e: e.data.start)
    assert [e.data.start.day for e in occurrences] == [1, 8, 15]
    assert all(e.original_start == e.data.start for e in occurrences)
    second = occurrences[1]
    moved = job_event("Weekly boiler check", hours=7 * 24 + 5)
    edited = provider.update(second.id, moved, if_match=second.version)
    assert edited.series_id == master["id"] and edited.data.start.hour == 14
    changes = provider.list_changes(full.cursor)
    assert [e.id for e in changes.events] == [second.id]
    instances = provider._execute(provider._events.instances(calendarId="primary", eventId=master["id"]))
    assert [i["start"]["dateTime"][:13] for i in instances["items"]] == [
        "2026-12-01T09", "2026-12-08T14", "2026-12-15T09"]  # only that occurrence moved
    provider.delete(occurrences[2].id, if_match=occurrences[2].version)
    (cancelled,) = provider.list_changes(changes.cursor).events
    assert cancelled.id == occurrences[2].id and cancelled.deleted
