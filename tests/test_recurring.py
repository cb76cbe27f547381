"""Recurring events with both providers: jobs linked to single occurrences follow them, never the series.

Each job here is linked to one occurrence of a series that a person created in the
calendar (as the addon links a job to an occurrence). Both emulators expand series
the way their APIs do (Google: singleEvents instances; Graph: calendarView
occurrences) and turn an edited occurrence into an exception.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from calsync import sync
from calsync.google import GoogleCalendarClient
from calsync.guard import MassDeletionGuard, MassDeletionHeld
from calsync.mapping import JobValues, event_values, to_base
from calsync.microsoft import GraphCalendarClient
from calsync.store import MemoryDatabase

START = datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc)
SERIES = {"title": "Daily cold room check", "start": START, "end": START + timedelta(hours=1),
          "description": "Check the cold room"}


class Calendar:
    """One provider's client and a person using that calendar's own UI."""

    def __init__(self, name, client, emulator, account):
        self.name, self.client, self.emulator, self.account = name, client, emulator, account

    def series(self, count=5, **fields):
        series_id = self.emulator.person_create_series(self.account, dict(SERIES, **fields),
                                                       f"FREQ=DAILY;COUNT={count}")
        return series_id, self.emulator.occurrence_ids(series_id, account=self.account)

    def edit(self, event_id, **fields):
        self.emulator.person_edit(event_id, fields, account=self.account)

    def delete(self, event_id):
        self.emulator.person_delete(event_id, account=self.account)

    def writes(self, since):
        return [r for r in self.emulator.requests_log()[since:] if r["method"] in ("POST", "PATCH", "PUT", "DELETE")]


@pytest.fixture(params=["google", "microsoft"])
def calendar(request, emulator, config, account, ms_emulator, ms_config, ms_cache, ms_account):
    if request.param == "google":
        from tests.google_fixtures import sign_in

        client = GoogleCalendarClient(config, sign_in(config, account), sleep=lambda s: None)
        return Calendar("google", client, emulator, account)
    client = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)
    return Calendar("microsoft", client, ms_emulator, ms_account)


class Office:
    """The Odoo side: jobs linked to the series' occurrences, in sync after a first pull."""

    def __init__(self, calendar, occurrence_ids):
        self.calendar = calendar
        self.db = MemoryDatabase()
        self.store = self.db.store(calendar.name)
        listing = calendar.client.list_changes(None)
        by_id = {e.id: e for e in listing.events}
        self.jobs = {}
        for n, event_id in enumerate(occurrence_ids):
            remote = by_id[event_id]
            values = event_values(remote)
            job = JobValues(start=values["start"], end=values["end"], notes=values["notes"],
                            title=remote.data.title, location=remote.data.location)
            key = f"job{n}"
            self.db.data.jobs[key] = job
            self.db.data.carried_by[key] = calendar.name
            link = self.store.new_link(key, f"occurrence-{n}")
            link.event_id, link.version, link.state = remote.id, remote.version, "in_sync"
            link.base = to_base(values)
            self.store.save_link(link)
            if remote.series_id:  # as the addon keeps which series its occurrence links belong to
                self.store.bind_to_series(link.key, remote.series_id)
            self.jobs[n] = key
        self.store.set_cursor(listing.cursor)
        self.db.commit()

    def job(self, n):
        return self.db.data.jobs[self.jobs[n]]

    def link(self, n):
        return next(link for link in self.store.all_links() if link.job_key == self.jobs[n])

    def pull(self, **kw):
        return sync.pull(self.calendar.client, self.store, **kw)

    def edit_job(self, n, **changes):
        key = self.jobs[n]
        self.db.data.jobs[key] = replace(self.db.data.jobs[key], **changes)
        self.store.mark_owed(key)
        self.db.commit()


def test_moving_one_occurrence_moves_only_its_job(calendar):
    _series, occurrences = calendar.series()
    office = Office(calendar, occurrences[:3])
    moved = START + timedelta(days=1, hours=5)
    calendar.edit(occurrences[1], start=moved, end=moved + timedelta(hours=2))
    report = office.pull()
    assert report.applied == 1
    assert (office.job(1).start, office.job(1).end) == (moved, moved + timedelta(hours=2))
    assert office.job(0).start == START and office.job(2).start == START + timedelta(days=2)
    assert office.link(1).state == "in_sync"


def test_cancelling_one_occurrence_goes_through_the_deletion_rule(calendar):
    _series, occurrences = calendar.series()
    office = Office(calendar, occurrences[:3])
    calendar.delete(occurrences[2])
    office.pull()
    # by default a calendar deletion is reviewed, never applied silently
    assert office.link(2).state == "conflict"
    assert office.db.data.conflicts[office.link(2).key].deletion
    assert not office.job(2).cancelled
    assert [office.link(n).state for n in (0, 1)] == ["in_sync", "in_sync"]


def test_cancelled_occurrence_cancels_its_job_where_the_connection_allows_it(calendar):
    _series, occurrences = calendar.series()
    office = Office(calendar, occurrences[:3])
    calendar.delete(occurrences[0])
    office.pull(allow_calendar_cancel=True)
    assert office.job(0).cancelled
    assert not office.job(1).cancelled


def test_a_series_edit_reaches_every_linked_job_through_the_merge_rules(calendar):
    series, occurrences = calendar.series()
    office = Office(calendar, occurrences[:3])
    office.edit_job(2, notes="Job-side note")  # a local edit to the same field: that job must conflict
    calendar.edit(series, description="Check the cold room and the freezer")
    office.pull()
    assert [office.job(n).notes for n in (0, 1)] == ["Check the cold room and the freezer"] * 2
    assert office.job(2).notes == "Job-side note"
    assert office.link(2).state == "conflict"
    assert set(office.db.data.conflicts[office.link(2).key].fields) == {"notes"}


def test_deleting_the_series_is_never_silently_applied(calendar):
    series, occurrences = calendar.series(count=3)
    office = Office(calendar, occurrences)
    office.edit_job(1, notes="Bring the spare compressor")
    calendar.delete(series)
    # every linked job would lose its event: the guard holds the whole pull for a person
    with pytest.raises(MassDeletionHeld):
        office.pull(guard=MassDeletionGuard(min_count=2, ratio=0.5))
    assert all(not office.job(n).cancelled for n in range(3))
    # confirmed, the deletions still go to review, one per job, the locally edited one included
    office.pull(guard=MassDeletionGuard(min_count=2, ratio=0.5, confirmed=True))
    assert [office.link(n).state for n in range(3)] == ["conflict"] * 3
    assert all(office.db.data.conflicts[office.link(n).key].deletion for n in range(3))
    assert office.job(1).notes == "Bring the spare compressor"
    assert all(not office.job(n).cancelled for n in range(3))


def test_a_job_push_edits_only_its_occurrence_as_an_exception(calendar):
    series, occurrences = calendar.series()
    office = Office(calendar, occurrences[:3])
    moved = START + timedelta(days=1, hours=3)
    office.edit_job(1, start=moved, end=moved + timedelta(hours=1), notes="Moved by dispatch")
    mark = len(calendar.emulator.requests_log())
    report = sync.push(calendar.client, office.store)
    assert report.updated == 1
    (write,) = calendar.writes(mark)
    assert write["method"] in ("PATCH", "PUT") and occurrences[1] in write["path"], "the occurrence, not the series"
    listing = {e.id: e for e in calendar.client.list_changes(None).events}
    assert listing[occurrences[1]].data.start == moved
    assert listing[occurrences[1]].series_id == series
    assert listing[occurrences[0]].data.start == START, "the rest of the series is untouched"
    assert listing[occurrences[3]].data.start == START + timedelta(days=3)
    assert len([e for e in listing.values() if e.series_id == series]) == 5, "no occurrence added or lost"
    # and the next pull is an echo: nothing changes on the job side
    before = office.job(1)
    office.pull()
    assert office.job(1) == before and office.link(1).state == "in_sync"
