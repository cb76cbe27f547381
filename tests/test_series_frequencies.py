"""Every frequency both calendars can say the same way, as one series, against both emulators over HTTP.

Series start at 09:00 in Europe/Paris and cross a daylight-saving change (28 March and 31 October
2027): the occurrences stay at 09:00 on the wall clock. Each expected list of dates is written out
by hand, and ``Recurrence.starts`` (dateutil's rrule) must give the same dates as both providers.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calsync.events import EventData
from calsync.recurrence import Recurrence, Unrepresentable

PARIS = ZoneInfo("Europe/Paris")
_ids = itertools.count(1)


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=PARIS)


def job(day: date) -> EventData:
    start = at_nine(day)
    return EventData(title="FSR00027 Maintenance", start=start, end=start + timedelta(hours=1),
                     description="Quarterly check", location="1 Main St", time_zone="Europe/Paris")


D = date
CASES = {
    # name: (rule, first day, expected days, RRULE, Graph pattern)
    "monthly on the 15th": (
        Recurrence("monthly", count=4), D(2027, 1, 15), [D(2027, 1, 15), D(2027, 2, 15), D(2027, 3, 15),
                                                         D(2027, 4, 15)],
        "RRULE:FREQ=MONTHLY;BYMONTHDAY=15;COUNT=4",
        {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 15}),
    "quarterly": (
        Recurrence("monthly", 3, count=4, month_day=10), D(2027, 2, 10),
        [D(2027, 2, 10), D(2027, 5, 10), D(2027, 8, 10), D(2027, 11, 10)],
        "RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=10;COUNT=4",
        {"type": "absoluteMonthly", "interval": 3, "dayOfMonth": 10}),
    "half-yearly": (
        Recurrence("monthly", 6, count=3), D(2027, 3, 1), [D(2027, 3, 1), D(2027, 9, 1), D(2028, 3, 1)],
        "RRULE:FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1;COUNT=3",
        {"type": "absoluteMonthly", "interval": 6, "dayOfMonth": 1}),
    "the 2nd Tuesday": (
        Recurrence("monthly", count=3, days=("TU",), position=2), D(2027, 2, 9),
        [D(2027, 2, 9), D(2027, 3, 9), D(2027, 4, 13)],
        "RRULE:FREQ=MONTHLY;BYDAY=2TU;COUNT=3",
        {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["tuesday"], "index": "second"}),
    "the last Friday": (
        Recurrence("monthly", count=3, days=("FR",), position=-1), D(2027, 3, 26),
        [D(2027, 3, 26), D(2027, 4, 30), D(2027, 5, 28)],
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
        {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["friday"], "index": "last"}),
    "yearly": (
        Recurrence("yearly", count=3), D(2027, 10, 20), [D(2027, 10, 20), D(2028, 10, 20), D(2029, 10, 20)],
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=20;COUNT=3",
        {"type": "absoluteYearly", "interval": 1, "month": 10, "dayOfMonth": 20}),
    "yearly on 31 January": (
        Recurrence("yearly", count=2), D(2027, 1, 31), [D(2027, 1, 31), D(2028, 1, 31)],
        "RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=31;COUNT=2",
        {"type": "absoluteYearly", "interval": 1, "month": 1, "dayOfMonth": 31}),
    "yearly on the last Friday of November": (
        Recurrence("yearly", count=2, days=("FR",), position=-1, month=11), D(2027, 11, 26),
        [D(2027, 11, 26), D(2028, 11, 24)],
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=-1FR;COUNT=2",
        {"type": "relativeYearly", "interval": 1, "month": 11, "daysOfWeek": ["friday"], "index": "last"}),
    "weekly on Monday, Wednesday and Friday": (
        Recurrence("weekly", count=6, days=("FR", "MO", "WE")), D(2027, 3, 22),
        [D(2027, 3, 22), D(2027, 3, 24), D(2027, 3, 26), D(2027, 3, 29), D(2027, 3, 31), D(2027, 4, 2)],
        "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6",
        {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "wednesday", "friday"],
         "firstDayOfWeek": "monday"}),
    "fortnightly on Tuesday and Thursday": (
        Recurrence("weekly", 2, count=4, days=("TU", "TH")), D(2027, 10, 26),
        [D(2027, 10, 26), D(2027, 10, 28), D(2027, 11, 9), D(2027, 11, 11)],
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=MO;COUNT=4",
        {"type": "weekly", "interval": 2, "daysOfWeek": ["tuesday", "thursday"], "firstDayOfWeek": "monday"}),
    "fortnightly on Sunday and Tuesday, weeks from Monday": (
        Recurrence("weekly", 2, count=4, days=("SU", "TU")), D(2027, 3, 21),
        [D(2027, 3, 21), D(2027, 3, 30), D(2027, 4, 4), D(2027, 4, 13)],
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=MO;COUNT=4",
        {"type": "weekly", "interval": 2, "daysOfWeek": ["tuesday", "sunday"], "firstDayOfWeek": "monday"}),
}
WINDOW = (datetime(2027, 1, 1, tzinfo=timezone.utc), datetime(2030, 1, 1, tzinfo=timezone.utc))


@pytest.mark.parametrize("name", CASES)
def test_each_frequency_reads_the_same_to_both_providers_and_to_dateutil(name):
    rule, first, days, text, pattern = CASES[name]
    start = at_nine(first)
    anchored = rule.anchored(start, "Europe/Paris")
    assert anchored.rrule() == text
    assert rule.graph(start, "Europe/Paris")["pattern"] == pattern
    assert rule.starts(start, "Europe/Paris") == [at_nine(d).astimezone(timezone.utc) for d in days]
    assert Recurrence.from_rrule(anchored.rrule()) == anchored


@pytest.mark.parametrize("name", CASES)
def test_each_frequency_is_one_series_on_both_calendars_across_dst(side, name):
    client, emulator, account = side
    rule, first, days, _text, _pattern = CASES[name]
    before = len(emulator.live_events(account))
    master = client.create_series(f"f{next(_ids):031d}", job(first), rule)
    assert len(emulator.live_events(account)) == before + 1, "one stored event: the series master"
    instances = [i for i in client.series_instances(master.id, *WINDOW) if not i.deleted]
    assert [i.original_start.astimezone(PARIS).date() for i in instances] == days
    assert {i.data.start.astimezone(PARIS).time() for i in instances} == {time(9, 0)}, "09:00 across DST"
    assert [i.original_start for i in instances] == rule.starts(at_nine(first), "Europe/Paris")


@pytest.mark.parametrize("rule, first", [
    (Recurrence("monthly"), D(2027, 1, 31)),  # RFC 5545 skips February, Outlook takes its 28th
    (Recurrence("yearly"), D(2028, 2, 29)),  # likewise for 29 February outside leap years
    (Recurrence("weekly", days=("TU",)), D(2027, 3, 22)),  # a Monday: not the rule's first occurrence
    (Recurrence("monthly", days=("TU",), position=2), D(2027, 2, 16)),  # the 3rd Tuesday
])
def test_starts_the_providers_would_read_differently_are_refused(rule, first):
    with pytest.raises(Unrepresentable):
        rule.anchored(at_nine(first), "Europe/Paris")
    with pytest.raises(Unrepresentable):
        rule.graph(at_nine(first), "Europe/Paris")


@pytest.mark.parametrize("kwargs", [
    {"freq": "monthly", "month_day": 31}, {"freq": "monthly", "month_day": 29},
    {"freq": "yearly", "month": 2, "month_day": 29}, {"freq": "yearly", "month": 4, "month_day": 31},
    {"freq": "monthly", "days": ("TU",), "position": 5},  # Graph's index stops at fourth / last
    {"freq": "monthly", "days": ("TU",), "position": -2},
    {"freq": "monthly", "days": ("MO", "TU"), "position": 1},  # "the first Monday or Tuesday"
    {"freq": "monthly", "days": ("TU",)},  # every Tuesday of every Nth month
    {"freq": "yearly", "month_day": 15},  # RRULE would read "the 15th of every month"
    {"freq": "monthly", "month": 3},
    {"freq": "daily", "days": ("MO",)},
])
def test_rules_the_providers_would_read_differently_are_refused(kwargs):
    with pytest.raises(Unrepresentable):
        Recurrence(**kwargs)


def test_skipped_dates_are_series_exceptions_on_both_calendars(side):
    client, _emulator, _account = side
    skipped = at_nine(D(2027, 3, 29))  # the Monday after the DST change
    rule = Recurrence("weekly", count=4, exdates=(skipped,))
    assert rule.lines()[1] == "EXDATE:20270329T070000Z"
    master = client.create_series(f"f{next(_ids):031d}", job(D(2027, 3, 22)), rule)
    live = [i for i in client.series_instances(master.id, *WINDOW) if not i.deleted]
    expected = [D(2027, 3, 22), D(2027, 4, 5), D(2027, 4, 12)]
    assert [i.original_start.astimezone(PARIS).date() for i in live] == expected
    assert [i.original_start for i in live] == rule.starts(at_nine(D(2027, 3, 22)), "Europe/Paris")
    # a later rule change keeps the date skipped (Graph: the client deletes it again)
    longer = replace(rule, count=5)
    client.update_series(master.id, job(D(2027, 3, 22)), longer, if_match=client.get(master.id).version)
    live = [i for i in client.series_instances(master.id, *WINDOW) if not i.deleted]
    assert [i.original_start.astimezone(PARIS).date() for i in live] == [*expected, D(2027, 4, 19)]
    assert Recurrence.from_rrule("\n".join(longer.lines())) == longer


@pytest.mark.parametrize("name", ["quarterly", "the 2nd Tuesday", "weekly on Monday, Wednesday and Friday"])
def test_one_occurrence_edit_a_series_edit_and_ending(side, name):
    """As the daily and weekly series tests do: an occurrence moved alone, the rule changed, the series ended."""
    client, _emulator, _account = side
    rule, first, days, _text, _pattern = CASES[name]
    endless = replace(rule, count=None)
    master = client.create_series(f"f{next(_ids):031d}", job(first), endless)
    instances = [i for i in client.series_instances(master.id, *WINDOW) if not i.deleted]
    assert [i.original_start.astimezone(PARIS).date() for i in instances[:len(days)]] == days

    # one occurrence moved: only it changes
    second = instances[1]
    moved = second.data.start + timedelta(hours=3)
    client.update(second.id, replace(second.data, start=moved, end=moved + timedelta(hours=1)), second.version)
    again = {i.original_start: i for i in client.series_instances(master.id, *WINDOW) if not i.deleted}
    assert again[second.original_start].data.start == moved
    assert again[instances[2].original_start].data.start == instances[2].data.start

    # the series ended after its third occurrence: the first three stay, with their ids
    ended = endless.ending(instances[2].original_start)
    client.update_series(master.id, job(first), ended, if_match=client.get(master.id).version)
    left = [i for i in client.series_instances(master.id, *WINDOW) if not i.deleted]
    assert [i.id for i in left] == [i.id for i in instances[:3]]
    assert [i.original_start for i in left] == ended.starts(at_nine(first), "Europe/Paris")


def test_a_changed_interval_is_a_series_edit_on_both_calendars(side):
    client, _emulator, _account = side
    rule = Recurrence("monthly", count=4)
    master = client.create_series(f"f{next(_ids):031d}", job(D(2027, 1, 15)), rule)
    half_yearly = replace(rule, interval=6)
    client.update_series(master.id, job(D(2027, 1, 15)), half_yearly, if_match=master.version)
    live = [i for i in client.series_instances(master.id, *WINDOW) if not i.deleted]
    assert [i.original_start.astimezone(PARIS).date() for i in live] == \
        [D(2027, 1, 15), D(2027, 7, 15), D(2028, 1, 15), D(2028, 7, 15)]
