"""Microsoft Graph facts the emulator holds and the engine survives, driven by the real client (msal + requests).

Each test names the fact of the provider-fidelity issue it holds (Graph facts 1-8 and 14) and the
Microsoft document it comes from; the emulator rule beside it cites the same document.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
import urllib.parse
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calsync import sync
from calsync.errors import PreconditionFailed, RateLimited, SyncTokenExpired
from calsync.events import EventData, OpKind, WriteOp
from calsync.mapping import JobValues, event_values, to_base
from calsync.microsoft import GraphCalendarClient
from calsync.microsoft.client import MAX_SUBSCRIPTION
from calsync.microsoft.errors import translate
from calsync.microsoft.parse import parse_event
from calsync.store import MemoryDatabase
from tests.engine_fixtures import make_job
from tests.provider_contract import job_event, new_identity


class _Listener(http.server.BaseHTTPRequestHandler):
    """A notification endpoint: echoes Graph's validation token, records notifications."""

    received: list = []

    def do_POST(self):
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("validationToken")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if token:
            data, status = token[0].encode(), 200
        else:
            _Listener.received.append(json.loads(body))
            data, status = b"", 202
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        return


@pytest.fixture
def hook():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Listener.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}"  # plain http on loopback: the sandbox's allowance
    server.shutdown()


SEVEN_DIGITS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$")


@pytest.fixture
def client(ms_config, ms_cache, ms_account):
    return GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)


def raw(client, method, path, json=None, headers=None):
    """One Graph request as the wire has it: (status, body)."""
    url = path if path.startswith("https://") else f"{client.config.graph_base}{path}"
    answer = client.session.request(method, url, json=json, timeout=10,
                                    headers={"Authorization": f"Bearer {client._token()}", **(headers or {})})
    try:
        body = answer.json()
    except ValueError:
        body = None
    return answer.status_code, body


def _event_body(subject="WO-1", start=datetime(2026, 12, 1, 9, 0), zone="UTC", **extra):
    return {"subject": subject, "body": {"contentType": "text", "content": "notes"},
            "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": zone},
            "end": {"dateTime": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": zone},
            **extra}


def _office(client, count):
    """A store with ``count`` jobs owed to the calendar."""
    db = MemoryDatabase()
    store = db.store("ms")
    for n in range(count):
        db.data.jobs[n] = make_job(n)
        db.data.carried_by[n] = "ms"
        store.new_link(n, new_identity())
    db.commit()
    return db, store


# -- fact 1: $batch shapes, per-item 429 and 424 ---------------------------------------------------------
def _item(n, **extra):
    return {"id": str(n), "method": "POST", "url": "/me/events", "headers": {"Content-Type": "application/json"},
            "body": _event_body(f"B{n}"), **extra}


def test_batch_refuses_several_dependson_chains(client):
    """json-batching known issues / microsoft-graph-docs #16280: two chains are 400, whole."""
    items = [_item(1), _item(2), _item(3, dependsOn=["1"]), _item(4, dependsOn=["2"])]
    status, body = raw(client, "POST", "/$batch", json={"requests": items})
    assert status == 400 and "fully sequential or fully parallel" in body["error"]["message"]


@pytest.mark.parametrize("shape", ["parallel", "serial", "same"])
def test_batch_takes_the_three_shapes_graph_accepts(client, shape):
    deps = {"parallel": lambda n: None, "serial": lambda n: str(n - 1) if n > 1 else None,
            "same": lambda n: "1" if n > 1 else None}[shape]
    items = [_item(n, **({"dependsOn": [deps(n)]} if deps(n) else {})) for n in range(1, 7)]
    status, body = raw(client, "POST", "/$batch", json={"requests": items})
    assert status == 200 and sorted(r["status"] for r in body["responses"]) == [201] * 6


def test_batch_refuses_duplicate_ids_and_a_body_without_content_type(client):
    status, body = raw(client, "POST", "/$batch", json={"requests": [_item(1), _item(1)]})
    assert status == 400 and body["error"]["code"]
    bare = {"id": "1", "method": "POST", "url": "/me/events", "body": _event_body()}
    status, body = raw(client, "POST", "/$batch", json={"requests": [bare]})
    assert status == 400 and "Content-Type" in body["error"]["message"]


def test_a_serial_batch_fails_the_items_after_a_failed_one_with_424(client):
    items = [_item(1), {"id": "2", "method": "PATCH", "url": "/me/events/no-such-event", "dependsOn": ["1"],
                        "headers": {"Content-Type": "application/json"}, "body": {"subject": "x"}},
             _item(3, dependsOn=["2"])]
    status, body = raw(client, "POST", "/$batch", json={"requests": items})
    by_id = {r["id"]: r["status"] for r in body["responses"]}
    assert status == 200 and by_id == {"1": 201, "2": 404, "3": 424}


def test_a_push_of_25_changes_goes_out_in_parallel_batches(client, ms_emulator, ms_account):
    _db, store = _office(client, 25)
    before = client.requests_sent
    report = sync.push(client, store)
    assert report.created == 25 and report.errors == 0
    assert client.requests_sent - before == 2  # 20 + 5, each a parallel batch Graph accepts
    assert len(ms_emulator.live_events(ms_account)) == 25


def test_items_throttled_alone_are_sent_again_after_retry_after(client, ms_emulator, ms_account):
    """An item may fail alone with 429 + Retry-After (Graph throttling guidance): only it is sent again."""
    _db, store = _office(client, 8)
    slept = []
    client._sleep = slept.append
    ms_emulator.inject_fault("rate_limit", count=3, retry_after=2, path_contains="/me/events")
    before = client.requests_sent
    report = sync.push(client, store)
    assert report.created == 8 and slept == [2]
    assert client.requests_sent - before == 2
    assert len(ms_emulator.live_events(ms_account)) == 8, "nothing lost, nothing duplicated"
    assert {link.state for link in store.links()} == {"in_sync"}


def test_a_long_retry_after_leaves_the_throttled_items_owed(client, ms_emulator, ms_account):
    _db, store = _office(client, 5)
    ms_emulator.inject_fault("rate_limit", count=2, retry_after=90, path_contains="/me/events")
    with pytest.raises(RateLimited) as caught:
        sync.push(client, store)
    assert caught.value.retry_after == 90
    states = sorted(link.state for link in store.links())
    assert states == ["in_sync"] * 3 + ["pending_push"] * 2
    sync.push(client, store)  # the job layer's retry: the two owed creates land, once each
    assert len(ms_emulator.live_events(ms_account)) == 5


def test_an_item_applied_then_failed_is_not_duplicated(client, ms_emulator, ms_account):
    _db, store = _office(client, 4)
    ms_emulator.inject_fault("apply_then_fail", count=1, path_contains="/me/events")
    report = sync.push(client, store)
    assert report.created == 4
    assert len(ms_emulator.live_events(ms_account)) == 4


@pytest.fixture
def strict(tls, ms_account):
    """An emulator with Graph's mailbox limits on (4 concurrent requests, a request quota per window)."""
    from calsync.microsoft import MicrosoftConfig
    from calsync.microsoft import auth as ms_auth
    from calsync.sandbox.microsoft import MicrosoftEmulator
    from tests.microsoft_fixtures import ms_sign_in

    emulator = MicrosoftEmulator(tls, enforce_limits=True, duplicate_notifications=0).start()
    config = MicrosoftConfig.sandbox(emulator.base_url, tls.cert_path, client_id=emulator.client_id,
                                     client_secret=emulator.client_secret)
    flow, params = ms_sign_in(config, ms_account)
    cache, _email = ms_auth.finish_auth(config, flow, params)
    yield emulator, GraphCalendarClient(config, cache, account_email=ms_account, sleep=lambda s: None)
    emulator.stop()


def test_a_lone_parallel_batch_stays_within_the_mailbox_concurrency_limit(strict, ms_account):
    """Graph hands a parallel batch's items to Outlook at most four at a time (Outlook service limits)."""
    emulator, client = strict
    _db, store = _office(client, 20)
    report = sync.push(client, store)
    assert report.created == 20 and report.errors == 0
    assert len(emulator.live_events(ms_account)) == 20


def test_each_batch_item_counts_against_the_mailbox_quota(strict, ms_account):
    emulator, client = strict
    emulator.set_quota(per_window=12, window=600)
    _db, store = _office(client, 15)
    with pytest.raises(RateLimited) as caught:
        sync.push(client, store)  # one HTTP request, but fifteen against the quota: three are refused
    assert caught.value.retry_after > 5
    assert sorted(link.state for link in store.links()) == ["in_sync"] * 12 + ["pending_push"] * 3
    emulator.advance_clock(601)
    sync.push(client, store)
    assert len(emulator.live_events(ms_account)) == 15


# -- fact 2: UTC answers unless Prefer: outlook.timezone ----------------------------------------------------
def test_times_come_back_in_utc_unless_a_zone_is_preferred(client):
    berlin = datetime(2026, 7, 1, 9, 0)
    _status, created = raw(client, "POST", "/me/events", json=_event_body(start=berlin, zone="Europe/Berlin"))
    _status, event = raw(client, "GET", f"/me/events/{created['id']}")
    assert event["start"]["timeZone"] == "UTC" and SEVEN_DIGITS.match(event["start"]["dateTime"])
    assert event["start"]["dateTime"] == "2026-07-01T07:00:00.0000000"
    assert event["createdDateTime"].endswith("Z") and event["lastModifiedDateTime"].endswith("Z")
    _status, local = raw(client, "GET", f"/me/events/{created['id']}",
                         headers={"Prefer": 'outlook.timezone="Europe/Berlin"'})
    assert local["start"] == {"dateTime": "2026-07-01T09:00:00.0000000", "timeZone": "Europe/Berlin"}
    # the engine reads both answers as the same instant
    instant = datetime(2026, 7, 1, 7, 0, tzinfo=timezone.utc)
    assert parse_event(event).data.start == instant == parse_event(local).data.start
    assert client.get(created["id"]).data.start == instant


# -- fact 3: delta stubs, series masters, instances -------------------------------------------------------
def _series(ms_emulator, account, count=4, **fields):
    start = datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc)
    fields = {"title": "Daily cold room check", "start": start, "end": start + timedelta(hours=1),
              "description": "Check the cold room", **fields}
    series = ms_emulator.person_create_series(account, fields, f"FREQ=DAILY;COUNT={count}")
    return series, start


def test_delta_returns_the_master_and_occurrence_stubs(client, ms_emulator, ms_account):
    series, _start = _series(ms_emulator, ms_account)
    _status, page = raw(client, "GET", "/me/calendarView/delta?startDateTime=2027-02-01T00:00:00Z"
                                       "&endDateTime=2027-04-01T00:00:00Z")
    items = page["value"]
    masters = [i for i in items if i.get("type") == "seriesMaster"]
    occurrences = [i for i in items if i.get("type") == "occurrence"]
    assert [m["id"] for m in masters] == [series] and masters[0]["subject"] == "Daily cold room check"
    assert len(occurrences) == 4
    for stub in occurrences:
        assert set(stub) <= {"@odata.type", "@odata.etag", "id", "type", "seriesMasterId", "start", "end"}
        assert stub["seriesMasterId"] == series


class StubReadingClient(GraphCalendarClient):
    """The real client, minus its /instances read: the engine gets the delta stubs as Graph sends them."""

    @staticmethod
    def _complete_stubs(events, listed):
        return events


def test_a_stub_never_empties_a_job(ms_config, ms_cache, ms_account, ms_emulator):
    """Absent is not empty: an occurrence stub has no subject or body; the job keeps its notes and title."""
    client = StubReadingClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)
    series, start = _series(ms_emulator, ms_account, count=3)
    instances = client.series_instances(series, start - timedelta(days=1), start + timedelta(days=5))
    db = MemoryDatabase()
    store = db.store("ms")
    first = instances[0]
    values = event_values(first)
    db.data.jobs["j"] = JobValues(start=values["start"], end=values["end"], notes=values["notes"],
                                  title=first.data.title, location=first.data.location)
    db.data.carried_by["j"] = "ms"
    link = store.new_link("j", "occurrence-0")
    link.event_id, link.version, link.state, link.base = first.id, first.version, "in_sync", to_base(values)
    store.save_link(link)
    db.commit()
    # a series edit: delta sends the master and its occurrences again, the occurrences as stubs
    ms_emulator.person_edit(series, {"description": "Check the freezer too"}, account=ms_account)
    changes = client.list_changes(None)
    stub = next(e for e in changes.events if e.id == first.id)
    assert stub.unknown == {"title", "description", "location"} and stub.data.description == ""
    report = sync.pull(client, store, full=True)
    job = db.data.jobs["j"]
    assert job.notes == "Check the cold room" and job.title == "Daily cold room check"  # unknown, not emptied
    assert (job.start, job.end) == (first.data.start, first.data.end)
    assert report.applied == 0 and store.links()[0].state == "in_sync"


def test_the_client_reads_full_occurrences_for_the_stubs(client, ms_emulator, ms_account):
    series, _start = _series(ms_emulator, ms_account, count=3)
    ms_emulator.person_edit(series, {"description": "Check the cold room and the freezer"}, account=ms_account)
    occurrences = [e for e in client.list_changes(None).events if e.series_id == series]
    assert len(occurrences) == 3 and all(not e.unknown for e in occurrences)
    assert {event_values(e)["notes"] for e in occurrences} == {"Check the cold room and the freezer"}


def test_instances_need_a_window_and_page(client, ms_emulator, ms_account):
    series, start = _series(ms_emulator, ms_account, count=5)
    status, body = raw(client, "GET", f"/me/events/{series}/instances")
    assert status == 400 and body["error"]["code"]
    window = "startDateTime=2027-02-01T00:00:00Z&endDateTime=2027-04-01T00:00:00Z"
    status, page = raw(client, "GET", f"/me/events/{series}/instances?{window}",
                       headers={"Prefer": "odata.maxpagesize=2"})
    assert status == 200 and len(page["value"]) == 2 and page["@odata.nextLink"]
    assert all(i["subject"] == "Daily cold room check" and i["iCalUId"] for i in page["value"])
    assert len(client.series_instances(series, start - timedelta(days=1), start + timedelta(days=9))) == 5


def test_recurrence_comes_back_with_every_property(client, ms_emulator, ms_account):
    series, _start = _series(ms_emulator, ms_account)
    _status, master = raw(client, "GET", f"/me/events/{series}")
    pattern, span = master["recurrence"]["pattern"], master["recurrence"]["range"]
    assert set(pattern) >= {"type", "interval", "month", "dayOfMonth", "daysOfWeek", "firstDayOfWeek", "index"}
    assert set(span) >= {"type", "startDate", "endDate", "recurrenceTimeZone", "numberOfOccurrences"}
    assert pattern["type"] == "daily" and span["numberOfOccurrences"] == 4


# -- fact 4: every expired-sync-state answer resyncs ----------------------------------------------------
@pytest.mark.parametrize("status, code", [(410, "SyncStateNotFound"), (400, "syncStateNotFound"),
                                          (400, "resyncRequired"), (410, "ResyncRequired")])
def test_every_expired_sync_state_answer_means_resync(status, code):
    assert isinstance(translate(status, {}, {"error": {"code": code}}), SyncTokenExpired)


@pytest.mark.parametrize("kind", ["gone", "sync_state_not_found", "resync_required"])
def test_an_expired_delta_token_is_a_full_resync_without_duplicates(client, ms_emulator, ms_account, kind):
    _db, store = _office(client, 3)
    sync.push(client, store)
    sync.pull(client, store)
    ms_emulator.inject_fault(kind, path_contains="/calendarView/delta")
    report = sync.pull(client, store)
    assert report.full and len(ms_emulator.live_events(ms_account)) == 3
    assert {link.state for link in store.links()} == {"in_sync"}


def test_the_default_expiry_answer_is_410_syncstatenotfound(client, ms_emulator, ms_account):
    cursor = client.list_changes(None).cursor
    ms_emulator.expire_sync_state(ms_account)
    status, body = raw(client, "GET", cursor)
    assert status == 410 and body["error"]["code"] == "SyncStateNotFound"


# -- fact 5: 409 re-plans like 412 ------------------------------------------------------------------------
def test_a_409_conflict_is_a_precondition_failure():
    assert isinstance(translate(409, {}, {"error": {"code": "ErrorIrresolvableConflict"}}), PreconditionFailed)
    assert not isinstance(translate(409, {}, {"error": {"code": "ErrorFolderExists"}}), PreconditionFailed)


def test_a_409_on_push_is_re_planned(client, ms_emulator, ms_account):
    db, store = _office(client, 1)
    sync.push(client, store)
    link = store.links()[0]
    db.data.jobs[0] = replace(db.data.jobs[0], notes="new notes")
    store.mark_owed(0)
    db.commit()
    ms_emulator.inject_fault("conflict_409", path_contains="/me/events/")
    report = sync.push(client, store)
    assert report.replanned == 1
    sync.push(client, store)
    assert client.get(link.event_id).data.description.startswith("new notes")


# -- fact 6: event paths -----------------------------------------------------------------------------------
def test_every_event_path_addresses_the_same_events(client):
    status, created = raw(client, "POST", "/me/calendar/events", json=_event_body("via calendar"))
    assert status == 201
    _status, calendars = raw(client, "GET", "/me/calendars")
    calendar_id = calendars["value"][0]["id"]
    status, second = raw(client, "POST", f"/me/calendars/{calendar_id}/events", json=_event_body("via id"))
    assert status == 201
    _status, listed = raw(client, "GET", "/me/events")
    assert {created["id"], second["id"]} <= {e["id"] for e in listed["value"]}
    _status, view = raw(client, "GET", "/me/calendarView?startDateTime=2026-11-30T00:00:00Z"
                                       "&endDateTime=2026-12-03T00:00:00Z")
    assert {created["id"], second["id"]} <= {e["id"] for e in view["value"]}
    status, got = raw(client, "GET", f"/me/calendars/{calendar_id}/events/{second['id']}")
    assert status == 200 and got["subject"] == "via id"


@pytest.mark.parametrize("method, path", [("GET", "/me/nothing-here"), ("POST", "/me/calendarView"),
                                          ("GET", "/me/events/x/y/z"), ("PATCH", "/subscriptions")])
def test_an_unknown_path_is_a_graph_error_not_405(client, method, path):
    status, body = raw(client, method, path)
    assert status in (400, 404) and body["error"]["code"] and body["error"]["message"]


def test_the_client_works_on_a_named_calendar(ms_config, ms_cache, ms_account):
    plain = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)
    _status, calendars = raw(plain, "GET", "/me/calendars")
    named = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None,
                                calendar_id=calendars["value"][0]["id"])
    event = named.create(new_identity(), job_event("on a named calendar"))
    assert event.id in {e.id for e in named.list_changes(None).events}


# -- fact 7: subscriptions ---------------------------------------------------------------------------------
def _subscription(minutes, **extra):
    expires = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return {"changeType": "created,updated,deleted", "notificationUrl": "https://127.0.0.1:9/none",
            "resource": "me/events", "clientState": "s", **extra,
            "expirationDateTime": expires.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")}


def test_subscription_lifetime_is_10080_minutes_and_1440_with_resource_data(client, hook):
    channel = client.watch(hook + "/notify", "state", "ignored", timedelta(days=30))
    lifetime = channel.expires_at - datetime.now(timezone.utc)
    assert timedelta(minutes=10060) < lifetime <= MAX_SUBSCRIPTION  # asked near the new limit, not 4,230
    renewed = client.renew(channel, timedelta(days=30))
    assert renewed.expires_at >= channel.expires_at
    status, body = raw(client, "POST", "/subscriptions", json=_subscription(10081, notificationUrl=hook))
    assert status == 400 and "expiration" in body["error"]["message"].lower()
    status, body = raw(client, "POST", "/subscriptions",
                       json=_subscription(1441, notificationUrl=hook, includeResourceData=True))
    assert status == 400 and "expiration" in body["error"]["message"].lower()


def test_change_type_and_resource_are_honoured(client, hook, ms_emulator):
    deleted_only = _subscription(60, notificationUrl=hook + "/notify", changeType="deleted")
    status, sub = raw(client, "POST", "/subscriptions", json=deleted_only)
    assert status == 201 and sub["changeType"] == "deleted" and sub["resource"] == "me/events"
    event = client.create(new_identity(), job_event())
    client.delete(event.id)
    deadline = time.monotonic() + 5
    while not _Listener.received and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    items = [i for payload in _Listener.received for i in payload["value"]]
    assert items and {i["changeType"] for i in items} == {"deleted"}
    status, _body = raw(client, "POST", "/subscriptions",
                        json=_subscription(60, notificationUrl=hook, resource="me/nothing"))
    assert status == 400


def test_a_plain_http_notification_url_is_refused(client):
    status, body = raw(client, "POST", "/subscriptions",
                       json=_subscription(60, notificationUrl="http://odoo.example.test/hook"))
    assert status == 400 and "scheme='http' is not supported" in body["error"]["message"]


# -- fact 8: server-maintained fields ----------------------------------------------------------------------
def test_every_full_event_carries_the_server_maintained_fields(client, ms_emulator, ms_account):
    event = client.create(new_identity(), job_event())
    _status, full = raw(client, "GET", f"/me/events/{event.id}")
    for name in ("organizer", "isOrganizer", "responseStatus", "showAs", "isAllDay", "iCalUId"):
        assert name in full, name
    assert full["organizer"]["emailAddress"]["address"] == ms_account and full["isOrganizer"] is True
    assert "onlineMeeting" not in full or full["onlineMeeting"] is None
    _status, online = raw(client, "POST", "/me/events", json=_event_body(isOnlineMeeting=True))
    assert online["onlineMeeting"]["joinUrl"].startswith("https://")
    _status, selected = raw(client, "GET", f"/me/events/{event.id}?$select=subject")
    assert "organizer" not in selected and selected["subject"] == event.data.title


# -- fact 14: Outlook's monthly and yearly patterns ---------------------------------------------------------
def _pattern_series(client, pattern, start, count):
    body = _event_body("pattern", start=start)
    body["recurrence"] = {"pattern": pattern, "range": {"type": "numbered", "numberOfOccurrences": count,
                                                        "startDate": start.date().isoformat()}}
    _status, master = raw(client, "POST", "/me/events", json=body)
    instances = client.series_instances(master["id"], start.replace(tzinfo=timezone.utc) - timedelta(days=1),
                                        start.replace(tzinfo=timezone.utc) + timedelta(days=3 * 366))
    return [i.data.start.date() for i in instances]


def test_absolute_monthly_on_the_31st_falls_on_each_months_last_day(client):
    """Outlook's absoluteMonthly on day 29-31 takes the month's last day (RFC 5545 would skip the month)."""
    days = _pattern_series(client, {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 31},
                           datetime(2027, 1, 31, 9, 0), 4)
    assert days == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


def test_absolute_yearly_on_february_29th_takes_the_28th(client):
    days = _pattern_series(client, {"type": "absoluteYearly", "interval": 1, "month": 2, "dayOfMonth": 29},
                           datetime(2028, 2, 29, 9, 0), 3)
    assert days == [date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28)]


def test_relative_monthly_and_yearly_patterns(client):
    days = _pattern_series(client, {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["tuesday"],
                                    "index": "second"}, datetime(2027, 1, 12, 9, 0), 3)
    assert days == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)]
    days = _pattern_series(client, {"type": "relativeYearly", "interval": 1, "month": 11,
                                    "daysOfWeek": ["thursday"], "index": "last"}, datetime(2027, 11, 25, 9, 0), 2)
    assert days == [date(2027, 11, 25), date(2028, 11, 30)]


def test_zone_named_answers_keep_the_instant_for_an_event_made_in_another_zone(client):
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 10, 25, 1, 30, tzinfo=berlin)
    data = EventData(title="WO-2", start=start, end=start + timedelta(hours=3), time_zone="Europe/Berlin")
    event = client.create(new_identity(), data)
    _status, local = raw(client, "GET", f"/me/events/{event.id}",
                         headers={"Prefer": 'outlook.timezone="America/New_York"'})
    assert local["start"]["timeZone"] == "America/New_York"
    assert parse_event(local).data.start == start
    assert client.apply([WriteOp(OpKind.DELETE, identity="x", event_id=event.id)])[0].ok

