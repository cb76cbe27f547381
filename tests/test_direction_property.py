"""Properties of a connection's direction, in random worlds: push-only never writes a job, pull-only never
writes a calendar, whatever both sides did and in whatever order the sync runs, the 412 re-plan included.

Each sync here pushes first, so that a calendar edit the push has not pulled yet meets the push as a
412 and its re-plan; then it pulls and pushes again, as the addon's pull-then-push does.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from calsync import sync
from calsync.guard import MassDeletionHeld
from tests import world_steps as worlds
from tests.world_steps import steps

JOBS = 4
STEP = steps(JOBS)
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)


def world_in(direction: str):
    return worlds.world_in(direction, JOBS)


def play(world, changes) -> None:
    worlds.play(world, changes, JOBS)


def run_sync(world) -> None:
    store, provider = world.stores["google"], world.providers["google"]
    try:
        sync.push(provider, store)
        sync.pull(provider, store, allow_calendar_cancel=True)
        sync.push(provider, store)
    except MassDeletionHeld:
        pass  # held for a person: nothing applied, which both properties allow


def check_push_only_never_writes_a_job(steps) -> None:
    world = world_in("push_only")
    play(world, steps)
    before = dict(world.db.data.jobs)
    run_sync(world)
    assert world.db.data.jobs == before, "a job-to-calendar-only connection wrote calendar values into a job"


def check_pull_only_never_writes_a_calendar(steps) -> None:
    world = world_in("pull_only")
    play(world, steps)
    calendar = world.calendars["google"]
    writes = calendar.write_calls
    run_sync(world)
    assert calendar.write_calls == writes, "a calendar-to-jobs-only connection wrote to the calendar"


@SETTINGS
@given(st.lists(STEP, max_size=8))
def test_push_only_never_writes_a_job(steps):
    check_push_only_never_writes_a_job(steps)


@SETTINGS
@given(st.lists(STEP, max_size=8))
def test_pull_only_never_writes_a_calendar(steps):
    check_pull_only_never_writes_a_calendar(steps)


def test_a_push_only_calendar_edit_met_by_a_412_is_undone_not_merged():
    """The issue's reproduction: push, a person moves the event, the dispatcher edits the notes, push."""
    world = world_in("push_only")
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    event = calendar.find(world.link_of(1).event_id)
    calendar.person_edit(event.id, start=event.data.start + timedelta(hours=3), end=event.data.end + timedelta(hours=3))
    world.edit_job(1, notes="Bring the long ladder")
    job = world.job(1)
    sync.push(provider, store)
    assert world.job(1) == job, "the 412 re-plan did not merge the calendar's start into the job"
    sync.pull(provider, store)
    sync.push(provider, store)
    assert calendar.find(event.id).data.start == job.start, "the job's start went back to the calendar"
