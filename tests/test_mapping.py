"""Direct tests of calsync.mapping, and of the provider parsers it depends on, across zones and DST changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calsync import mapping
from calsync.errors import InvalidEvent
from calsync.events import EventData, RemoteEvent
from calsync.google import parse as gparse
from calsync.mapping import JobValues, event_values, job_to_event, normalise_notes, notes_to_html
from calsync.microsoft import parse as mparse
from calsync.timeutil import local_wall_time, parse_rfc3339

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_job(start=None, end=None, **kw) -> JobValues:
    start = start or utc(2026, 12, 1, 9)
    return JobValues(start=start, end=end or start + timedelta(hours=2), **kw)


def remote(data: EventData | None, deleted=False) -> RemoteEvent:
    return RemoteEvent(id="ev1", version="v1", deleted=deleted, data=data)


def event(start, end, **kw) -> EventData:
    return EventData(title=kw.pop("title", "T"), start=start, end=end, **kw)


# --- notes ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("", ""),
    (None, ""),
    ("   \n\t\n", ""),
    ("Bring ladder", "Bring ladder"),
    ("Bring ladder   \n", "Bring ladder"),
    ("  a  \t b  ", "a b"),
    ("a\r\nb\rc", "a\nb\nc"),
    ("a\n\n\n\nb", "a\n\nb"),
    ("\n\na\n\n", "a"),
    ("<p>Bring ladder</p>", "Bring ladder"),
    ("<p>one</p><p>two</p>", "one\ntwo"),
    ("<p>one</p><p><br></p><p>two</p>", "one\n\ntwo"),
    ("<p>one<br>two<br/>three<BR />four</p>", "one\ntwo\nthree\nfour"),
    ("<div>x</div><div>y</div>", "x\ny"),
    ("<ul><li>a</li><li>b</li></ul>", "a\nb"),
    ("<h1>Title</h1>body", "Title\nbody"),
    ("<p><b>bold</b> and <i>italic</i></p>", "bold and italic"),
    ("Fish &amp; chips &lt;hot&gt; &quot;now&quot;", 'Fish & chips <hot> "now"'),
    ("<p>Fish &amp; chips</p>", "Fish & chips"),
    ("a&nbsp;&nbsp;b", "a b"),
    ("a\u00a0\u00a0b", "a b"),
    ("<p>a&nbsp;</p><p>&nbsp;</p><p>b</p>", "a\n\nb"),
    ("<p>trailing   </p>   ", "trailing"),
    ("<p></p>", ""),
    ("<p><br></p>", ""),
    ("2 < 3", "2 < 3"),  # no tag: a lone '<' is text
    ("a > b", "a > b"),
    ("Temp < 5C, pressure > 2 bar", "Temp < 5C, pressure > 2 bar"),  # '<' and '>' but no tag between
    ("Contact Ann <ann@x.test>", "Contact Ann <ann@x.test>"),
    ("<3 you >", "<3 you >"),
    ("<p>Temp &lt; 5C, &gt; 2 bar</p>", "Temp < 5C, > 2 bar"),
    ('<p class="x">a</p><!-- note --><P>b</P>', "a\nb"),
    ("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><div>a<br>\r\n<br>\r\nb</div></body></html>",
     "a\n\nb"),
])
def test_normalise_notes(text, expected):
    assert normalise_notes(text) == expected


@pytest.mark.parametrize("html_text", ["<p>a</p>", "<p>a</p><p>b</p>", "<p>a</p>\n<p>b</p>", "a<br>b",
                                       "<div><p>x &amp; y</p></div>"])
def test_normalise_notes_is_idempotent(html_text):
    once = normalise_notes(html_text)
    assert normalise_notes(once) == once


@pytest.mark.parametrize(("text", "expected_html"), [
    ("", ""),
    ("one", "<p>one</p>"),
    ("one\ntwo", "<p>one<br>two</p>"),
    ("one\n\ntwo", "<p>one</p><p><br></p><p>two</p>"),
    ("a & b < c", "<p>a &amp; b &lt; c</p>"),
])
def test_notes_to_html(text, expected_html):
    assert notes_to_html(text) == expected_html


@pytest.mark.parametrize("text", [
    "one",
    "one\ntwo",
    "one\n\ntwo",  # a blank line (paragraph break) must survive the trip through the job's HTML
    "one\ntwo\n\nthree\n\nfour\nfive",
    "Fish & chips",
    "5 < 6 and 7 > 6",
    "Contact Ann <ann@x.test>",
    'quote "q" and \'a\'',
    "Crew: not the crew line",
])
def test_notes_html_round_trip(text):
    assert normalise_notes(notes_to_html(text)) == text


def test_notes_html_round_trip_of_unnormalised_text_gives_normalised_text():
    assert normalise_notes(notes_to_html("  a  \n\n\n b\u00a0 ")) == "a\n\nb"


# --- job -> event -> values ---------------------------------------------------------------------------------------


def test_job_to_event_carries_every_field():
    job = make_job(notes="<p>Bring ladder</p>", title="WO00001 Site", location="1 Main St", time_zone="Europe/Berlin")
    data = job_to_event(job)
    assert data == EventData(title="WO00001 Site", start=utc(2026, 12, 1, 9), end=utc(2026, 12, 1, 11),
                             description="Bring ladder", location="1 Main St", attendees=(),
                             time_zone="Europe/Berlin")
    assert data.start.tzinfo is UTC and data.end.tzinfo is UTC


def test_job_to_event_converts_zoned_times_to_utc():
    job = make_job(start=datetime(2026, 7, 1, 9, tzinfo=BERLIN), end=datetime(2026, 7, 1, 11, tzinfo=BERLIN))
    data = job_to_event(job)
    assert (data.start, data.end) == (utc(2026, 7, 1, 7), utc(2026, 7, 1, 9))
    assert data.start.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("notes", "crew", "invite", "description", "attendees"), [
    ("Bring ladder", ("Ann", "Bob"), False, "Bring ladder\n\nFieldOps crew: Ann, Bob", ()),
    ("", ("Ann",), False, "FieldOps crew: Ann", ()),
    ("Bring ladder", (), False, "Bring ladder", ()),
    ("Bring ladder", ("ann@x.test", "Bob"), True, "Bring ladder", ("ann@x.test",)),
    ("Bring ladder", ("ann@x.test", "bob@x.test"), True, "Bring ladder", ("ann@x.test", "bob@x.test")),
])
def test_job_to_event_crew(notes, crew, invite, description, attendees):
    data = job_to_event(make_job(notes=notes, crew=crew), invite_attendees=invite)
    assert (data.description, data.attendees) == (description, attendees)


@pytest.mark.parametrize("job", [
    make_job(cancelled=True),
    JobValues(start=None, end=utc(2026, 12, 1, 9)),
    JobValues(start=utc(2026, 12, 1, 9), end=None),
    JobValues(start=None, end=None),
])
def test_job_to_event_refuses_unschedulable_jobs(job):
    assert not job.schedulable
    with pytest.raises(ValueError, match="no event"):
        job_to_event(job)


@pytest.mark.parametrize(("notes", "crew", "invite"), [
    ("Bring ladder", ("Ann", "Bob"), False),
    ("", ("Ann",), False),
    ("Bring ladder\n\nCall ahead", ("Ann",), False),
    ("<p>Bring ladder</p><p><br></p><p>Crew: see office</p>", ("Ann",), False),  # only the last block is ours
    ("Bring ladder", ("ann@x.test",), True),
    ("", (), False),
    ("<p>Temp &lt; 5C, pressure &gt; 2 bar</p>", (), False),  # sent as plain text, must read back the same
    ("<p>Call Ann &lt;ann@x.test&gt;</p>", ("Ann",), False),
])
def test_job_event_values_round_trip(notes, crew, invite):
    job = make_job(notes=notes, crew=crew, title="WO1 Site", location="1 Main St")
    values = event_values(remote(job_to_event(job, invite)))
    assert values == {**job.synced(), **job.pushed()}


def test_event_values_strips_only_a_trailing_crew_block():
    data = event(utc(2026, 12, 1, 9), utc(2026, 12, 1, 10), description="a\n\nFieldOps crew: Ann\n\nb")
    assert event_values(remote(data))["notes"] == "a\n\nFieldOps crew: Ann\n\nb"
    ours = event(utc(2026, 12, 1, 9), utc(2026, 12, 1, 10), description="a\n\nFieldOps crew: Ann")
    assert event_values(remote(ours))["notes"] == "a"


# a person's own last paragraph "Crew: ..." is notes, with or without our crew line after it
@pytest.mark.parametrize(("crew", "invite"), [((), False), (("ann@x.test",), True)])
def test_notes_ending_in_a_crew_like_paragraph_survive(crew, invite):
    job = make_job(notes="Call ahead\n\nCrew: bring boots", crew=crew)
    assert event_values(remote(job_to_event(job, invite)))["notes"] == "Call ahead\n\nCrew: bring boots"


def test_event_values_normalises_html_descriptions_and_empty_fields():
    data = EventData(title="", start=utc(2026, 12, 1, 9), end=utc(2026, 12, 1, 10),
                     description="<html><body><p>a &amp; b</p></body></html>", location="")
    assert event_values(remote(data)) == {"start": utc(2026, 12, 1, 9), "end": utc(2026, 12, 1, 10),
                                          "notes": "a & b", "title": "", "location": ""}


def test_event_values_returns_utc():
    data = event(datetime(2026, 7, 1, 9, tzinfo=BERLIN), datetime(2026, 7, 1, 10, tzinfo=BERLIN))
    values = event_values(remote(data))
    assert values["start"] == utc(2026, 7, 1, 7) and values["start"].utcoffset() == timedelta(0)


def test_event_values_accepts_a_zero_length_event():
    data = event(utc(2026, 12, 1, 9), utc(2026, 12, 1, 9))
    assert event_values(remote(data))["end"] == utc(2026, 12, 1, 9)


# --- malformed events ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rem", "message"), [
    (remote(None), "no content"),
    (remote(None, deleted=True), "no content"),
    (remote(event(utc(2026, 12, 1, 9), utc(2026, 12, 1, 10)), deleted=True), "no content"),
    (remote(event(utc(2026, 12, 1, 10), utc(2026, 12, 1, 9))), "ends before it starts"),
    (remote(event(utc(2026, 12, 1, 9), utc(2026, 12, 1, 8, 59, 59))), "ends before it starts"),
])
def test_event_values_rejects_malformed_events(rem, message):
    with pytest.raises(InvalidEvent, match=message) as caught:
        event_values(rem)
    assert caught.value.event_id == "ev1"
    assert caught.value.kind == "invalid_event"


def test_event_data_cannot_hold_a_missing_or_zone_less_time():
    # so the only ways to a missing start are the parsers below, which raise InvalidEvent
    with pytest.raises(AttributeError):
        EventData(title="", start=None, end=utc(2026, 12, 1, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        EventData(title="", start=datetime(2026, 12, 1, 9), end=utc(2026, 12, 1, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        EventData(title="", start=utc(2026, 12, 1, 9), end=datetime(2026, 12, 1, 10))


G_START = {"dateTime": "2026-12-01T09:00:00Z"}
G_END = {"dateTime": "2026-12-01T10:00:00Z"}


@pytest.mark.parametrize(("item", "message"), [
    ({"id": "g1", "end": G_END}, "no start or end"),
    ({"id": "g1", "start": G_START}, "no start or end"),
    ({"id": "g1", "start": {}, "end": G_END}, "no start or end"),
    ({"id": "g1", "start": "2026-12-01T09:00:00Z", "end": G_END}, "no start or end"),
    ({"id": "g1", "start": {"dateTime": "tomorrow at nine"}, "end": G_END}, "unreadable time"),
    ({"id": "g1", "start": {"dateTime": "2026-13-01T09:00:00Z"}, "end": G_END}, "unreadable time"),
    ({"id": "g1", "start": {"dateTime": "2026-12-01T09:00:00"}, "end": G_END}, "without a zone"),
    ({"id": "g1", "start": {"date": "2026-02-30"}, "end": {"date": "2026-03-01"}}, "unreadable date"),
    ({"id": "g1", "start": G_END, "end": G_START}, "ends before it starts"),
    ({"id": "g1", "start": {"date": "2026-12-02"}, "end": {"date": "2026-12-01"}}, "ends before it starts"),
    ({"id": "g1", "start": {**G_START, "timeZone": "Mars/Olympus"}, "end": G_END}, "unknown time zone"),
    ({"start": G_START, "end": G_END}, "without an id"),
])
def test_google_parse_rejects_malformed_events(item, message):
    with pytest.raises(InvalidEvent, match=message):
        gparse.parse_event(item)


M_START = {"dateTime": "2026-12-01T09:00:00.0000000", "timeZone": "UTC"}
M_END = {"dateTime": "2026-12-01T10:00:00.0000000", "timeZone": "UTC"}


@pytest.mark.parametrize(("item", "message"), [
    ({"id": "m1", "end": M_END}, "no start or end"),
    ({"id": "m1", "start": M_START}, "no start or end"),
    ({"id": "m1", "start": {"timeZone": "UTC"}, "end": M_END}, "no start or end"),
    ({"id": "m1", "start": {"dateTime": "not a time", "timeZone": "UTC"}, "end": M_END}, "unreadable time"),
    ({"id": "m1", "start": {"dateTime": "2026-12-32T09:00:00", "timeZone": "UTC"}, "end": M_END}, "unreadable time"),
    ({"id": "m1", "start": M_END, "end": M_START}, "ends before it starts"),
    ({"id": "m1", "start": {**M_START, "timeZone": "Mars/Olympus"}, "end": M_END}, "unknown time zone"),
    ({"start": M_START, "end": M_END}, "without an id"),
])
def test_microsoft_parse_rejects_malformed_events(item, message):
    with pytest.raises(InvalidEvent, match=message):
        mparse.parse_event(item)


def test_parse_items_keep_going_past_a_bad_event():
    good = {"id": "g2", "start": G_START, "end": G_END}
    events, invalid = gparse.parse_items([{"id": "g1", "start": G_END, "end": G_START}, good], "UTC")
    assert [e.id for e in events] == ["g2"]
    assert [(i.event_id, i.reason) for i in invalid] == [("g1", "the event ends before it starts")]
    m_good = {"id": "m2", "start": M_START, "end": M_END}
    events, invalid, removed = mparse.parse_items([{"id": "m1", "end": M_END}, m_good,
                                                   {"id": "m3", "@removed": {"reason": "deleted"}}])
    assert [e.id for e in events] == ["m2"]
    assert [i.event_id for i in invalid] == ["m1"]
    assert removed == ["m3"]


def test_cancelled_events_parse_as_deleted_and_have_no_values():
    for parsed in (gparse.parse_event({"id": "g1", "status": "cancelled"}),
                   mparse.parse_event({"id": "m1", "isCancelled": True})):
        assert parsed.deleted and parsed.data is None
        with pytest.raises(InvalidEvent, match="no content"):
            event_values(parsed)


# --- zone-less times ----------------------------------------------------------------------------------------------


def test_zone_less_rfc3339_is_rejected_never_read_as_utc():
    with pytest.raises(InvalidEvent, match="without a zone"):
        parse_rfc3339("2026-12-01T09:00:00")
    assert parse_rfc3339("2026-12-01T10:00:00+01:00") == utc(2026, 12, 1, 9)


@pytest.mark.parametrize(("wall", "zone_name", "expected"), [
    ("2026-12-01T09:00:00", None, utc(2026, 12, 1, 9)),
    ("2026-12-01T09:00:00", "", utc(2026, 12, 1, 9)),
    ("2026-12-01T09:00:00.0000000", "Europe/Berlin", utc(2026, 12, 1, 8)),
    ("2026-07-01T09:00:00.1234567", "Europe/Berlin", datetime(2026, 7, 1, 7, 0, 0, 123456, tzinfo=UTC)),
    ("2026-07-01T09:00:00", "America/New_York", utc(2026, 7, 1, 13)),
])
def test_zone_less_wall_times_are_read_in_the_named_zone(wall, zone_name, expected):
    assert local_wall_time(wall, zone_name) == expected


def test_base_of_a_zone_less_time_is_refused():
    with pytest.raises(ValueError, match="naive"):
        mapping.to_base({"start": datetime(2026, 12, 1, 9)})


def test_microsoft_event_without_a_zone_is_read_as_utc():
    item = {"id": "m1", "start": {"dateTime": "2026-12-01T09:00:00.0000000"},
            "end": {"dateTime": "2026-12-01T10:00:00.0000000"}}
    data = mparse.parse_event(item).data
    assert (data.start, data.end, data.time_zone) == (utc(2026, 12, 1, 9), utc(2026, 12, 1, 10), "UTC")


# --- all-day events: 00:00 of the first day to 00:00 after the last, in the calendar's zone -------------------------


@pytest.mark.parametrize(("calendar_zone", "first", "after_last", "start", "end"), [
    ("UTC", "2026-12-01", "2026-12-02", utc(2026, 12, 1), utc(2026, 12, 2)),
    (None, "2026-12-01", "2026-12-03", utc(2026, 12, 1), utc(2026, 12, 3)),
    ("Europe/Berlin", "2026-12-01", "2026-12-02", utc(2026, 11, 30, 23), utc(2026, 12, 1, 23)),
    ("Europe/Berlin", "2026-03-29", "2026-03-30", utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),  # 23 hours
    ("Europe/Berlin", "2026-10-25", "2026-10-26", utc(2026, 10, 24, 22), utc(2026, 10, 25, 23)),  # 25 hours
    ("America/New_York", "2026-03-08", "2026-03-09", utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)),
    ("America/New_York", "2026-11-01", "2026-11-02", utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
])
def test_google_all_day_events(calendar_zone, first, after_last, start, end):
    item = {"id": "g1", "start": {"date": first}, "end": {"date": after_last}}
    data = gparse.parse_event(item, calendar_zone).data
    assert data.all_day
    assert (data.start, data.end) == (start, end)
    assert data.time_zone == (calendar_zone or "UTC")
    assert event_values(remote(data))["start"] == start


def test_google_all_day_event_in_its_own_zone():
    item = {"id": "g1", "start": {"date": "2026-12-01", "timeZone": "America/New_York"}, "end": {"date": "2026-12-02"}}
    data = gparse.parse_event(item, "Europe/Berlin").data
    assert (data.start, data.end) == (utc(2026, 12, 1, 5), utc(2026, 12, 2, 5))


@pytest.mark.parametrize("zone_name", ["UTC", "Europe/Berlin", "America/New_York"])
def test_microsoft_all_day_events_keep_the_days_graph_names(zone_name):
    item = {"id": "m1", "isAllDay": True,
            "start": {"dateTime": "2026-03-29T00:00:00.0000000", "timeZone": zone_name},
            "end": {"dateTime": "2026-03-31T00:00:00.0000000", "timeZone": zone_name}}
    data = mparse.parse_event(item).data
    assert data.all_day
    # Graph's parser knows no calendar zone: the days are read in UTC
    assert (data.start, data.end) == (utc(2026, 3, 29), utc(2026, 3, 31))


# --- time zones and DST -------------------------------------------------------------------------------------------

# (zone, start, end) as exact UTC instants around each 2026 change
DST_CASES = [
    # Berlin spring forward, 2026-03-29 01:00 UTC: 02:00 CET -> 03:00 CEST
    ("Europe/Berlin", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30)),  # 01:30 CET -> 03:30 CEST
    ("Europe/Berlin", utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),  # 03:00 -> 04:00 CEST
    ("Europe/Berlin", utc(2026, 3, 28, 8), utc(2026, 3, 30, 8)),  # over the change, 48 h
    # Berlin fall back, 2026-10-25 01:00 UTC: 03:00 CEST -> 02:00 CET; 02:00-03:00 comes twice
    ("Europe/Berlin", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 45)),  # first 02:30 (CEST)
    ("Europe/Berlin", utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 1, 45)),  # repeated 02:30 (CET)
    ("Europe/Berlin", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0)),  # 02:30 CEST -> 02:00 CET
    ("Europe/Berlin", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),  # 02:30 CEST -> 02:30 CET
    ("Europe/Berlin", utc(2026, 10, 24, 23), utc(2026, 10, 25, 3)),  # 01:00 CEST -> 04:00 CET
    # New York spring forward, 2026-03-08 07:00 UTC: 02:00 EST -> 03:00 EDT
    ("America/New_York", utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30)),  # 01:30 EST -> 03:30 EDT
    ("America/New_York", utc(2026, 3, 7, 14), utc(2026, 3, 9, 13)),
    # New York fall back, 2026-11-01 06:00 UTC: 02:00 EDT -> 01:00 EST; 01:00-02:00 comes twice
    ("America/New_York", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 5, 45)),  # first 01:30 (EDT)
    ("America/New_York", utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 6, 45)),  # repeated 01:30 (EST)
    ("America/New_York", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 15)),  # 01:30 EDT -> 01:15 EST
    ("America/New_York", utc(2026, 10, 31, 14), utc(2026, 11, 2, 14)),
]
DST_IDS = [f"{z.split('/')[1]}-{s:%m%dT%H%M}-{e:%m%dT%H%M}" for z, s, e in DST_CASES]


def _dst_job(zone_name, start, end, local: bool) -> JobValues:
    if local:  # the same instants, given as wall times in the zone (fold says which of a repeated hour)
        start, end = start.astimezone(ZoneInfo(zone_name)), end.astimezone(ZoneInfo(zone_name))
    return JobValues(start=start, end=end, notes="n", title="WO1", location="here", time_zone=zone_name)


@pytest.mark.parametrize(("zone_name", "start", "end"), DST_CASES, ids=DST_IDS)
@pytest.mark.parametrize("local", [False, True], ids=["utc-job", "zoned-job"])
def test_dst_base_round_trip(zone_name, start, end, local):
    values = _dst_job(zone_name, start, end, local).synced()
    assert (values["start"], values["end"]) == (start, end)
    based = mapping.to_base(values)
    assert based["start"].endswith("Z")
    assert mapping.from_base(based) == values
    assert mapping.fingerprint(values) == mapping.fingerprint(mapping.from_base(based))


@pytest.mark.parametrize(("zone_name", "start", "end"), DST_CASES, ids=DST_IDS)
@pytest.mark.parametrize("local", [False, True], ids=["utc-job", "zoned-job"])
def test_dst_google_round_trip(zone_name, start, end, local):
    job = _dst_job(zone_name, start, end, local)
    body = gparse.event_body(job_to_event(job), "identity-1", invite_attendees=False)
    assert body["start"]["timeZone"] == zone_name
    parsed = gparse.parse_event({**body, "id": "g1", "etag": '"1"'}, "UTC")
    assert parsed.identity == "identity-1"
    values = event_values(parsed)
    assert (values["start"], values["end"]) == (start, end)
    assert values == {**job.synced(), **job.pushed()}
    assert parsed.data.time_zone == zone_name


@pytest.mark.parametrize(("zone_name", "start", "end"), DST_CASES, ids=DST_IDS)
@pytest.mark.parametrize("local", [False, True], ids=["utc-job", "zoned-job"])
def test_dst_microsoft_round_trip(zone_name, start, end, local):
    job = _dst_job(zone_name, start, end, local)
    body = mparse.event_body(job_to_event(job), invite_attendees=False)
    for side in ("start", "end"):  # wall times with no offset: each must name one instant
        assert "+" not in body[side]["dateTime"] and not body[side]["dateTime"].endswith("Z")
    parsed = mparse.parse_event({**body, "id": "m1", "changeKey": "1"})
    values = event_values(parsed)
    assert (values["start"], values["end"]) == (start, end)
    assert values == {**job.synced(), **job.pushed()}


@pytest.mark.parametrize(("instant", "zone_name", "wall"), [
    (utc(2026, 10, 25, 0, 30), "Europe/Berlin", "2026-10-25T02:30:00"),
    (utc(2026, 11, 1, 5, 30), "America/New_York", "2026-11-01T01:30:00"),
])
def test_microsoft_body_of_the_repeated_hour_names_one_instant(instant, zone_name, wall):
    # the same wall time an hour later is the repeated one: it is sent in UTC, the earlier one in the zone
    first = mparse.event_body(event(instant, instant + timedelta(minutes=10), time_zone=zone_name), False)
    later = instant + timedelta(hours=1)
    second = mparse.event_body(event(later, later + timedelta(minutes=10), time_zone=zone_name), False)
    assert in_zone_wall(instant, zone_name) == in_zone_wall(later, zone_name) == wall
    bodies = [first["start"], second["start"]]
    assert len({(b["dateTime"], b["timeZone"]) for b in bodies}) == 2
    assert [local_wall_time(b["dateTime"], b["timeZone"]) for b in bodies] == [instant, later]


def in_zone_wall(value: datetime, zone_name: str) -> str:
    return value.astimezone(ZoneInfo(zone_name)).strftime("%Y-%m-%dT%H:%M:%S")


def test_microsoft_body_keeps_the_zone_outside_the_repeated_hour():
    body = mparse.event_body(event(utc(2026, 7, 1, 7), utc(2026, 7, 1, 8), time_zone="Europe/Berlin"), False)
    assert body["start"] == {"dateTime": "2026-07-01T09:00:00", "timeZone": "Europe/Berlin"}
    assert body["end"] == {"dateTime": "2026-07-01T10:00:00", "timeZone": "Europe/Berlin"}


# --- explicit zones on the wire -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "expected"), [
    ({"dateTime": "2026-10-25T02:30:00+02:00", "timeZone": "Europe/Berlin"}, utc(2026, 10, 25, 0, 30)),
    ({"dateTime": "2026-10-25T02:30:00+01:00", "timeZone": "Europe/Berlin"}, utc(2026, 10, 25, 1, 30)),
    ({"dateTime": "2026-03-29T03:30:00+02:00", "timeZone": "Europe/Berlin"}, utc(2026, 3, 29, 1, 30)),
    ({"dateTime": "2026-11-01T01:30:00-04:00", "timeZone": "America/New_York"}, utc(2026, 11, 1, 5, 30)),
    ({"dateTime": "2026-11-01T01:30:00-05:00", "timeZone": "America/New_York"}, utc(2026, 11, 1, 6, 30)),
    ({"dateTime": "2026-03-08T03:30:00-04:00", "timeZone": "America/New_York"}, utc(2026, 3, 8, 7, 30)),
    # the offset is what counts; the zone only says how the calendar shows it
    ({"dateTime": "2026-12-01T09:00:00Z", "timeZone": "America/New_York"}, utc(2026, 12, 1, 9)),
])
def test_google_explicit_zone(side, expected):
    item = {"id": "g1", "start": side, "end": {"dateTime": "2026-12-31T00:00:00Z"}}
    data = gparse.parse_event(item, "UTC").data
    assert data.start == expected
    assert data.start.utcoffset() == timedelta(0)
    assert data.time_zone == side["timeZone"]
    assert not data.all_day


def test_google_zone_falls_back_to_the_calendar_zone():
    item = {"id": "g1", "start": {"dateTime": "2026-12-01T09:00:00+01:00"}, "end": {"dateTime": "2026-12-01T10:00:00Z"}}
    assert gparse.parse_event(item, "Europe/Berlin").data.time_zone == "Europe/Berlin"
    assert gparse.parse_event(item, None).data.time_zone == "UTC"
    with pytest.raises(InvalidEvent, match="unknown time zone"):
        gparse.parse_event(item, "Nowhere/Special")


@pytest.mark.parametrize(("wall", "zone_name", "expected"), [
    ("2026-07-01T09:00:00.0000000", "Europe/Berlin", utc(2026, 7, 1, 7)),
    ("2026-12-01T09:00:00.0000000", "Europe/Berlin", utc(2026, 12, 1, 8)),
    ("2026-03-29T03:30:00.0000000", "Europe/Berlin", utc(2026, 3, 29, 1, 30)),
    # a wall time the spring-forward gap skips is read with the offset before the change
    ("2026-03-29T02:30:00.0000000", "Europe/Berlin", utc(2026, 3, 29, 1, 30)),
    ("2026-03-08T02:30:00.0000000", "America/New_York", utc(2026, 3, 8, 7, 30)),
    # a repeated wall time (fall back) is read as its first occurrence (fold=0, summer time)
    ("2026-10-25T02:30:00.0000000", "Europe/Berlin", utc(2026, 10, 25, 0, 30)),
    ("2026-11-01T01:30:00.0000000", "America/New_York", utc(2026, 11, 1, 5, 30)),
    ("2026-10-25T03:30:00.0000000", "Europe/Berlin", utc(2026, 10, 25, 2, 30)),
    ("2026-10-25T02:30:00.0000000", "UTC", utc(2026, 10, 25, 2, 30)),
])
def test_microsoft_explicit_zone(wall, zone_name, expected):
    item = {"id": "m1", "start": {"dateTime": wall, "timeZone": zone_name},
            "end": {"dateTime": "2026-12-31T00:00:00.0000000", "timeZone": "UTC"}}
    data = mparse.parse_event(item).data
    assert data.start == expected
    assert data.time_zone == zone_name


@pytest.mark.parametrize("windows_zone", ["W. Europe Standard Time", "Eastern Standard Time"])
def test_microsoft_windows_zone_names_are_refused_not_read_as_utc(windows_zone):
    # parse.py knows IANA names only (the client asks Graph for nothing else, so Graph answers in UTC)
    item = {"id": "m1", "start": {"dateTime": "2026-10-25T02:30:00.0000000", "timeZone": windows_zone},
            "end": {"dateTime": "2026-10-25T03:30:00.0000000", "timeZone": windows_zone}}
    with pytest.raises(InvalidEvent, match="unknown time zone"):
        mparse.parse_event(item)


@pytest.mark.parametrize(("original_zone", "time_zone"), [
    ("W. Europe Standard Time", "UTC"),  # a Windows name is no IANA zone: shown in UTC
    ("Europe/Berlin", "Europe/Berlin"),
    (None, "UTC"),
])
def test_microsoft_original_start_zone(original_zone, time_zone):
    item = {"id": "m1", "start": M_START, "end": M_END}
    if original_zone:
        item["originalStartTimeZone"] = original_zone
    data = mparse.parse_event(item).data
    assert data.time_zone == time_zone
    assert (data.start, data.end) == (utc(2026, 12, 1, 9), utc(2026, 12, 1, 10))


def test_microsoft_parse_reads_fields_and_html_body():
    item = {"id": "m1", "changeKey": "ck", "transactionId": "ident", "subject": "WO1 Site",
            "start": M_START, "end": M_END, "location": {"displayName": "1 Main St"},
            "body": {"contentType": "html",
                     "content": "<html><body><p>a<br>b</p>\r\n<p>FieldOps crew: Ann</p></body></html>"},
            "attendees": [{"emailAddress": {"address": "ann@x.test"}}, {"emailAddress": {}}]}
    parsed = mparse.parse_event(item)
    assert (parsed.id, parsed.version, parsed.identity) == ("m1", "ck", "ident")
    assert parsed.data.attendees == ("ann@x.test",)
    assert event_values(parsed) == {"start": utc(2026, 12, 1, 9), "end": utc(2026, 12, 1, 10),
                                    "notes": "a\nb", "title": "WO1 Site", "location": "1 Main St"}


# --- describe / fingerprint ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (None, "(empty)"),
    ("", "(empty)"),
    ("notes", "notes"),
    (datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN), "2026-10-25 01:30 UTC"),
    (datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=BERLIN), "2026-10-25 00:30 UTC"),
])
def test_describe(value, text):
    assert mapping.describe("start", value) == text


def test_fingerprint_is_stable_and_sensitive():
    values = {"start": utc(2026, 12, 1, 9), "notes": "a"}
    assert mapping.fingerprint(values) == mapping.fingerprint({"notes": "a", "start": utc(2026, 12, 1, 9)})
    assert mapping.fingerprint(values) == mapping.fingerprint({"start": datetime(2026, 12, 1, 10, tzinfo=BERLIN),
                                                               "notes": "a"})
    assert mapping.fingerprint(values) != mapping.fingerprint({**values, "notes": "b"})
    assert mapping.fingerprint(values) != mapping.fingerprint({**values, "start": utc(2026, 12, 1, 9, 1)})
