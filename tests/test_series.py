"""Series we create ourselves (one recurring event for a recurring job), against both emulators over HTTP.

Jobs are bound to the occurrences by ``original_start``; the occurrence rules
of ``test_recurring.py`` then apply to them unchanged.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from calsync import sync
from calsync.events import EventData
from calsync.mapping import JobValues, event_values, to_base
from calsync.recurrence import Recurrence, Unrepresentable
from calsync.store import MemoryDatabase

START = datetime(2027, 5, 3, 9, 0, tzinfo=timezone.utc)
FIRST = EventData(title="FSR00001 Cold room", start=START, end=START + timedelta(hours=2),
                  description="Check the cold room", location="1 Main St")
WINDOW = (START - timedelta(days=1), START + timedelta(days=60))


def test_rule_text_for_each_provider():
    assert Recurrence("daily").rrule() == "RRULE:FREQ=DAILY"
    weekly = Recurrence("weekly", 2, count=4)
    assert weekly.rrule() == "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4"
    graph = weekly.graph(START, "Europe/Brussels")
    assert graph["pattern"] == {"type": "weekly", "interval": 2, "daysOfWeek": ["monday"], "firstDayOfWeek": "monday"}
    assert graph["range"] == {"type": "numbered", "numberOfOccurrences": 4, "startDate": "2027-05-03",
                              "recurrenceTimeZone": "Europe/Brussels"}
    stopped = Recurrence("daily").ending(START + timedelta(days=2, hours=1))
    assert stopped.rrule() == "RRULE:FREQ=DAILY;UNTIL=20270505T100000Z"
    assert stopped.graph(START, "UTC")["range"]["endDate"] == "2027-05-05"
    # an end earlier in the day than the occurrences: the last occurrence is the day before
    assert Recurrence("daily").ending(START + timedelta(days=2, hours=-1)).graph(START, "UTC")["range"][
        "endDate"] == "2027-05-04"


@pytest.mark.parametrize("args", [("hourly",), ("daily", 0)])
def test_rules_the_providers_would_read_differently_are_refused(args):
    with pytest.raises(Unrepresentable):
        Recurrence(*args)


def test_one_series_with_its_occurrences(side):
    client, emulator, account = side
    before = len(emulator.live_events(account))
    master = client.create_series("s" + "0" * 30 + "1", FIRST, Recurrence("daily", count=4))
    assert len(emulator.live_events(account)) == before + 1, "one stored event: the series master"
    instances = client.series_instances(master.id, *WINDOW)
    assert [i.original_start for i in instances] == [START + timedelta(days=n) for n in range(4)]
    assert {i.series_id for i in instances} == {master.id}
    assert all(i.data.title == FIRST.title and i.data.end - i.data.start == timedelta(hours=2) for i in instances)
    # a retried create (a crash before our commit) finds the same series
    again = client.create_series("s" + "0" * 30 + "1", FIRST, Recurrence("daily", count=4))
    assert again.id == master.id
    assert len(emulator.live_events(account)) == before + 1


def test_ending_a_series_keeps_its_past_occurrences(side):
    client, _emulator, _account = side
    master = client.create_series("s" + "0" * 30 + "2", FIRST, Recurrence("weekly"))
    first = client.series_instances(master.id, *WINDOW)
    assert len(first) >= 8
    ended = client.update_series(master.id, FIRST, Recurrence("weekly").ending(START + timedelta(weeks=2)),
                                 if_match=master.version)
    left = client.series_instances(ended.id, *WINDOW)
    assert [i.original_start for i in left] == [START + timedelta(weeks=n) for n in range(3)]
    assert [i.id for i in left] == [i.id for i in first[:3]], "the occurrences that stay keep their ids"


def test_jobs_bound_to_occurrences_follow_the_occurrence_rules(side):
    """Bound by original start, one job per occurrence: a job edit is an exception, a calendar move moves one job."""
    client, emulator, account = side
    master = client.create_series("s" + "0" * 30 + "3", FIRST, Recurrence("daily", count=3))
    db = MemoryDatabase()
    store = db.store(client.name)
    by_start = {i.original_start: i for i in client.series_instances(master.id, *WINDOW)}
    for n in range(3):
        occurrence = by_start[START + timedelta(days=n)]
        key = f"job{n}"
        db.data.jobs[key] = JobValues(start=occurrence.data.start, end=occurrence.data.end,
                                      notes=FIRST.description, title=FIRST.title, location=FIRST.location)
        db.data.carried_by[key] = client.name
        link = store.new_link(key, f"occ{n}")
        link.event_id, link.version, link.state = occurrence.id, occurrence.version, "in_sync"
        link.base = to_base(event_values(occurrence))
        store.save_link(link)
    store.set_cursor(client.list_changes(None).cursor)
    db.commit()
    assert sync.pull(client, store).applied == 0, "nothing to apply right after binding"

    moved = START + timedelta(days=1, hours=4)
    db.data.jobs["job1"] = JobValues(start=moved, end=moved + timedelta(hours=2), notes=FIRST.description,
                                     title=FIRST.title, location=FIRST.location)
    store.mark_owed("job1")
    db.commit()
    assert sync.push(client, store).updated == 1
    instances = {i.original_start: i for i in client.series_instances(master.id, *WINDOW)}
    assert instances[START + timedelta(days=1)].data.start == moved, "the job's occurrence became an exception"
    assert instances[START + timedelta(days=2)].data.start == START + timedelta(days=2)
    assert len(emulator.live_events(account)) >= 1 and client.get(master.id).data.start == START


def test_a_rule_we_wrote_reads_back():
    for rule in (Recurrence("daily"), Recurrence("weekly", 3, count=7),
                 Recurrence("daily").ending(START + timedelta(days=9))):
        assert Recurrence.from_rrule(rule.rrule()) == rule
    with pytest.raises(Unrepresentable):
        Recurrence.from_rrule("RRULE:FREQ=MONTHLY;BYDAY=MO,WE;BYSETPOS=1")
