"""Push and pull against the in-memory provider: round trips, echoes, conflicts, deletions, crashes."""

from datetime import timedelta

import pytest

from calsync import sync
from calsync.errors import TransientError
from calsync.guard import MassDeletionGuard, MassDeletionHeld
from tests.engine_fixtures import World, make_job


@pytest.fixture
def world():
    return World()


def settle(world, name="google"):
    sync.push(world.providers[name], world.stores[name])
    sync.pull(world.providers[name], world.stores[name])


def the_event(world, key, name="google"):
    link = world.link_of(key, name)
    return world.calendars[name].find(link.event_id)


def test_job_creates_event_and_second_sync_changes_nothing(world):
    world.add_job(1, make_job(1))
    report = sync.push(world.providers["google"], world.stores["google"])
    assert report.created == 1
    event = the_event(world, 1)
    assert event.data.start == world.job(1).start and event.data.title == "WO00001 Site 1"
    assert "FieldOps crew: Worker 1" in event.data.description
    writes = world.calendars["google"].write_calls
    settle(world)
    settle(world)
    assert world.calendars["google"].write_calls == writes
    assert world.link_of(1).state == "in_sync"


def test_our_write_coming_back_is_an_echo(world):
    world.add_job(1, make_job(1))
    sync.push(world.providers["google"], world.stores["google"])
    report = sync.pull(world.providers["google"], world.stores["google"])
    world.edit_job(1, notes="New notes")
    sync.push(world.providers["google"], world.stores["google"])
    journal = len(world.db.data.journal)
    report = sync.pull(world.providers["google"], world.stores["google"])
    assert report.applied == 0 and report.echoes == 1
    assert len(world.db.data.journal) == journal  # nothing written to the job


def test_twenty_job_edits_cost_one_write(world):
    world.add_job(1, make_job(1))
    sync.push(world.providers["google"], world.stores["google"])
    before = world.calendars["google"].write_calls
    for i in range(20):
        world.edit_job(1, notes=f"edit {i}")
    sync.push(world.providers["google"], world.stores["google"])
    assert world.calendars["google"].write_calls == before + 1
    assert the_event(world, 1).data.description.startswith("edit 19")


def test_calendar_edit_reaches_the_job_with_a_note(world):
    world.add_job(1, make_job(1))
    settle(world)
    event = the_event(world, 1)
    moved = event.data.start + timedelta(hours=3)
    world.calendars["google"].person_edit(event.id, start=moved, end=moved + timedelta(hours=2))
    report = sync.pull(world.providers["google"], world.stores["google"])
    assert report.applied == 1
    assert world.job(1).start == moved
    assert "The calendar changed this job" in world.db.data.journal[-1][1]
    assert world.link_of(1).state == "in_sync"
    writes = world.calendars["google"].write_calls
    settle(world)
    assert world.calendars["google"].write_calls == writes


def test_both_sides_change_the_same_field_opens_a_conflict_and_writes_neither(world):
    world.add_job(1, make_job(1))
    settle(world)
    event = the_event(world, 1)
    world.calendars["google"].person_edit(event.id, description="Calendar notes")
    world.edit_job(1, notes="Job notes")
    sync.pull(world.providers["google"], world.stores["google"])
    sync.push(world.providers["google"], world.stores["google"])
    link = world.link_of(1)
    assert link.state == "conflict"
    conflict = world.stores["google"].conflict_of(link.key)
    assert conflict.fields["notes"][1:] == ("Job notes", "Calendar notes")
    assert world.job(1).notes == "Job notes"
    assert the_event(world, 1).data.description == "Calendar notes"


@pytest.mark.parametrize("reverting_side", ["calendar", "job"])
def test_a_side_going_back_to_the_agreed_value_during_a_conflict_keeps_it_in_review(world, reverting_side):
    """Found by the state machine: the revert read as "no change" and the other side silently won."""
    world.add_job(1, make_job(1, notes="Agreed"))
    settle(world)
    calendar = world.calendars["google"]
    calendar.person_edit(the_event(world, 1).id, description="Calendar notes")
    world.edit_job(1, notes="Job notes")
    settle(world)
    assert world.link_of(1).state == "conflict"
    if reverting_side == "calendar":
        calendar.person_edit(the_event(world, 1).id, description="Agreed")
    else:
        world.edit_job(1, notes="Agreed")
    settle(world)
    link = world.link_of(1)
    assert link.state == "conflict", "still for a person to settle"
    expected = ("Job notes", "Agreed") if reverting_side == "calendar" else ("Agreed", "Calendar notes")
    if reverting_side == "calendar":  # (a job edit refreshes the review in the addon, on write)
        assert world.stores["google"].conflict_of(link.key).fields["notes"][1:] == expected, "the newest values"
    assert world.job(1).notes == expected[0]
    assert the_event(world, 1).data.description.splitlines()[0] == expected[1]


def test_a_conflict_settles_by_itself_when_the_calendar_comes_to_agree_with_the_job(world):
    world.add_job(1, make_job(1, notes="Agreed"))
    settle(world)
    world.calendars["google"].person_edit(the_event(world, 1).id, description="Calendar notes")
    world.edit_job(1, notes="Job notes")
    settle(world)
    world.calendars["google"].person_edit(the_event(world, 1).id, description="Job notes")
    settle(world)
    assert world.link_of(1).state == "in_sync" and world.link_of(1).held is None


def test_a_calendar_edit_of_the_title_is_undone_by_the_next_push(world):
    """It was only announced: the base kept the job's title, so the push thought nothing was owed."""
    world.add_job(1, make_job(1))
    settle(world)
    world.calendars["google"].person_edit(the_event(world, 1).id, title="Renamed by a person")
    settle(world)  # the pull sees it (and the addon then queues a push) ...
    settle(world)  # ... which restores the job's title
    assert the_event(world, 1).data.title == world.job(1).title
    assert world.link_of(1).state == "in_sync"
    assert any("which the job owns" in message for _key, message in world.db.data.journal)


def test_different_fields_changed_on_each_side_both_flow(world):
    world.add_job(1, make_job(1))
    settle(world)
    event = the_event(world, 1)
    world.calendars["google"].person_edit(event.id, description="Calendar notes")
    moved = world.job(1).start + timedelta(hours=1)
    world.edit_job(1, start=moved, end=moved + timedelta(hours=2))
    sync.push(world.providers["google"], world.stores["google"])  # 412, re-planned, then pushed
    settle(world)
    assert world.job(1).notes == "Calendar notes"
    assert the_event(world, 1).data.start == moved
    assert world.link_of(1).state == "in_sync"


def test_calendar_deletion_opens_a_review_not_a_cancellation(world):
    world.add_job(1, make_job(1))
    settle(world)
    world.calendars["google"].person_delete(the_event(world, 1).id)
    sync.pull(world.providers["google"], world.stores["google"])
    link = world.link_of(1)
    assert link.state == "conflict" and world.stores["google"].conflict_of(link.key).deletion
    assert not world.job(1).cancelled


def test_calendar_deletion_may_cancel_when_allowed(world):
    world.add_job(1, make_job(1))
    settle(world)
    world.calendars["google"].person_delete(the_event(world, 1).id)
    sync.pull(world.providers["google"], world.stores["google"], allow_calendar_cancel=True)
    assert world.job(1).cancelled


def test_job_cancelled_deletes_the_event_and_keeps_a_tombstone(world):
    link = world.add_job(1, make_job(1))
    settle(world)
    world.edit_job(1, cancelled=True)
    report = sync.push(world.providers["google"], world.stores["google"])
    assert report.deleted == 1
    stored = world.db.data.links[link.key]
    assert stored.state == "tombstone"
    assert world.calendars["google"].live_count() == 0
    # the deleted event coming back in a pull does not recreate anything
    sync.pull(world.providers["google"], world.stores["google"])
    assert world.calendars["google"].live_count() == 0


def test_crash_after_the_provider_acted_leaves_exactly_one_event(world):
    world.add_job(1, make_job(1))
    world.calendars["google"].inject("apply_then_fail")
    with pytest.raises(TransientError):
        sync.push(world.providers["google"], world.stores["google"])
    world.db.rollback()
    sync.push(world.providers["google"], world.stores["google"])
    assert world.calendars["google"].live_count() == 1
    assert world.link_of(1).state == "in_sync"


def test_expired_cursor_resyncs_fully_without_duplicates(world):
    for n in range(3):
        world.add_job(n, make_job(n))
    settle(world)
    world.calendars["google"].expire_cursors()
    report = sync.pull(world.providers["google"], world.stores["google"])
    assert report.full
    assert world.calendars["google"].live_count() == 3
    assert {link.state for link in world.stores["google"].links()} == {"in_sync"}


def test_mass_deletion_is_held_and_nothing_applied(world):
    for n in range(6):
        world.add_job(n, make_job(n))
    settle(world)
    cursor = world.stores["google"].get_cursor()
    for n in range(4):
        world.calendars["google"].person_delete(the_event(world, n).id)
    with pytest.raises(MassDeletionHeld):
        sync.pull(world.providers["google"], world.stores["google"])
    assert world.stores["google"].get_cursor() == cursor
    assert all(link.state == "in_sync" for link in world.stores["google"].links())
    # confirmed by an admin: the deletions become reviews
    sync.pull(world.providers["google"], world.stores["google"], guard=MassDeletionGuard(confirmed=True))
    assert sum(link.state == "conflict" for link in world.stores["google"].links()) == 4


def test_events_not_ours_are_left_alone(world):
    world.add_job(1, make_job(1))
    settle(world)
    foreign = world.calendars["google"].person_create(the_event(world, 1).data)
    report = sync.pull(world.providers["google"], world.stores["google"])
    assert report.ignored == 1
    assert world.calendars["google"].find(foreign) is not None


@pytest.mark.parametrize("side", ["job", "calendar"])
def test_resolving_a_conflict_makes_both_sides_equal_to_the_choice(world, side):
    world.add_job(1, make_job(1))
    settle(world)
    world.calendars["google"].person_edit(the_event(world, 1).id, description="Calendar notes")
    world.edit_job(1, notes="Job notes")
    sync.pull(world.providers["google"], world.stores["google"])
    link = world.link_of(1)
    assert link.held == {"notes": "Calendar notes"}
    chosen = "Job notes" if side == "job" else "Calendar notes"
    sync.resolve_conflict(world.stores["google"], link, {"notes": chosen})
    world.db.commit()
    settle(world)
    assert world.job(1).notes == chosen
    assert the_event(world, 1).data.description.startswith(chosen)
    assert world.link_of(1).state == "in_sync" and world.link_of(1).held is None


def test_a_landed_push_is_still_ours_after_a_later_push_wrote_ahead(world):
    """Found by the convergence soak: a push lands but its answer is lost, the job changes again, and the
    next push's write-ahead replaced the record of the first. Its 412 then read our own landed value as a
    person's edit and asked a reviewer about it. Every unconfirmed send stays ours until a sync settles it."""
    world.add_job(1, make_job(1))
    settle(world)
    world.edit_job(1, notes="First edit")
    world.calendars["google"].inject("apply_then_fail")
    with pytest.raises(TransientError):
        sync.push(world.providers["google"], world.stores["google"])
    world.db.rollback()  # the job failed: only the write-ahead of "First edit" was committed
    assert the_event(world, 1).data.description.startswith("First edit")
    world.edit_job(1, notes="Second edit")
    report = sync.push(world.providers["google"], world.stores["google"])
    assert report.conflicts == 0
    settle(world)
    link = world.link_of(1)
    assert link.state == "in_sync" and link.held is None
    assert world.stores["google"].conflict_of(link.key) is None
    assert the_event(world, 1).data.description.startswith("Second edit")
    assert world.job(1).notes == "Second edit"


def test_an_event_whose_create_answer_was_lost_is_deleted_when_the_job_goes_away_meanwhile(world):
    """Found by the convergence soak: the create landed but its answer was lost, then the job was deleted.
    The push could only settle the link as a tombstone (no event id known), and pulls ignored the event of a
    tombstone: an event of ours stayed on the calendar for a job that no longer exists."""
    world.add_job(1, make_job(1))
    world.calendars["google"].inject("apply_then_fail")
    with pytest.raises(TransientError):
        sync.push(world.providers["google"], world.stores["google"])
    world.db.rollback()
    assert world.calendars["google"].live_count() == 1 and world.link_of(1).event_id is None
    del world.db.data.jobs[1]
    world.stores["google"].mark_owed(1)
    world.db.commit()
    sync.push(world.providers["google"], world.stores["google"])  # no event id known: a tombstone
    sync.pull(world.providers["google"], world.stores["google"])  # the event shows up with our identity
    sync.push(world.providers["google"], world.stores["google"])
    assert world.calendars["google"].live_count() == 0
    assert [link.state for link in world.stores["google"].all_links()] == ["tombstone"]
    writes = world.calendars["google"].write_calls
    settle(world)
    assert world.calendars["google"].write_calls == writes


def test_a_conflict_settles_itself_once_the_job_holds_the_calendars_values(world):
    world.add_job(1, make_job(1))
    settle(world)
    world.calendars["google"].person_edit(the_event(world, 1).id, description="Calendar notes")
    world.edit_job(1, notes="Job notes")
    sync.pull(world.providers["google"], world.stores["google"])
    store = world.stores["google"]
    assert not sync.settle_if_sides_agree(store, world.link_of(1)), "the sides still differ"
    assert world.link_of(1).state == "conflict"
    world.edit_job(1, notes="Calendar notes")
    assert sync.settle_if_sides_agree(store, world.link_of(1), message="settled")
    world.db.commit()
    assert world.link_of(1).held is None
    settle(world)
    assert world.job(1).notes == "Calendar notes" and world.link_of(1).state == "in_sync"
    assert the_event(world, 1).data.description.startswith("Calendar notes")
