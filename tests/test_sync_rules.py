"""Direction as a planner rule, and failures that stay with their own job (issue 19, reproductions 1, 3, 4)."""

from datetime import timedelta

import pytest

from calsync import sync
from tests.engine_fixtures import World, make_job


@pytest.fixture
def world():
    return World()


def settle(world):
    sync.push(world.providers["google"], world.stores["google"])
    sync.pull(world.providers["google"], world.stores["google"])


def the_event(world, key):
    return world.calendars["google"].find(world.link_of(key).event_id)


# -- 1. push-only never writes a job, the 412 re-plan included --------------------------------------
def test_push_only_412_replan_restores_the_job_on_the_calendar_and_never_writes_the_job(world):
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    store.sync_direction = "push_only"
    job = make_job(1)
    world.add_job(1, job)
    sync.push(provider, store)
    calendar.person_edit(the_event(world, 1).id, start=job.start + timedelta(hours=3),
                         end=job.end + timedelta(hours=3))
    world.edit_job(1, notes="Dispatcher notes")
    report = sync.push(provider, store)
    assert report.replanned == 1
    assert world.job(1).start == job.start and world.job(1).notes == "Dispatcher notes"
    event = the_event(world, 1)
    assert event.data.start == job.start, "the calendar's move is undone by the push"
    assert event.data.description.startswith("Dispatcher notes")
    assert world.link_of(1).state == "in_sync"
    notes = [message for key, message in world.db.data.journal if key == 1]
    assert any("start" in message and "restored" in message for message in notes), notes


def test_push_only_pull_never_writes_the_job_and_never_cancels_it(world):
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    store.sync_direction = "push_only"
    job = make_job(1)
    world.add_job(1, job)
    sync.push(provider, store)
    calendar.person_edit(the_event(world, 1).id, description="Calendar notes")
    sync.pull(provider, store, allow_calendar_cancel=True)
    assert world.job(1).notes == job.notes
    sync.push(provider, store)
    assert the_event(world, 1).data.description.startswith(job.notes)
    calendar.person_delete(the_event(world, 1).id)
    sync.pull(provider, store, allow_calendar_cancel=True)
    assert not world.job(1).cancelled


# -- 1. pull-only never writes a calendar -------------------------------------------------------------
def test_pull_only_keeps_the_dispatchers_edit_unsent_and_a_later_calendar_edit_opens_a_conflict(world):
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    world.add_job(1, make_job(1))
    settle(world)  # linked while two-way, then the connection becomes pull-only
    store.sync_direction = "pull_only"
    writes = calendar.write_calls
    world.edit_job(1, notes="Dispatcher notes")
    sync.push(provider, store)
    sync.pull(provider, store)
    assert calendar.write_calls == writes, "a pull-only connection never writes the calendar"
    assert world.link_of(1).state == "pending_push", "the edit is kept, marked as not sent"
    calendar.person_edit(the_event(world, 1).id, description="Calendar notes")
    sync.pull(provider, store)
    link = world.link_of(1)
    assert link.state == "conflict"
    assert store.conflict_of(link.key).fields["notes"][1:] == ("Dispatcher notes", "Calendar notes")
    assert world.job(1).notes == "Dispatcher notes"
    assert calendar.write_calls == writes


def test_pull_only_applies_calendar_edits_of_fields_the_job_did_not_change(world):
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    job = make_job(1)
    world.add_job(1, job)
    settle(world)
    store.sync_direction = "pull_only"
    calendar.person_edit(the_event(world, 1).id, start=job.start + timedelta(hours=1),
                         end=job.end + timedelta(hours=1), title="Renamed")
    writes = calendar.write_calls
    sync.pull(provider, store)
    sync.push(provider, store)
    assert world.job(1).start == job.start + timedelta(hours=1)
    assert calendar.write_calls == writes and the_event(world, 1).data.title == "Renamed"


# -- 3. one bad job never stops its calendar ------------------------------------------------------------
def test_a_job_ending_before_it_starts_is_an_error_on_its_own_link_and_the_others_sync(world):
    store, provider = world.stores["google"], world.providers["google"]
    bad = make_job(1)
    world.add_job(1, bad.__class__(**{**bad.__dict__, "end": bad.start - timedelta(hours=1)}))
    world.add_job(2, make_job(2))
    report = sync.push(provider, store)
    assert report.created == 1 and report.errors == 1
    link = world.link_of(1)
    assert link.state == "error" and link.event_id is None
    assert "job 1" in link.last_error.lower() and "end is not after its start" in link.last_error
    assert world.link_of(2).state == "in_sync"
    # fixed by the dispatcher: it syncs again
    world.edit_job(1, end=bad.end)
    sync.push(provider, store)
    assert world.link_of(1).state == "in_sync"


def test_a_bad_job_in_the_412_replan_stays_with_its_link(world):
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    for key in (1, 2):
        world.add_job(key, make_job(key))
    settle(world)
    for key in (1, 2):
        calendar.person_edit(the_event(world, key).id, description=f"Calendar notes {key}")
    job = world.job(1)
    world.edit_job(1, start=job.end + timedelta(hours=1))  # ends before it starts
    world.edit_job(2, title="New title")
    sync.push(provider, store)
    sync.push(provider, store)
    assert world.link_of(1).state == "error" and "job 1" in world.link_of(1).last_error.lower()
    assert the_event(world, 2).data.title == "New title"
    assert world.link_of(2).state == "in_sync"


def test_a_refused_write_names_the_job_and_the_others_go_on(world):
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    world.add_job(1, make_job(1))
    world.add_job(2, make_job(2))
    calendar.inject("rejected")
    provider.max_batch = 1
    report = sync.push(provider, store)
    assert report.errors == 1 and report.created == 1
    failed = [link for link in store.links() if link.state == "error"]
    assert len(failed) == 1 and "refused" in failed[0].last_error and f"job {failed[0].job_key}" in \
        failed[0].last_error.lower()


# -- 4. a calendar edit that would make the job end before it starts ---------------------------------------
def test_a_calendar_edit_making_the_job_end_not_after_its_start_is_not_applied(world):
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    job = make_job(1)
    world.add_job(1, job)
    settle(world)
    calendar.person_edit(the_event(world, 1).id, end=job.start)  # zero length
    report = sync.pull(provider, store)
    assert world.job(1).end == job.end
    link = world.link_of(1)
    assert link.state == "error" and "job 1" in link.last_error.lower()
    assert report.invalid == 1
    # the next calendar edit that is valid applies again
    calendar.person_edit(the_event(world, 1).id, end=job.end + timedelta(hours=1))
    sync.pull(provider, store)
    assert world.job(1).end == job.end + timedelta(hours=1)
    assert world.link_of(1).state == "in_sync"
