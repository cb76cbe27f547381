"""A person deletes one occurrence of a series we created: the job bound to it is not left behind.

Google lists the deleted instance as cancelled. Graph says nothing of it: calendarView delta
returns the series master, changed, with the occurrences that still exist, and the deleted one is
simply missing (microsoft-graph-docs PR #4501; Odoo 18's microsoft_calendar test_delete_events.py).
Both emulators behave so, and the engine finds the missing occurrence through the series listing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from calsync import sync
from calsync.events import EventData
from calsync.mapping import JobValues, event_values, to_base
from calsync.microsoft import GraphCalendarClient
from calsync.recurrence import Recurrence
from calsync.store import MemoryDatabase

START = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
FIRST = EventData(title="FSR00042 Boiler check", start=START, end=START + timedelta(hours=1),
                  description="Yearly boiler check", location="4 Station Rd")
WINDOW = (START - timedelta(days=1), START + timedelta(days=30))


def bound_series(client, identity, count=3, bind=True):
    """A series of ``count`` daily occurrences, each linked to a job of its own, all in sync.

    ``bind`` binds the links to the series as the recurring-orders bridge does; without it the links
    know their series only from what the provider answered."""
    master = client.create_series(identity, FIRST, Recurrence("daily", count=count))
    db = MemoryDatabase()
    store = db.store(client.name)
    by_start = {i.original_start: i for i in client.series_instances(master.id, *WINDOW)}
    for n in range(count):
        occurrence = by_start[START + timedelta(days=n)]
        key = f"job{n}"
        db.data.jobs[key] = JobValues(start=occurrence.data.start, end=occurrence.data.end,
                                      notes=FIRST.description, title=FIRST.title, location=FIRST.location)
        db.data.carried_by[key] = client.name
        link = store.new_link(key, f"{identity[:8]}-occ{n}")
        link.event_id, link.version, link.state = occurrence.id, occurrence.version, "in_sync"
        link.base = to_base(event_values(occurrence))
        store.save_link(link)
        if bind:
            store.bind_to_series(link.key, master.id)
    store.set_cursor(client.list_changes(None).cursor)
    db.commit()
    return master, db, store


def link_of(store, job_key):
    return next(link for link in store.links() if link.job_key == job_key)


def test_graph_reports_a_deleted_occurrence_only_by_its_absence(ms_emulator, ms_config, ms_cache, ms_account):
    client = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)
    master, _db, store = bound_series(client, "d" + "0" * 30 + "1")
    second = link_of(store, "job1").event_id
    ms_emulator.person_delete(second, ms_account)
    changes = client.list_changes(store.get_cursor())
    assert not any(e.id == second for e in changes.events), "no @removed, no item at all for the occurrence"
    assert master.id in {e.id for e in changes.events}, "the master comes back, changed"
    (listing,) = changes.series
    assert listing.series_id == master.id
    assert second not in listing.occurrence_ids and len(listing.occurrence_ids) == 2


def test_the_job_of_a_deleted_occurrence_goes_to_review_and_the_others_stay(side):
    client, emulator, account = side
    _master, db, store = bound_series(client, "d" + "0" * 30 + "2")
    second = link_of(store, "job1")
    emulator.person_delete(second.event_id, account)
    report = sync.pull(client, store)
    assert report.conflicts == 1, report
    conflict = store.conflict_of(second.key)
    assert conflict is not None and conflict.deletion, "the deletion waits for a person (the default rule)"
    for key in ("job0", "job2"):
        assert store.conflict_of(link_of(store, key).key) is None
        assert link_of(store, key).state == "in_sync"
    assert db.data.jobs["job1"].start == START + timedelta(days=1), "nothing cancelled without a person"
    assert sync.pull(client, store).conflicts == 0, "a second pull does not open it again"


def test_with_calendar_deletions_cancelling_jobs_the_job_is_cancelled(side):
    client, emulator, account = side
    _master, db, store = bound_series(client, "d" + "0" * 30 + "3")
    third = link_of(store, "job2")
    emulator.person_delete(third.event_id, account)
    report = sync.pull(client, store, allow_calendar_cancel=True)
    assert report.deletions == 1 and report.conflicts == 0, report
    assert db.data.jobs["job2"].cancelled, "the calendar's deletion cancelled the job"
    assert {link_of(store, key).state for key in ("job0", "job1")} == {"in_sync"}


def test_an_edited_occurrence_of_a_listed_series_is_not_called_deleted(ms_emulator, ms_config, ms_cache,
                                                                        ms_account):
    """An occurrence edited (an exception now) keeps its job, and so do the others."""
    client = GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)
    _master, _db, store = bound_series(client, "d" + "0" * 30 + "4")
    first = link_of(store, "job0")
    ms_emulator.person_edit(first.event_id, {"location": {"displayName": "6 Station Rd"}})
    report = sync.pull(client, store)
    assert report.seen == 1 and report.conflicts == 0 and report.deletions == 0, report
    assert len(store.links()) == 3 and all(store.conflict_of(link.key) is None for link in store.links())


def test_jobs_linked_to_a_persons_series_learn_it_from_the_calendar_and_a_deleted_occurrence_is_seen(side):
    """No bridge binds these links: the push's answer names the series, and the pull then finds the gap."""
    client, emulator, account = side
    _master, db, store = bound_series(client, "d" + "0" * 30 + "5", bind=False)
    for key in ("job0", "job1", "job2"):
        db.data.jobs[key] = replace(db.data.jobs[key], notes="Yearly boiler check, bring the gauge")
        store.mark_owed(key)
    db.commit()
    assert sync.push(client, store).updated == 3
    assert {link.series_id for link in store.links()} == {_master.id}, "each occurrence's answer names its series"
    second = link_of(store, "job1")
    emulator.person_delete(second.event_id, account)
    report = sync.pull(client, store)
    assert report.conflicts == 1, report
    assert store.conflict_of(second.key).deletion
    assert all(store.conflict_of(link_of(store, key).key) is None for key in ("job0", "job2"))
