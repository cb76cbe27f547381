"""The preview describes the plan the pull executes (issue 19, reproduction 2)."""

import pytest

from calsync import sync
from calsync.guard import MassDeletionGuard, MassDeletionHeld
from calsync.preview import preview
from tests.engine_fixtures import World, make_job


@pytest.fixture
def world():
    w = World()
    for key in range(1, 6):
        w.add_job(key, make_job(key))
    sync.push(w.providers["google"], w.stores["google"])
    sync.pull(w.providers["google"], w.stores["google"])
    return w


def rows_of(world, **kw):
    return {(row.job_key, row.side, row.action) for row in preview(world.providers["google"], world.stores["google"],
                                                                   **kw)}


def event_id(world, key):
    return world.link_of(key).event_id


def test_a_calendar_deletion_is_shown_as_the_cancellation_the_pull_does(world):
    world.calendars["google"].person_delete(event_id(world, 1))
    assert rows_of(world, allow_calendar_cancel=True) == {(1, "pull", "cancel")}
    assert rows_of(world) == {(1, "pull", "review")}
    sync.pull(world.providers["google"], world.stores["google"], allow_calendar_cancel=True)
    assert world.job(1).cancelled


def test_a_deletion_whose_job_is_gone_retires_the_link_and_shows_no_review(world):
    world.calendars["google"].person_delete(event_id(world, 1))
    del world.db.data.carried_by[1]  # the job left this calendar before the push ran
    world.db.commit()
    rows = rows_of(world)
    assert not any(action == "review" for _job, _side, action in rows), rows
    sync.pull(world.providers["google"], world.stores["google"])
    assert not world.stores["google"].conflict_of(next(link.key for link in world.stores["google"].all_links()
                                                       if link.job_key == 1))


def test_the_full_resync_preview_checks_for_missing_events(world):
    calendar = world.calendars["google"]
    gone = event_id(world, 2)
    calendar._events.pop(gone)  # gone without a trace: a full listing does not show it
    assert (2, "pull", "review") in rows_of(world, full=True)
    report = sync.pull(world.providers["google"], world.stores["google"], full=True)
    assert report.deletions == 1


def test_the_mass_deletion_hold_is_shown_and_the_pull_is_held(world):
    for key in (1, 2, 3):
        world.calendars["google"].person_delete(event_id(world, key))
    assert rows_of(world, guard=MassDeletionGuard()) == {(None, "pull", "hold")}
    with pytest.raises(MassDeletionHeld):
        sync.pull(world.providers["google"], world.stores["google"])
    assert rows_of(world, guard=MassDeletionGuard(confirmed=True)) == {(k, "pull", "review") for k in (1, 2, 3)}


def test_a_job_that_cannot_be_sent_is_shown_as_an_error(world):
    job = world.job(1)
    world.edit_job(1, end=job.start)
    assert rows_of(world) == {(1, "push", "error")}
    sync.push(world.providers["google"], world.stores["google"])
    assert world.link_of(1).state == "error"


def test_a_pull_only_connection_previews_no_push(world):
    world.stores["google"].sync_direction = "pull_only"
    world.edit_job(1, notes="Dispatcher notes")
    assert rows_of(world) == set()
