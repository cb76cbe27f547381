"""The dry run: it predicts, job by job, what the next push and pull do, and changes nothing doing so."""

import copy
from datetime import timedelta

from calsync import sync
from calsync.preview import counts, preview
from tests.engine_fixtures import World, make_job


def settle(world):
    sync.push(world.providers["google"], world.stores["google"])
    sync.pull(world.providers["google"], world.stores["google"])


def event_of(world, key):
    return world.calendars["google"].find(world.link_of(key).event_id)


def busy_world():
    """Six jobs: two to create, one edited here, one edited there, one edited on both sides, one deleted there."""
    world = World()
    for key in range(1, 5 + 1):
        world.add_job(key, make_job(key))
    settle(world)
    calendar = world.calendars["google"]
    world.add_job(6, make_job(6))
    world.add_job(7, make_job(7))
    moved = world.job(1).start + timedelta(hours=1)
    world.edit_job(1, start=moved, end=moved + timedelta(hours=2))
    calendar.person_edit(event_of(world, 2).id, description="Gate code 4412")
    calendar.person_edit(event_of(world, 3).id, description="Calendar notes")
    world.edit_job(3, notes="Job notes")
    calendar.person_delete(event_of(world, 4).id)
    return world


def test_the_preview_lists_each_job_and_what_would_happen_to_it():
    world = busy_world()
    rows = {(row.job_key, row.side, row.action): row.fields
            for row in preview(world.providers["google"], world.stores["google"])}
    assert rows == {
        (6, "push", "create"): ("end", "location", "notes", "start", "title"),
        (7, "push", "create"): ("end", "location", "notes", "start", "title"),
        (1, "push", "update"): ("end", "start"),
        (2, "pull", "apply"): ("notes",),
        (3, "pull", "conflict"): ("notes",),
        (4, "pull", "review"): ("deleted",),
    }


def test_the_preview_changes_nothing_on_either_side():
    world = busy_world()
    calendar = world.calendars["google"]
    before = (copy.deepcopy(world.db.data), calendar.write_calls, world.stores["google"].get_cursor())
    preview(world.providers["google"], world.stores["google"])
    preview(world.providers["google"], world.stores["google"])
    world.db.rollback()  # anything the preview left in the open transaction would be visible before this
    assert (world.db.data, calendar.write_calls, world.stores["google"].get_cursor()) == before


def test_a_job_edit_meeting_a_calendar_edit_of_another_field_is_both_applied_and_pushed():
    world = World()
    world.add_job(1, make_job(1))
    settle(world)
    world.calendars["google"].person_edit(event_of(world, 1).id, description="Gate code 4412")
    moved = world.job(1).start + timedelta(hours=2)
    world.edit_job(1, start=moved, end=moved + timedelta(hours=2))
    rows = {(row.side, row.action) for row in preview(world.providers["google"], world.stores["google"])}
    assert rows == {("pull", "apply"), ("push", "update")}
    settle(world)
    settle(world)
    assert world.job(1).notes == "Gate code 4412" and event_of(world, 1).data.start == moved


def test_the_preview_predicts_the_real_sync():
    world = busy_world()
    predicted = counts(preview(world.providers["google"], world.stores["google"]))
    journal = len(world.db.data.journal)
    pushed = sync.push(world.providers["google"], world.stores["google"])
    sync.pull(world.providers["google"], world.stores["google"])
    assert (pushed.created, pushed.updated, pushed.deleted) == (
        predicted.get(("push", "create"), 0), predicted.get(("push", "update"), 0),
        predicted.get(("push", "delete"), 0))
    applied = {key for key, _message in world.db.data.journal[journal:]}
    assert len(applied) == predicted[("pull", "apply")]
    in_review = [link for link in world.stores["google"].all_links() if link.state == "conflict"]
    assert len(in_review) == predicted[("pull", "conflict")] + predicted[("pull", "review")]
