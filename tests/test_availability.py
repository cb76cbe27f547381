"""Busy times of technicians' calendars, read through the real client libraries from the emulators.

Google's freebusy.query (google-api-python-client) and Graph's getSchedule (requests), over real
HTTP: which statuses keep a person busy, our own job events left out, a DST change, the per-call
limits (50 calendars; a window longer than a call may cover) and per-calendar errors.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from googleapiclient.errors import HttpError

from calsync.availability import BusyBlock, free_slots, normalize
from calsync.errors import ProviderError
from calsync.events import EventData
from calsync.google import GoogleCalendarClient
from calsync.google.config import SCOPE_EVENTS
from calsync.microsoft import GraphCalendarClient

from .google_fixtures import sign_in
from .provider_contract import new_identity

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2027, 1, 4, tzinfo=UTC)


def at(hours, day=MONDAY):
    return day + timedelta(hours=hours)


def spans(result):
    return [(b.start, b.end, b.status) for b in result.blocks]


@pytest.fixture
def google(config, account):
    return GoogleCalendarClient(config, sign_in(config, account), sleep=lambda s: None)


@pytest.fixture
def graph(ms_config, ms_cache, ms_account):
    return GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)


# -- the pure part --------------------------------------------------------------------------------
def test_blocks_keep_only_start_end_and_status():
    assert [f.name for f in dataclasses.fields(BusyBlock)] == ["start", "end", "status"]
    with pytest.raises(ValueError):
        BusyBlock(at(9), at(10), "free")
    with pytest.raises(ValueError):
        BusyBlock(at(9).replace(tzinfo=None), at(10))


def test_own_events_leave_exactly_and_out_of_merged_periods():
    blocks = [BusyBlock(at(9), at(10)), BusyBlock(at(9), at(10)), BusyBlock(at(13), at(15))]
    # one of two identical blocks is ours; 14-15 of the merged 13-15 is ours
    kept = normalize(blocks, at(0), at(24), own=[(at(9), at(10)), (at(14), at(15))])
    assert [(b.start, b.end) for b in kept] == [(at(9), at(10)), (at(13), at(14))]


def test_free_slots_follow_the_wall_clock_across_dst():
    # Friday 26 and Monday 29 March 2027 (Paris: CET, then CEST from Sunday 28), 08:00-17:00 local
    start, end = datetime(2027, 3, 26, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC)
    slots = free_slots([], start, end, timedelta(hours=1), "Europe/Paris")
    assert slots == [(datetime(2027, 3, 26, 7, tzinfo=UTC), datetime(2027, 3, 26, 16, tzinfo=UTC)),
                     (datetime(2027, 3, 29, 6, tzinfo=UTC), datetime(2027, 3, 29, 15, tzinfo=UTC))]


# -- Google --------------------------------------------------------------------------------------
def test_google_busy_is_opaque_live_events_and_occurrences(google, emulator, account):
    emulator.person_create(account, {"title": "Dentist", "location": "Rue X", "start": at(9), "end": at(10)})
    emulator.person_create(account, {"title": "Reminder", "start": at(11), "end": at(12),
                                     "transparency": "transparent"})
    gone = emulator.person_create(account, {"title": "Gone", "start": at(13), "end": at(14)})
    emulator.person_delete(gone, account=account)
    emulator.person_create_series(account, {"title": "Standup", "start": at(15), "end": at(15.5)},
                                  "FREQ=DAILY;COUNT=2")
    result = google.busy_times(None, at(0), at(48))["primary"]
    assert result.error is None
    assert spans(result) == [(at(9), at(10), "busy"), (at(15), at(15.5), "busy"),
                             (at(39), at(39.5), "busy")]


def test_google_own_job_event_is_not_busy_against_itself(google, emulator, account):
    job = google.create(new_identity(), EventData(title="WO-1", start=at(10), end=at(11)))
    emulator.person_create(account, {"title": "Lunch", "start": at(11), "end": at(12)})  # merged with the job
    emulator.person_create(account, {"title": "Call", "start": at(14), "end": at(15)})
    assert spans(google.busy_times(None, at(0), at(24))["primary"]) == [(at(10), at(12), "busy"),
                                                                        (at(14), at(15), "busy")]
    kept = google.busy_times(None, at(0), at(24), own=[(job.data.start, job.data.end)])["primary"]
    assert spans(kept) == [(at(11), at(12), "busy"), (at(14), at(15), "busy")]


def test_google_dst_window_gives_utc_instants(google, emulator, account):
    before = datetime(2027, 3, 27, 9, tzinfo=PARIS)  # CET, +01:00
    across = datetime(2027, 3, 28, 1, 30, tzinfo=PARIS)  # to 03:30 CEST: one real hour
    after = datetime(2027, 3, 29, 9, tzinfo=PARIS)  # CEST, +02:00
    for start, end in ((before, before + timedelta(hours=1)), (across, datetime(2027, 3, 28, 3, 30, tzinfo=PARIS)),
                       (after, after + timedelta(hours=1))):
        emulator.person_create(account, {"title": "x", "start": start.astimezone(UTC), "end": end.astimezone(UTC)})
    window = datetime(2027, 3, 27, tzinfo=PARIS), datetime(2027, 3, 30, tzinfo=PARIS)
    result = google.busy_times(None, *window, time_zone="Europe/Paris")["primary"]
    assert spans(result) == [
        (datetime(2027, 3, 27, 8, tzinfo=UTC), datetime(2027, 3, 27, 9, tzinfo=UTC), "busy"),
        (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "busy"),
        (datetime(2027, 3, 29, 7, tzinfo=UTC), datetime(2027, 3, 29, 8, tzinfo=UTC), "busy")]


def test_google_more_than_50_calendars_go_in_several_queries(google, emulator, account):
    others = [f"crew{i}-{account}" for i in range(54)]
    for index, other in enumerate(others):
        emulator.create_account(other)
        emulator.person_create(other, {"title": "Job", "start": at(index % 8 + 8), "end": at(index % 8 + 9)})
    sent = google.requests_sent
    result = google.busy_times([account, *others], at(0), at(24))
    assert google.requests_sent - sent == 2  # 50 + 5
    assert len(result) == 55 and all(r.error is None for r in result.values())
    assert [spans(result[o]) for o in others[:2]] == [[(at(8), at(9), "busy")], [(at(9), at(10), "busy")]]
    # the emulator keeps Google's limit: 51 items in one query is refused
    body = {"timeMin": "2027-01-04T00:00:00Z", "timeMax": "2027-01-05T00:00:00Z",
            "items": [{"id": c} for c in [account, *others][:51]]}
    with pytest.raises(HttpError) as refused:
        google._service.freebusy().query(body=body).execute()
    assert refused.value.resp.status == 400 and b"tooManyCalendarsRequested" in refused.value.content


def test_google_unknown_calendar_is_reported_alone(google, emulator, account):
    emulator.person_create(account, {"title": "Job", "start": at(9), "end": at(10)})
    result = google.busy_times([account, "nobody@example.test"], at(0), at(24))
    assert result["nobody@example.test"].error == "notFound"
    assert spans(result[account]) == [(at(9), at(10), "busy")]


def test_google_freebusy_needs_a_freebusy_scope(config, emulator, account):
    token = sign_in(config, account, scopes=[SCOPE_EVENTS, "openid", "email"])  # a connection made before #26
    client = GoogleCalendarClient(config, token, sleep=lambda s: None)
    with pytest.raises(ProviderError) as refused:
        client.busy_times(None, at(0), at(24))
    assert refused.value.status == 403 and "calendar.freebusy" in str(refused.value)


# -- Microsoft Graph -----------------------------------------------------------------------------
def test_graph_keeps_busy_tentative_and_oof_only(graph, ms_emulator, ms_account):
    for hour, show_as in ((8, "busy"), (9, "tentative"), (10, "oof"), (11, "free"), (12, "workingElsewhere")):
        ms_emulator.person_create(ms_account, {"title": f"Private {show_as}", "location": "Home", "show_as": show_as,
                                               "start": at(hour), "end": at(hour + 1)})
    gone = ms_emulator.person_create(ms_account, {"title": "Gone", "start": at(14), "end": at(15)})
    ms_emulator.person_delete(gone, account=ms_account)
    # the raw answer carries the subjects and locations (detailed access); what the client returns does not
    raw = graph._request("POST", f"{graph.config.graph_base}/me/calendar/getSchedule", json={
        "schedules": [ms_account], "startTime": {"dateTime": "2027-01-04T00:00:00", "timeZone": "UTC"},
        "endTime": {"dateTime": "2027-01-05T00:00:00", "timeZone": "UTC"}})
    assert {i["subject"] for i in raw["value"][0]["scheduleItems"]} >= {"Private busy", "Private free"}
    result = graph.busy_times(None, at(0), at(24))[ms_account]
    assert result.error is None
    assert spans(result) == [(at(8), at(9), "busy"), (at(9), at(10), "tentative"), (at(10), at(11), "oof")]
    assert not any(hasattr(b, "subject") or hasattr(b, "location") for b in result.blocks)


def test_graph_own_job_event_is_not_busy_against_itself(graph, ms_emulator, ms_account):
    job = graph.create(new_identity(), EventData(title="WO-2", start=at(10), end=at(11)))
    ms_emulator.person_create(ms_account, {"title": "Lunch", "start": at(11), "end": at(12)})
    kept = graph.busy_times(None, at(0), at(24), own=[(job.data.start, job.data.end)])[ms_account]
    assert spans(kept) == [(at(11), at(12), "busy")]


def test_graph_dst_window_gives_utc_instants(graph, ms_emulator, ms_account):
    across = datetime(2027, 3, 28, 1, 30, tzinfo=PARIS)
    after = datetime(2027, 3, 29, 9, tzinfo=PARIS)
    for start, end in ((across, datetime(2027, 3, 28, 3, 30, tzinfo=PARIS)), (after, after + timedelta(hours=1))):
        ms_emulator.person_create(ms_account, {"title": "x", "start": start.astimezone(UTC),
                                               "end": end.astimezone(UTC)})
    window = datetime(2027, 3, 27, tzinfo=PARIS), datetime(2027, 3, 30, tzinfo=PARIS)
    # asked to answer in Paris wall times, the client still returns UTC instants
    result = graph.busy_times(None, *window, time_zone="Europe/Paris")[ms_account]
    assert spans(result) == [
        (datetime(2027, 3, 28, 0, 30, tzinfo=UTC), datetime(2027, 3, 28, 1, 30, tzinfo=UTC), "busy"),
        (datetime(2027, 3, 29, 7, tzinfo=UTC), datetime(2027, 3, 29, 8, tzinfo=UTC), "busy")]


def test_graph_long_window_is_split_into_calls(graph, ms_emulator, ms_account):
    # 100 days: three calls (42 + 42 + 16); an event across the first boundary comes back whole
    boundary = MONDAY + timedelta(days=42)
    ms_emulator.person_create(ms_account, {"title": "Night job", "start": boundary - timedelta(hours=2),
                                           "end": boundary + timedelta(hours=2)})
    ms_emulator.person_create(ms_account, {"title": "Late", "start": at(9, MONDAY + timedelta(days=95)),
                                           "end": at(10, MONDAY + timedelta(days=95))})
    sent = graph.requests_sent
    result = graph.busy_times(None, MONDAY, MONDAY + timedelta(days=100))[ms_account]
    assert graph.requests_sent - sent == 3
    assert spans(result) == [(boundary - timedelta(hours=2), boundary + timedelta(hours=2), "busy"),
                             (at(9, MONDAY + timedelta(days=95)), at(10, MONDAY + timedelta(days=95)), "busy")]
    # the emulator refuses what Graph refuses: more than 62 days in one call
    with pytest.raises(ProviderError) as refused:
        graph._request("POST", f"{graph.config.graph_base}/me/calendar/getSchedule", json={
            "schedules": [ms_account], "startTime": {"dateTime": "2027-01-04T00:00:00", "timeZone": "UTC"},
            "endTime": {"dateTime": "2027-03-08T00:00:00", "timeZone": "UTC"}})
    assert refused.value.status == 400 and refused.value.reason == "ErrorTimeIntervalTooBig"


def test_graph_unknown_mailbox_is_reported_alone(graph, ms_emulator, ms_account):
    ms_emulator.person_create(ms_account, {"title": "Job", "start": at(9), "end": at(10)})
    result = graph.busy_times([ms_account, "nobody@example.test"], at(0), at(24))
    assert result["nobody@example.test"].error == "ErrorMailRecipientNotFound"
    assert spans(result[ms_account]) == [(at(9), at(10), "busy")]


def test_graph_more_than_20_mailboxes_go_in_several_calls(graph, ms_emulator, ms_account):
    crew = [f"crew{i}-{ms_account}" for i in range(24)]
    for index, address in enumerate(crew):
        ms_emulator.create_account(address)
        ms_emulator.person_create(address, {"title": "Job", "start": at(index % 8 + 8), "end": at(index % 8 + 9)})
    sent = graph.requests_sent
    # own events per mailbox: the second crew member's job is ours
    result = graph.busy_times([ms_account, *crew], at(0), at(24), own={crew[1]: [(at(9), at(10))]})
    assert graph.requests_sent - sent == 2  # 20 + 5
    assert len(result) == 25 and all(r.error is None for r in result.values())
    assert spans(result[crew[0]]) == [(at(8), at(9), "busy")] and spans(result[crew[1]]) == []
