"""Microsoft-specific behaviour of the msal + Graph client and of the emulator, over real HTTPS."""

import http.server
import json
import threading
import time
import warnings
from datetime import timedelta

import pytest

from calsync import sync
from calsync.crypto import TokenCipher, generate_key
from calsync.errors import NeedsReauth, ProviderError, RateLimited
from calsync.events import OpKind, WriteOp
from calsync.microsoft import GraphCalendarClient
from calsync.microsoft import auth as ms_auth
from calsync.sandbox.microsoft import MicrosoftEmulator
from calsync.store import MemoryDatabase
from tests.engine_fixtures import make_job
from tests.microsoft_fixtures import REDIRECT, MsBackdoor, ms_sign_in
from tests.provider_contract import job_event, new_identity


@pytest.fixture
def client(ms_config, ms_cache, ms_account):
    return GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)


@pytest.fixture
def person(ms_emulator, ms_account):
    return MsBackdoor(ms_emulator, ms_account)


def test_auth_code_flow_with_pkce_and_state(ms_config, ms_account):
    flow, params = ms_sign_in(ms_config, ms_account, state="our-signed-state")
    assert "code_challenge" in flow["auth_uri"] and "offline_access" in flow["auth_uri"]
    assert params["state"] == "our-signed-state"
    cache, email = ms_auth.finish_auth(ms_config, flow, params)
    assert email == ms_account and "sbx-mrt-" in cache


def test_the_query_mode_sign_in_warns_nothing(ms_config, ms_account):
    """Query mode is deliberate (see calsync.microsoft.auth): msal's form_post advice is not logged each time."""
    with warnings.catch_warnings(record=True) as caught:
        for _ in range(2):
            flow = ms_auth.start_auth(ms_config, REDIRECT, "our-signed-state", login_hint=ms_account)
        ours = [f for f in warnings.filters if f[1] is not None and "form_post" in f[1].pattern]
    assert "response_mode" not in flow["auth_uri"], "the code comes back in the query"
    assert [str(w.message) for w in caught] == []
    assert len(ours) == 1, "signing in again does not add the filter again"


def test_tampered_state_is_refused(ms_config, ms_account):
    flow, params = ms_sign_in(ms_config, ms_account)
    with pytest.raises(ProviderError, match="did not match"):
        ms_auth.finish_auth(ms_config, flow, dict(params, state="forged"))


def test_a_code_is_used_once(ms_config, ms_account):
    flow, params = ms_sign_in(ms_config, ms_account)
    ms_auth.finish_auth(ms_config, flow, params)
    with pytest.raises(NeedsReauth):
        ms_auth.finish_auth(ms_config, flow, params)


def test_token_cache_survives_encryption_and_refreshes_silently(ms_config, ms_cache, ms_account, ms_emulator):
    cipher = TokenCipher.from_keys([generate_key()])
    stored = cipher.encrypt(ms_cache)
    assert "sbx-m" not in stored
    changed = []
    client = GraphCalendarClient(ms_config, cipher.decrypt(stored), account_email=ms_account,
                                 on_token_cache_changed=changed.append)
    client.list_changes(None)
    ms_emulator.expire_access_tokens()
    client = GraphCalendarClient(ms_config, cipher.decrypt(stored), account_email=ms_account,
                                 on_token_cache_changed=changed.append)
    client.list_changes(None)  # the 401 makes msal refresh, and the caller hears of the new cache
    assert changed and changed[-1] != ms_cache


def test_revoked_consent_needs_reauth(ms_config, ms_cache, ms_account, ms_emulator):
    client = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)
    client.list_changes(None)
    ms_emulator.revoke_consent(ms_account)
    with pytest.raises(NeedsReauth):
        client.list_changes(None)


def test_delta_pages_and_window_exit_is_not_a_deletion(client, person, monkeypatch):
    monkeypatch.setattr("calsync.microsoft.client.PAGE_SIZE", 2)
    events = [client.create(new_identity(), job_event(f"E{n}", hours=n)) for n in range(5)]
    full = client.list_changes(None)
    assert len(full.events) == 5 and full.cursor.startswith("https://")
    far = events[0].data.start + timedelta(days=800)
    person.person_edit(events[0].id, start=far, end=far + timedelta(hours=1))  # leaves the window
    person.person_delete(events[1].id)
    changes = client.list_changes(full.cursor)
    by_id = {e.id: e for e in changes.events}
    assert not by_id[events[0].id].deleted and by_id[events[0].id].data.start == far
    assert by_id[events[1].id].deleted


def test_a_long_delta_read_reports_the_events_read_so_far_after_each_page(client, monkeypatch):
    monkeypatch.setattr("calsync.microsoft.client.PAGE_SIZE", 2)
    for n in range(5):
        client.create(new_identity(), job_event(f"P{n}", hours=n))
    seen = []
    client.on_progress = seen.append
    client.list_changes(None)
    assert seen[-1] == 5 and seen == sorted(seen) and len(seen) >= 3


def test_expired_delta_is_a_full_resync_without_duplicates(client, person):
    db = MemoryDatabase()
    store = db.store("ms")
    for n in range(3):
        db.data.jobs[n] = make_job(n)
        db.data.carried_by[n] = "ms"
        store.new_link(n, new_identity())
    db.commit()
    sync.push(client, store)
    sync.pull(client, store)
    person.expire_cursors()
    report = sync.pull(client, store)
    assert report.full and person.live_count() == 3
    assert {link.state for link in store.links()} == {"in_sync"}


def test_throttling_with_retry_after(client, ms_emulator):
    ms_emulator.inject_fault("rate_limit", retry_after=45, path_contains="/v1.0/")
    with pytest.raises(RateLimited) as caught:
        client.list_changes(None)
    assert caught.value.retry_after == 45


def test_mailbox_concurrency_limit_is_enforced(tls, ms_account):
    strict = MicrosoftEmulator(tls, enforce_limits=True, allow_http_loopback=True).start()
    try:
        from calsync.microsoft import MicrosoftConfig

        config = MicrosoftConfig.sandbox(strict.base_url, tls.cert_path, client_id=strict.client_id,
                                         client_secret=strict.client_secret)
        flow, params = ms_sign_in(config, ms_account)
        cache, _email = ms_auth.finish_auth(config, flow, params)
        strict.inject_fault("slow", count=6, delay=0.5, path_contains="/events")
        outcomes = []

        def one():
            client = GraphCalendarClient(config, cache, account_email=ms_account, sleep=lambda s: None)
            try:
                client.get("missing-event")
                outcomes.append("ok")
            except RateLimited:
                outcomes.append("throttled")
            except ProviderError:
                outcomes.append("ok")

        threads = [threading.Thread(target=one) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcomes.count("throttled") >= 1, outcomes
    finally:
        strict.stop()


def test_a_valid_access_token_is_reused_from_the_cache(ms_config, ms_cache, ms_account, ms_emulator):
    client = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)
    before = ms_emulator.round_trips.get("oauth", 0)
    for n in range(3):
        client.apply([WriteOp(OpKind.CREATE, identity=new_identity(), data=job_event(f"T{n}")) for _ in range(2)])
        client.list_changes(None)
    assert ms_emulator.round_trips.get("oauth", 0) == before  # no token request while the token is valid


def test_a_batch_of_twenty_is_one_round_trip(client, person, ms_emulator):
    ops = [WriteOp(OpKind.CREATE, identity=new_identity(), data=job_event(f"B{n}")) for n in range(20)]
    before = client.requests_sent
    results = client.apply(ops)
    assert all(r.ok for r in results) and client.requests_sent - before == 1
    assert person.live_count() == 20


class _Hook(http.server.BaseHTTPRequestHandler):
    echo = True
    received = []

    def do_POST(self):
        from urllib.parse import parse_qs, urlsplit

        token = parse_qs(urlsplit(self.path).query).get("validationToken")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if token:
            data = token[0].encode() if _Hook.echo else b"nope"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
        else:
            _Hook.received.append(json.loads(body))
            data = b""
            self.send_response(202)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        return


@pytest.fixture
def hook():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received, _Hook.echo = [], True
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_subscription_handshake_notifications_and_lifecycle(client, person, hook, ms_emulator):
    channel = client.watch(hook + "/notify", "client-state-1", "ignored", timedelta(days=7),
                           lifecycle_address=hook + "/lifecycle")
    assert channel.expires_at - channel.expires_at.replace(microsecond=0) < timedelta(seconds=1)
    event = client.create(new_identity(), job_event())
    person.person_edit(event.id, title="moved")
    deadline = time.monotonic() + 5
    while len(_Hook.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    items = [i for payload in _Hook.received for i in payload["value"]]
    assert {i["changeType"] for i in items} >= {"created", "updated"}
    assert all(i["clientState"] == "client-state-1" and i["subscriptionId"] == channel.id for i in items)
    renewed = client.renew(channel, timedelta(days=30))  # capped under 10,080 minutes
    assert renewed.expires_at > channel.expires_at - timedelta(days=5)
    ms_emulator.send_lifecycle(channel.id, "reauthorizationRequired")
    deadline = time.monotonic() + 5
    while not any("lifecycleEvent" in i for p in _Hook.received for i in p["value"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(i.get("lifecycleEvent") == "reauthorizationRequired" for p in _Hook.received for i in p["value"])
    client.unwatch(channel)
    client.unwatch(channel)


def test_a_listener_that_does_not_echo_gets_no_subscription(client, hook):
    _Hook.echo = False
    with pytest.raises(ProviderError, match="400"):
        client.watch(hook + "/notify", "state", "ignored", timedelta(days=1))


def test_recurring_series_come_as_occurrences_and_edits_make_exceptions(client):
    start = (job_event().start + timedelta(days=1)).replace(hour=9)
    master = client._request("POST", f"{client._base()}/events", json={
        "subject": "Daily cold room check", "body": {"contentType": "text", "content": ""},
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "recurrence": {"pattern": {"type": "daily", "interval": 1},
                       "range": {"type": "numbered", "numberOfOccurrences": 3,
                                 "startDate": start.strftime("%Y-%m-%d")}}})
    full = client.list_changes(None)
    occurrences = sorted((e for e in full.events if e.series_id == master["id"]), key=lambda e: e.data.start)
    assert [e.data.start for e in occurrences] == [start + timedelta(days=n) for n in range(3)]
    moved = job_event("Daily cold room check", hours=24 + 5)
    edited = client.update(occurrences[1].id, moved, if_match=occurrences[1].version)
    assert edited.series_id == master["id"]
    changes = client.list_changes(full.cursor)
    assert [e.id for e in changes.events] == [occurrences[1].id]  # only that occurrence, the series untouched
    client.delete(occurrences[2].id)
    # Graph says nothing of a deleted occurrence (microsoft-graph-docs PR #4501): the series comes back
    # changed, listed without it
    after = client.list_changes(changes.cursor)
    assert occurrences[2].id not in {e.id for e in after.events}
    (listing,) = after.series
    assert listing.series_id == master["id"]
    assert listing.occurrence_ids == {occurrences[0].id, occurrences[1].id}
