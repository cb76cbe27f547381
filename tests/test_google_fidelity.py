"""Google Calendar facts the emulator must hold and the engine must survive (issue 18, facts 9-14).

Each fact is checked against Google's own documentation (cited beside the emulator rule that holds
it) and driven here through the real google-api-python-client / google-auth / requests over HTTPS.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2.credentials import Credentials

from calsync import sync
from calsync.errors import ProviderError, SyncTokenExpired, TransientError
from calsync.store import MemoryDatabase
from tests import sign_in_page
from tests.engine_fixtures import make_job
from tests.provider_contract import T0, job_event, new_identity

BERLIN = ZoneInfo("Europe/Berlin")


def _session(config):
    session = requests.Session()
    session.trust_env = False
    session.verify = config.ca_certs
    return session


def _raw(provider, config, method, path, **kw):
    """One Calendar API request sent with requests, as Odoo's own google_calendar sends them."""
    headers = kw.pop("headers", {})
    if "access_token" not in (kw.get("params") or {}):
        headers["Authorization"] = f"Bearer {provider._credentials.token}"
    return _session(config).request(method, config.api_base.rstrip("/") + path, headers=headers, timeout=10, **kw)


def _insert(provider, body, **params):
    return provider._execute(provider._events.insert(calendarId="primary", body=body, **params))


def _list(provider, **params):
    return provider._execute(provider._events.list(calendarId="primary", **params))


def _side(moment, zone="UTC"):
    return {"dateTime": moment.isoformat(), "timeZone": zone}


def _stamp(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _linked_world(provider, jobs=2):
    db = MemoryDatabase()
    store = db.store("google")
    for n in range(jobs):
        db.data.jobs[n] = make_job(n, notes=f"Notes of job {n}")
        db.data.carried_by[n] = "google"
        store.new_link(n, new_identity())
    db.commit()
    sync.push(provider, store)
    sync.pull(provider, store)
    return db, store


# -- fact 9: the token of the full sync that follows a 410 is valid ----------------------------------------
def test_the_sync_token_of_the_full_sync_after_a_410_is_valid(provider, backdoor):
    provider.create(new_identity(), job_event())
    cursor = provider.list_changes(None).cursor
    backdoor.expire_cursors()
    with pytest.raises(SyncTokenExpired):
        provider.list_changes(cursor)
    full = provider.list_changes(None)
    assert full.full
    after = provider.list_changes(full.cursor)  # nothing changed since: the new token must be accepted
    assert after.events == () and not after.full


def test_pull_after_an_expired_token_resyncs_once_then_goes_incremental(provider, backdoor):
    _db, store = _linked_world(provider)
    backdoor.expire_cursors()
    assert sync.pull(provider, store).full
    again = sync.pull(provider, store)
    assert not again.full and again.seen == 0
    assert {link.state for link in store.links()} == {"in_sync"}


def test_any_410_on_an_incremental_list_resyncs(provider, emulator):
    cursor = provider.list_changes(None).cursor
    emulator.inject_fault("gone", path_contains="/events")
    with pytest.raises(SyncTokenExpired):
        provider.list_changes(cursor)


# -- fact 10: cancelled items of an incremental list carry only their id -----------------------------------
SERIES_START = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def _series(provider, rule="RRULE:FREQ=DAILY;COUNT=3", start=SERIES_START, zone="UTC", **extra):
    body = {"summary": "Boiler round", "description": "Check the pressure", "start": _side(start, zone),
            "end": _side(start + timedelta(hours=1), zone), "recurrence": [rule], **extra}
    return _insert(provider, body)


def test_cancelled_items_of_an_incremental_list_carry_only_their_id(provider, emulator, account):
    single = provider.create(new_identity(), job_event())
    master = _series(provider)
    cursor = provider.list_changes(None).cursor
    occurrence = emulator.occurrence_ids(master["id"], account=account)[1]
    provider.delete(single.id, if_match=single.version)
    provider.delete(occurrence)
    page = _list(provider, syncToken=cursor, singleEvents=True)
    cancelled = {item["id"]: item for item in page["items"] if item.get("status") == "cancelled"}
    assert set(cancelled) == {single.id, occurrence}
    # Google guarantees only these; everything else of a cancelled item is unknown, not empty
    assert set(cancelled[single.id]) <= {"kind", "etag", "id", "status"}
    assert set(cancelled[occurrence]) <= {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}
    assert cancelled[occurrence]["recurringEventId"] == master["id"]
    parsed = {e.id: e for e in provider.list_changes(cursor).events}
    assert parsed[single.id].deleted and parsed[single.id].data is None
    assert parsed[occurrence].deleted and parsed[occurrence].series_id == master["id"]
    assert parsed[occurrence].original_start == SERIES_START + timedelta(days=1)


def test_an_id_only_cancellation_is_a_deletion_never_an_edit_that_empties_the_job(provider, backdoor):
    db, store = _linked_world(provider)
    before = dict(db.data.jobs)
    link = next(iter(store.links()))
    backdoor.person_delete(link.event_id)
    report = sync.pull(provider, store)
    assert report.deletions == 1 and report.applied == 0
    assert db.data.jobs == before  # notes, title and times untouched: a deletion is reviewed, never applied
    assert store.conflict_of(link.key).deletion


def test_an_id_only_cancellation_may_cancel_the_job_when_allowed(provider, backdoor):
    db, store = _linked_world(provider, jobs=3)
    link = next(iter(store.links()))
    job = db.data.jobs[link.job_key]
    backdoor.person_delete(link.event_id)
    sync.pull(provider, store, allow_calendar_cancel=True)
    after = db.data.jobs[link.job_key]
    assert after.cancelled
    assert (after.notes, after.title, after.start, after.end) == (job.notes, job.title, job.start, job.end)


# -- fact 11: events.list parameters, validated against the discovery document -------------------------------
def test_time_min_and_time_max_filter_by_overlap(provider):
    early = provider.create(new_identity(), job_event("early", hours=0))  # 09:00-11:00
    late = provider.create(new_identity(), job_event("late", hours=5))  # 14:00-16:00
    at = lambda hours: _stamp(T0 + timedelta(hours=hours))  # noqa: E731
    ids = {i["id"] for i in _list(provider, timeMin=at(1.5), timeMax=at(3))["items"]}
    assert ids == {early.id}
    ids = {i["id"] for i in _list(provider, timeMin=at(2))["items"]}  # bounds are exclusive
    assert ids == {late.id}
    ids = {i["id"] for i in _list(provider, timeMax=at(5))["items"]}
    assert ids == {early.id}


def test_time_max_not_after_time_min_is_time_range_empty(provider):
    with pytest.raises(ProviderError) as caught:
        _list(provider, timeMin="2026-12-01T10:00:00Z", timeMax="2026-12-01T10:00:00Z")
    assert caught.value.status == 400 and caught.value.reason == "timeRangeEmpty"


def test_time_window_filters_occurrences_of_a_series(provider):
    master = _series(provider, "RRULE:FREQ=DAILY;COUNT=5")
    items = _list(provider, singleEvents=True, timeMin="2026-12-08T00:00:00Z", timeMax="2026-12-10T00:00:00Z")
    assert [i["originalStartTime"]["dateTime"][:10] for i in items["items"] if
            i.get("recurringEventId") == master["id"]] == ["2026-12-08", "2026-12-09"]


def test_updated_min_lists_changes_since_and_deletions_whatever_show_deleted(provider, backdoor):
    old = provider.create(new_identity(), job_event("old"))
    gone = provider.create(new_identity(), job_event("gone"))
    time.sleep(0.01)  # Google's updated times have milliseconds: keep the three steps apart
    since = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    time.sleep(0.01)
    edited = provider.create(new_identity(), job_event("new"))
    provider.delete(gone.id)
    items = {i["id"]: i for i in _list(provider, updatedMin=since)["items"]}
    assert set(items) == {edited.id, gone.id} and items[gone.id]["status"] == "cancelled"
    assert old.id not in items


def test_show_deleted_decides_whether_a_full_list_shows_cancelled_events(provider):
    event = provider.create(new_identity(), job_event())
    provider.delete(event.id)
    assert event.id not in {i["id"] for i in _list(provider)["items"]}
    assert event.id in {i["id"] for i in _list(provider, showDeleted=True)["items"]}


def test_a_sync_token_with_show_deleted_false_is_refused(provider):
    cursor = provider.list_changes(None).cursor
    with pytest.raises(ProviderError) as caught:
        _list(provider, syncToken=cursor, showDeleted=False)
    assert caught.value.status == 400
    assert _list(provider, syncToken=cursor, showDeleted=True)["items"] == []


def test_a_page_token_carries_the_query_it_belongs_to(provider, config):
    """Odoo 18's google_calendar asks for the next pages with only access_token and pageToken."""
    inside = [provider.create(new_identity(), job_event(f"in {n}", hours=n)).id for n in range(3)]
    provider.create(new_identity(), job_event("far away", hours=24 * 60))
    token = provider._credentials.token
    window = {"timeMin": _stamp(T0 - timedelta(hours=1)), "timeMax": _stamp(T0 + timedelta(hours=12)),
              "maxResults": "2"}
    first = _raw(provider, config, "GET", "/calendars/primary/events", params={"access_token": token, **window})
    assert first.status_code == 200, first.text
    second = _raw(provider, config, "GET", "/calendars/primary/events",
                  params={"access_token": token, "pageToken": first.json()["nextPageToken"]}).json()
    assert {i["id"] for i in first.json()["items"] + second["items"]} == set(inside)
    assert second["nextSyncToken"] and "nextPageToken" not in second


@pytest.mark.parametrize("params", [
    {"maxResults": "0"}, {"maxResults": "many"}, {"singleEvents": "perhaps"}, {"orderBy": "title"},
    {"timeMin": "yesterday"}, {"timeMax": "2026-12-01T10:00:00"},  # an offset is mandatory
    {"updatedMin": "2026-13-01T00:00:00Z"}, {"eventTypes": "party"},
])
def test_known_parameters_with_bad_values_are_400(provider, config, params):
    answer = _raw(provider, config, "GET", "/calendars/primary/events", params=params)
    assert answer.status_code == 400, (params, answer.text)
    assert answer.json()["error"]["errors"][0]["reason"] == "invalid"


def test_unknown_query_parameters_are_accepted(provider, config):
    event = provider.create(new_identity(), job_event())
    # Odoo 18's google_calendar sends singleEvents=true on events.delete; the real API accepts it
    answer = _raw(provider, config, "DELETE", f"/calendars/primary/events/{event.id}",
                  params={"singleEvents": "true", "somethingElse": "1"})
    assert answer.status_code == 204, answer.text
    assert provider.get(event.id).deleted


@pytest.mark.parametrize("body", [
    {"summary": {"text": "x"}}, {"description": ["a"]}, {"start": {"date": "2026-02-30"}},
    {"attendees": {"email": "a@example.test"}},
    {"reminders": {"useDefault": "yes"}}, {"extendedProperties": {"private": []}},
    {"status": "postponed"}, {"recurrence": "RRULE:FREQ=DAILY"},
])
def test_body_fields_with_the_wrong_shape_are_400(provider, body):
    full = {"start": _side(SERIES_START), "end": _side(SERIES_START + timedelta(hours=1)), **body}
    if "date" in body.get("start", {}):
        full["end"] = {"date": "2026-03-02"}
    with pytest.raises(ProviderError) as caught:
        _insert(provider, full)
    assert caught.value.status == 400


def test_what_odoo_sends_is_accepted(provider):
    """Odoo 18's google_calendar: nulls beside the other time form, integers in extendedProperties,
    reminder overrides, an organizer (read-only, ignored)."""
    body = {"summary": "Odoo meeting", "start": {"date": "2026-12-07", "dateTime": None},
            "end": {"date": "2026-12-08", "dateTime": None}, "description": "", "location": "",
            "guestsCanModify": True, "organizer": {"email": "someone@example.test", "self": True},
            "attendees": [{"email": "ann@example.test", "responseStatus": "needsAction"}],
            "extendedProperties": {"shared": {"db_odoo_id": 42}},
            "reminders": {"overrides": [{"method": "popup", "minutes": 30}], "useDefault": False}}
    created = _insert(provider, body, conferenceDataVersion=0, sendUpdates="none")
    assert created["extendedProperties"]["shared"]["db_odoo_id"] == "42"
    assert created["start"] == {"date": "2026-12-07"} and created["organizer"]["email"] != "someone@example.test"
    event = provider.get(created["id"])
    assert event.data.all_day and event.data.end - event.data.start == timedelta(days=1)


# -- fact 12: access_token as a query parameter; Google's older OAuth paths ---------------------------------
def test_access_token_as_a_query_parameter_authenticates(provider, config):
    token = provider._credentials.token
    ok = _raw(provider, config, "GET", "/calendars/primary/events", params={"access_token": token})
    assert ok.status_code == 200, ok.text
    bad = _raw(provider, config, "GET", "/calendars/primary/events", params={"access_token": "sbx-gat-nope"})
    assert bad.status_code == 401


@pytest.mark.parametrize("path", ["/token", "/o/oauth2/token"])
def test_refresh_works_at_both_token_paths(config, token, emulator, path):
    import json

    stored = json.loads(token)
    credentials = Credentials(token=None, refresh_token=stored["refresh_token"],
                              token_uri=config.token_uri.rsplit("/token", 1)[0] + path,
                              client_id=config.client_id, client_secret=config.client_secret)
    session = _session(config)
    credentials.refresh(AuthRequest(session))
    assert credentials.token.startswith("sbx-gat-")
    answer = session.get(config.api_base + "calendars/primary/events",
                         headers={"Authorization": f"Bearer {credentials.token}"}, timeout=10)
    assert answer.status_code == 200


def test_odoo_style_code_exchange_at_o_oauth2_token(config, account):
    """Odoo 18's google_account: /o/oauth2/auth, then a form POST of the code to /o/oauth2/token."""
    import urllib.parse

    base = config.token_uri.rsplit("/token", 1)[0]
    session = _session(config)
    redirect = "https://odoo.example.test/google_account/authentication"
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": config.client_id, "redirect_uri": redirect,
        "scope": "https://www.googleapis.com/auth/calendar", "access_type": "offline", "state": "{}"})
    code = sign_in_page.consent(base + "/o/oauth2/auth?" + query, account, config.ca_certs)["code"]
    answer = session.post(base + "/o/oauth2/token", timeout=10, data={
        "code": code, "client_id": config.client_id, "client_secret": config.client_secret,
        "redirect_uri": redirect, "grant_type": "authorization_code"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["refresh_token"] and answer.json()["access_token"]


# -- fact 13: event bodies validated; what Google adds to events ---------------------------------------------
def test_an_event_ending_before_it_starts_is_refused(provider):
    with pytest.raises(ProviderError) as caught:
        _insert(provider, {"start": _side(SERIES_START), "end": _side(SERIES_START - timedelta(hours=1))})
    assert caught.value.status == 400 and caught.value.reason == "timeRangeEmpty"
    event = provider.create(new_identity(), job_event())
    with pytest.raises(ProviderError):  # a patch that moves only the end before the start, too
        provider._execute(provider._events.patch(calendarId="primary", eventId=event.id,
                                                 body={"end": _side(job_event().start - timedelta(hours=1))}))


def test_an_unknown_time_zone_is_refused(provider):
    with pytest.raises(ProviderError) as caught:
        _insert(provider, {"start": _side(SERIES_START, "Mars/Olympus"),
                           "end": _side(SERIES_START + timedelta(hours=1), "Mars/Olympus")})
    assert caught.value.status == 400


def test_a_recurring_event_needs_a_named_zone(provider):
    body = {"start": {"dateTime": "2026-12-07T09:00:00+01:00"}, "end": {"dateTime": "2026-12-07T10:00:00+01:00"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"]}
    with pytest.raises(ProviderError) as caught:
        _insert(provider, body)
    assert caught.value.status == 400 and caught.value.reason == "required"


def test_events_carry_reminders_organizer_and_creator(provider, emulator, account):
    by_person = emulator.person_create(account, {"title": "Dentist", "start": SERIES_START,
                                                 "end": SERIES_START + timedelta(hours=1)})
    by_us = provider.create(new_identity(), job_event())
    for event_id in (by_person, by_us.id):
        item = provider._execute(provider._events.get(calendarId="primary", eventId=event_id))
        assert item["reminders"] == {"useDefault": True}
        assert item["organizer"]["email"] == account and item["organizer"]["self"] is True
        assert item["creator"]["email"] == account
    listing = _list(provider)
    assert listing["defaultReminders"] and listing["accessRole"] == "owner"
    assert all(item["reminders"] == {"useDefault": True} for item in listing["items"])


def test_conference_create_request_is_answered_only_with_conference_data_version_1(provider):
    body = {"start": _side(SERIES_START), "end": _side(SERIES_START + timedelta(hours=1)),
            "conferenceData": {"createRequest": {"requestId": new_identity(),
                                                 "conferenceSolutionKey": {"type": "hangoutsMeet"}}}}
    ignored = _insert(provider, body)
    assert "conferenceData" not in ignored
    answered = _insert(provider, body, conferenceDataVersion=1)
    status = answered["conferenceData"]["createRequest"]["status"]["statusCode"]
    assert status in ("pending", "success")
    with pytest.raises(ProviderError):  # conferenceDataVersion is 0 or 1 (the discovery document's bounds)
        _insert(provider, body, conferenceDataVersion=2)


def test_a_named_zone_answer_keeps_the_instant(provider):
    """A person's app may send a wall time without an offset and a zone: Google reads it in that zone."""
    wall = {"dateTime": "2026-10-25T01:30:00", "timeZone": "Europe/Berlin"}  # the night clocks go back
    end = {"dateTime": "2026-10-25T05:00:00", "timeZone": "Europe/Berlin"}
    created = _insert(provider, {"summary": "Night shift", "start": wall, "end": end})
    event = provider.get(created["id"])
    assert event.data.start == datetime(2026, 10, 24, 23, 30, tzinfo=timezone.utc)
    assert event.data.end == datetime(2026, 10, 25, 4, 0, tzinfo=timezone.utc)
    assert event.data.time_zone == "Europe/Berlin"


# -- fact 14: RFC 5545 recurrence rules, expanded as Google does ---------------------------------------------
def _occurrence_starts(provider, master_id):
    events = provider.list_changes(None).events
    return sorted(e.original_start for e in events if e.series_id == master_id and not e.deleted)


def test_monthly_on_day_31_skips_the_months_without_one(provider):
    start = datetime(2027, 1, 31, 9, 0, tzinfo=timezone.utc)
    master = _series(provider, "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4", start=start)
    assert [s.date().isoformat() for s in _occurrence_starts(provider, master["id"])] == [
        "2027-01-31", "2027-03-31", "2027-05-31", "2027-07-31"]


def test_monthly_last_weekday_by_setpos_and_yearly_rules(provider):
    start = datetime(2027, 1, 29, 9, 0, tzinfo=timezone.utc)  # the last Friday of January 2027
    master = _series(provider, "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=3", start=start)
    assert [s.date().isoformat() for s in _occurrence_starts(provider, master["id"])] == [
        "2027-01-29", "2027-02-26", "2027-03-31"]
    leap = datetime(2028, 2, 29, 9, 0, tzinfo=timezone.utc)
    yearly = _series(provider, "RRULE:FREQ=YEARLY;COUNT=2", start=leap)  # only leap years have 29 February
    assert [s.date().isoformat() for s in _occurrence_starts(provider, yearly["id"])] == [
        "2028-02-29", "2032-02-29"]


def test_weekly_by_day_with_exdate_in_the_events_zone_across_dst(provider):
    start = datetime(2026, 10, 19, 9, 0, tzinfo=BERLIN)  # a Monday; clocks go back on 25 October
    master = _series(provider, "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=5", start=start, zone="Europe/Berlin")
    provider._execute(provider._events.patch(calendarId="primary", eventId=master["id"], body={
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=5", "EXDATE;TZID=Europe/Berlin:20261026T090000"]}))
    starts = [s.astimezone(BERLIN) for s in _occurrence_starts(provider, master["id"])]
    assert [s.strftime("%a %d %H:%M") for s in starts] == [
        "Mon 19 09:00", "Thu 22 09:00", "Thu 29 09:00", "Mon 02 09:00"]  # 09:00 Berlin before and after


def test_instances_of_a_monthly_series_are_listed_by_the_instances_method(provider):
    start = datetime(2027, 1, 31, 9, 0, tzinfo=timezone.utc)
    master = _series(provider, "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3", start=start)
    instances = provider.series_instances(master["id"], start - timedelta(days=1), start + timedelta(days=90))
    assert [i.data.start.date().isoformat() for i in instances] == ["2027-01-31", "2027-02-28", "2027-03-31"]


def test_an_unreadable_rule_is_400(provider):
    with pytest.raises(ProviderError) as caught:
        _series(provider, "RRULE:FREQ=FORTNIGHTLY")
    assert caught.value.status == 400


def test_watch_and_calendar_list_parameters_are_checked_too(provider, config):
    with pytest.raises(ProviderError) as caught:
        provider._execute(provider._events.watch(calendarId="primary", body={
            "id": "chan" + new_identity()[:20], "type": "web_hook", "address": "https://127.0.0.1:9/hook",
            "params": {"ttl": ["3600"]}}))  # Channel.params: a map of strings
    assert caught.value.status == 400
    answer = _raw(provider, config, "GET", "/users/me/calendarList", params={"maxResults": "-1"})
    assert answer.status_code == 400


def test_an_id_only_cancellation_reaches_a_link_whose_create_answer_was_lost(provider, backdoor, emulator):
    """The create landed, its answer was lost, then a person deleted the event: the incremental list shows only
    its id. Our events' ids are their identities, so the deletion still reaches the link, and the next push
    must not bring the event back."""
    db = MemoryDatabase()
    store = db.store("google")
    db.data.jobs[1] = make_job(1)
    db.data.carried_by[1] = "google"
    link = store.new_link(1, new_identity())
    db.commit()
    sync.pull(provider, store)  # a cursor from before the create
    emulator.inject_fault("apply_then_fail", path_contains="/events", count=20)
    with pytest.raises(TransientError):
        sync.push(provider, store)
    emulator.faults.clear()
    assert backdoor.live_count() == 1 and store.links()[0].event_id is None
    backdoor.person_delete(link.identity)
    sync.pull(provider, store)
    sync.push(provider, store)
    assert backdoor.live_count() == 0, "a person's deletion was undone"
    assert store.conflict_of(link.key).deletion
