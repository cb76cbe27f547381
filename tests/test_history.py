"""The per-job sync timeline: every push and pull that touched a job leaves one entry saying what it did."""

from datetime import timedelta

from calsync import sync
from calsync.history import FROM_CALENDAR, TO_CALENDAR
from tests.engine_fixtures import World, make_job


def steps(world, key):
    return [(e.direction, e.action, e.outcome) for e in world.stores["google"].history_of(key)]


def sync_once(world):
    sync.push(world.providers["google"], world.stores["google"])
    sync.pull(world.providers["google"], world.stores["google"])


def the_event(world, key):
    return world.calendars["google"].find(world.link_of(key).event_id)


def test_create_then_calendar_move_then_job_edit():
    world = World()
    world.add_job(1, make_job(1))
    sync_once(world)
    created = world.stores["google"].history_of(1)[0]
    assert (created.direction, created.action, created.outcome) == (TO_CALENDAR, "create", "done")
    assert created.version == the_event(world, 1).version
    assert {name for name, _before, _after in created.changes} >= {"start", "end", "notes", "title"}
    assert all(before == "(empty)" for _name, before, _after in created.changes)

    moved = world.job(1).start + timedelta(hours=3)
    world.calendars["google"].person_edit(the_event(world, 1).id, start=moved, end=moved + timedelta(hours=2))
    sync_once(world)
    applied = world.stores["google"].history_of(1)[-1]
    assert (applied.direction, applied.action, applied.outcome) == (FROM_CALENDAR, "apply", "done")
    assert [name for name, _b, _a in applied.changes] == ["end", "start"]
    assert applied.changes[1][2] == moved.strftime("%Y-%m-%d %H:%M UTC")

    world.edit_job(1, notes="Gate code 4411")
    sync_once(world)
    update = world.stores["google"].history_of(1)[-1]
    assert (update.action, update.outcome) == ("update", "done")
    assert update.changes == (("notes", "Bring ladder", "Gate code 4411"),)
    assert len(steps(world, 1)) == 3  # the echo of our own update added nothing


def test_conflict_and_calendar_deletion_are_recorded_for_review():
    world = World()
    world.add_job(1, make_job(1))
    world.add_job(2, make_job(2))
    sync_once(world)
    world.edit_job(1, notes="Job side")
    world.calendars["google"].person_edit(the_event(world, 1).id, description="Calendar side")
    sync.pull(world.providers["google"], world.stores["google"])
    conflict = world.stores["google"].history_of(1)[-1]
    assert (conflict.action, conflict.outcome) == ("conflict", "review")
    assert conflict.changes == (("notes", "Job side", "Calendar side"),)

    world.calendars["google"].person_delete(the_event(world, 2).id)
    sync.pull(world.providers["google"], world.stores["google"])
    assert steps(world, 2)[-1] == (FROM_CALENDAR, "deletion", "review")


def test_a_rejected_write_is_recorded_as_an_error():
    world = World()
    world.add_job(1, make_job(1))
    world.calendars["google"].inject("rejected", count=1)
    sync.push(world.providers["google"], world.stores["google"])
    entry = world.stores["google"].history_of(1)[-1]
    assert (entry.direction, entry.action, entry.outcome) == (TO_CALENDAR, "create", "error")
    assert entry.detail
