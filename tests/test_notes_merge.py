"""Notes both sides edited: merged line by line where nothing clashes, a conflict carrying the marked merge where
something does (issue #24). The merge itself, the planner's rule, and a whole pull/push through the engine."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calsync import sync
from calsync.events import RemoteEvent
from calsync.mapping import event_values, job_to_event, normalise_notes, notes_to_html
from calsync.notes_merge import CALENDAR, JOB, SAME, merge_notes
from calsync.planner import plan_merge
from tests.engine_fixtures import World, make_job
from tests.test_planner import JOB as PLANNER_JOB
from tests.test_planner import link, remote_values

BASE = "Gate code 4411\nDog in the yard\nCall before arriving"


# --- the merge ----------------------------------------------------------------------------------------------------
def test_both_append_at_the_end_keeps_both_the_jobs_first():
    result = merge_notes(BASE, BASE + "\nBring the long ladder", BASE + "\nCustomer asked for Tuesday")
    assert result.clean
    assert result.text == BASE + "\nBring the long ladder\nCustomer asked for Tuesday"
    assert result.job_added == ("Bring the long ladder",)
    assert result.calendar_added == ("Customer asked for Tuesday",)


def test_both_insert_at_the_same_place_in_the_middle_keeps_both():
    job = "Gate code 4411\nJob line\nDog in the yard\nCall before arriving"
    calendar = "Gate code 4411\nCalendar line\nDog in the yard\nCall before arriving"
    result = merge_notes(BASE, job, calendar)
    assert result.clean
    assert result.text == "Gate code 4411\nJob line\nCalendar line\nDog in the yard\nCall before arriving"


def test_different_lines_with_an_unchanged_line_between_are_both_applied():
    job = "Gate code 9999\nDog in the yard\nCall before arriving"
    calendar = "Gate code 4411\nDog in the yard\nCall 30 minutes before arriving"
    result = merge_notes(BASE, job, calendar)
    assert result.clean
    assert result.text == "Gate code 9999\nDog in the yard\nCall 30 minutes before arriving"


def test_a_deletion_and_an_edit_far_apart_are_both_applied():
    job = "Dog in the yard\nCall before arriving"  # the job deleted the first line
    calendar = "Gate code 4411\nDog in the yard\nCall 30 minutes before arriving"
    assert merge_notes(BASE, job, calendar).text == "Dog in the yard\nCall 30 minutes before arriving"


@pytest.mark.parametrize(("job", "calendar", "segments"), [
    # the same line changed differently
    ("Gate code 9999\nDog in the yard\nCall before arriving",
     "Gate code 1234\nDog in the yard\nCall before arriving",
     ((JOB, ("Gate code 9999",)), (CALENDAR, ("Gate code 1234",)),
      (SAME, ("Dog in the yard", "Call before arriving")))),
    # adjacent lines: no unchanged line between the two edits
    ("Gate code 9999\nDog in the yard\nCall before arriving",
     "Gate code 4411\nNo dog any more\nCall before arriving",
     ((JOB, ("Gate code 9999", "Dog in the yard")), (CALENDAR, ("Gate code 4411", "No dog any more")),
      (SAME, ("Call before arriving",)))),
    # a deletion against an edit of the same line: the deleting side's version is empty
    ("Gate code 4411\nCall before arriving",
     "Gate code 4411\nDog in the yard (friendly)\nCall before arriving",
     ((SAME, ("Gate code 4411",)), (JOB, ()), (CALENDAR, ("Dog in the yard (friendly)",)),
      (SAME, ("Call before arriving",)))),
    # an append right under a line the other side changed
    (BASE + "\nJob line", "Gate code 4411\nDog in the yard\nDo not call",
     ((SAME, ("Gate code 4411", "Dog in the yard")), (CALENDAR, ("Do not call",)),
      (JOB, ("Call before arriving", "Job line")))),
])
def test_changes_of_the_same_or_adjacent_lines_clash(job, calendar, segments):
    result = merge_notes(BASE, job, calendar)
    assert not result.clean
    assert sorted(result.segments) == sorted(segments)
    for kind, lines in result.segments:  # the merged text offered to the reviewer keeps both sides' lines
        assert all(line in result.text.split("\n") for line in lines), kind


def test_identical_changes_on_both_sides_are_taken_once():
    both = BASE + "\nSame line"
    result = merge_notes(BASE, both, both)
    assert result.clean and result.text == both


LINE = st.text(alphabet="abc ", min_size=1, max_size=3).map(str.strip).filter(bool)
TEXT = st.lists(LINE, max_size=5).map("\n".join)


@given(base=TEXT, job_added=st.lists(LINE, max_size=3), calendar_added=st.lists(LINE, max_size=3))
def test_appends_on_both_sides_always_merge_keeping_every_line(base, job_added, calendar_added):
    job = "\n".join([*base.split("\n"), *job_added]) if base else "\n".join(job_added)
    calendar = "\n".join([*base.split("\n"), *calendar_added]) if base else "\n".join(calendar_added)
    result = merge_notes(base, job, calendar)
    assert result.clean
    expected = [*(base.split("\n") if base else []), *job_added,
                *([] if calendar_added == job_added else calendar_added)]
    assert (result.text.split("\n") if result.text else []) == expected


@given(base=TEXT, job=TEXT, calendar=TEXT)
def test_a_clean_merge_keeps_each_sides_lines_and_a_clash_shows_both(base, job, calendar):
    result = merge_notes(base, job, calendar)
    merged = result.text.split("\n")
    for line in (*result.job_added, *result.calendar_added):
        assert line in merged
    if base == job:
        assert result.clean and result.text == calendar
    if base == calendar:
        assert result.clean and result.text == job


# --- the planner --------------------------------------------------------------------------------------------------
def notes_plan(job_notes, calendar_notes, base_notes=BASE, **kwargs):
    job = replace(PLANNER_JOB, notes=job_notes)
    return plan_merge(link(notes=base_notes), job, remote_values(notes=calendar_notes), **kwargs)


def test_planner_merges_two_appends_into_the_job_and_owes_the_push():
    plan = notes_plan(BASE + "\nJob line", BASE + "\nCalendar line")
    merged = BASE + "\nJob line\nCalendar line"
    assert plan.conflicts == {}
    assert plan.apply == {"notes": merged}
    assert plan.needs_push is True
    # the base is what the calendar holds until the push of the merged text is confirmed
    assert plan.new_base["notes"] == BASE + "\nCalendar line"
    assert plan.merges["notes"].clean


def test_planner_applies_a_deletion_in_the_job_and_an_append_in_the_calendar():
    plan = notes_plan("Dog in the yard\nCall before arriving", BASE + "\nx")
    assert plan.conflicts == {}
    assert plan.apply == {"notes": "Dog in the yard\nCall before arriving\nx"}
    assert plan.needs_push is True


def test_planner_opens_a_conflict_for_a_deletion_next_to_an_append():
    plan = notes_plan("Gate code 4411\nDog in the yard", BASE + "\nx")  # no unchanged line between them
    assert set(plan.conflicts) == {"notes"} and plan.apply == {}


def test_planner_keeps_a_clash_in_review_with_the_marked_merge():
    plan = notes_plan("Gate code 9999\nDog in the yard\nCall before arriving",
                      "Gate code 1234\nDog in the yard\nCall before arriving")
    assert set(plan.conflicts) == {"notes"}
    assert "notes" not in plan.apply and plan.needs_push is False
    assert not plan.merges["notes"].clean
    assert plan.new_base["notes"] == BASE


@pytest.mark.parametrize("owner", ["job", "calendar"])
def test_an_owned_notes_field_is_never_merged(owner):
    plan = notes_plan(BASE + "\nJob line", BASE + "\nCalendar line", owners={"notes": owner})
    assert plan.merges == {}
    if owner == "job":  # the calendar's edit is undone by the push
        assert plan.apply == {} and plan.pushonly_edits == ("notes",)
    else:  # the calendar's value is taken, the job's line is not sent
        assert plan.apply == {"notes": BASE + "\nCalendar line"}


def test_a_pull_only_connection_never_merges():
    plan = notes_plan(BASE + "\nJob line", BASE + "\nCalendar line", direction="pull_only")
    assert plan.merges == {} and set(plan.conflicts) == {"notes"} and plan.apply == {}


def test_a_push_only_connection_never_merges_the_job_owns_the_notes():
    # push-only: the job owns every synced field (planner.owners_under), so the calendar's line is undone
    plan = notes_plan(BASE + "\nJob line", BASE + "\nCalendar line", direction="push_only")
    assert plan.merges == {} and plan.conflicts == {} and plan.apply == {}
    assert "notes" in plan.pushonly_edits and plan.needs_push


def test_notes_held_in_review_are_not_merged_without_a_person():
    job = replace(PLANNER_JOB, notes=BASE + "\nJob line")
    held = link(notes=BASE, held={"notes": BASE + "\nOld calendar line"})
    plan = plan_merge(held, job, remote_values(notes=BASE + "\nCalendar line"))
    assert set(plan.conflicts) == {"notes"} and plan.apply == {}


# --- the HTML round trip of the job's description --------------------------------------------------------------
@pytest.mark.parametrize(("job_html", "calendar_text"), [
    ("<p>Gate code 4411<br>Dog in the yard</p><p><br></p><p>Bring &amp; fit the new lock</p>",
     "Gate code 4411\nDog in the yard\n\nCustomer: ring twice"),
    ("<p>Gate code 4411</p><p>Dog in the yard</p><p>5 &lt; 6 rungs</p>",
     "Gate code 4411\nDog in the yard\nTechnician: ladder > 3 m, <ann@x.test>"),
])
def test_the_merged_notes_survive_the_html_description_round_trip(job_html, calendar_text):
    base = "Gate code 4411\nDog in the yard"
    job_notes = normalise_notes(job_html)
    plan = notes_plan(job_notes, calendar_text, base_notes=base)
    merged = plan.apply["notes"]
    for line in (*job_notes.split("\n"), *calendar_text.split("\n")):
        assert line in merged.split("\n")
    # written into Odoo's HTML field and read back: the same text, so the next sync sees no edit
    assert normalise_notes(notes_to_html(merged)) == merged
    # and the event the push writes reads back as the same notes (crew line stripped)
    event = RemoteEvent(id="ev1", version="v9", data=job_to_event(replace(PLANNER_JOB, notes=notes_to_html(merged))))
    assert event_values(event)["notes"] == merged


# --- through the engine: pull merges, push sends the merged text, no echo, the timeline says who added what -----
def synced_world(notes=BASE):
    world = World()
    world.add_job(1, make_job(1, notes=notes))
    sync.push(world.providers["google"], world.stores["google"])
    sync.pull(world.providers["google"], world.stores["google"])
    return world


def technician_appends(world, line):
    calendar = world.calendars["google"]
    event = calendar.find(world.link_of(1).event_id)
    # typed at the very end of the event, under our crew line
    return calendar.person_edit(event.id, description=event.data.description + "\n" + line)


def test_a_pull_merges_both_appends_and_the_push_sends_the_merged_text_once():
    world = synced_world()
    provider, store, calendar = world.providers["google"], world.stores["google"], world.calendars["google"]
    technician_appends(world, "Technician: side gate is locked")
    world.edit_job(1, notes=BASE + "\nDispatcher: customer prefers mornings")
    merged = BASE + "\nDispatcher: customer prefers mornings\nTechnician: side gate is locked"

    report = sync.pull(provider, store)
    assert report.conflicts == 0 and store.conflict_of(world.link_of(1).key) is None
    assert world.job(1).notes == merged
    assert world.link_of(1).state == "pending_push"

    writes = calendar.write_calls
    sync.push(provider, store)
    assert calendar.write_calls == writes + 1
    event = calendar.find(world.link_of(1).event_id)
    assert event_values(event)["notes"] == merged
    assert world.link_of(1).state == "in_sync" and world.link_of(1).base["notes"] == merged

    # no echo: the next pull and push change nothing anywhere
    journal, writes = len(world.db.data.journal), calendar.write_calls
    assert sync.pull(provider, store).applied == 0
    sync.push(provider, store)
    assert calendar.write_calls == writes and len(world.db.data.journal) == journal

    merge_entries = [e for e in store.history_of(1) if e.action == "merge"]
    assert len(merge_entries) == 1
    assert "job added: Dispatcher: customer prefers mornings" in merge_entries[0].detail
    assert "calendar added: Technician: side gate is locked" in merge_entries[0].detail


def test_a_push_that_meets_the_calendars_append_merges_on_the_412_replan():
    world = synced_world()
    provider, store, calendar = world.providers["google"], world.stores["google"], world.calendars["google"]
    technician_appends(world, "Technician line")
    world.edit_job(1, notes=BASE + "\nDispatcher line")
    report = sync.push(provider, store)  # planned against the old version: 412, re-planned as a merge
    assert report.replanned == 1 and report.conflicts == 0
    merged = BASE + "\nDispatcher line\nTechnician line"
    assert world.job(1).notes == merged
    assert event_values(calendar.find(world.link_of(1).event_id))["notes"] == merged
    assert world.link_of(1).state == "in_sync"


def test_a_clash_opens_a_conflict_that_carries_the_marked_merge():
    world = synced_world()
    provider, store, calendar = world.providers["google"], world.stores["google"], world.calendars["google"]
    event = calendar.find(world.link_of(1).event_id)
    calendar.person_edit(event.id, description=event.data.description.replace("4411", "1234"))
    world.edit_job(1, notes=BASE.replace("4411", "9999"))
    assert sync.pull(provider, store).conflicts == 1
    conflict = store.conflict_of(world.link_of(1).key)
    marked = conflict.merges["notes"]
    assert (JOB, ("Gate code 9999",)) in marked.segments and (CALENDAR, ("Gate code 1234",)) in marked.segments
    assert world.job(1).notes == BASE.replace("4411", "9999")  # nothing overwritten


def test_a_push_only_connection_restores_the_job_notes_instead_of_merging():
    world = synced_world()
    provider, store = world.providers["google"], world.stores["google"]
    store.sync_direction = "push_only"
    technician_appends(world, "Technician line")
    world.edit_job(1, notes=BASE + "\nDispatcher line")
    report = sync.push(provider, store)  # the 412 re-plan is the only way calendar values meet a push-only job
    assert report.conflicts == 0 and report.replanned == 1
    assert world.job(1).notes == BASE + "\nDispatcher line", "a push-only connection never writes the job"
    event = world.calendars["google"].find(world.link_of(1).event_id)
    assert "Technician line" not in event.data.description and "Dispatcher line" in event.data.description
    journal = [message for key, message in world.db.data.journal if key == 1]
    assert any("notes" in message and "restored" in message for message in journal), journal
