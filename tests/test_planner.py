"""Direct tests of calsync.planner: what a push sends and what a pull merges, per link, with no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calsync.events import OpKind, RemoteEvent
from calsync.mapping import JobValues, event_values, job_to_event, normalise_notes, notes_to_html, to_base
from calsync.planner import MergePlan, agreed_values, plan_merge, plan_push
from calsync.store import LinkRecord

UTC = timezone.utc
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)

JOB = JobValues(start=T0, end=T0 + 2 * HOUR, notes="Bring ladder", title="WO00001 Site", location="1 Main St",
                crew=("Ann",))


def link(base_job: JobValues | None = JOB, event_id: str | None = "ev1", version: str | None = "v1",
         held: dict | None = None, **base_changes) -> LinkRecord:
    """A link whose base is what ``base_job`` (with ``base_changes``) shows, as the store keeps it (JSON form)."""
    base = None if base_job is None else to_base({**agreed_values(base_job), **base_changes})
    return LinkRecord(key=1, identity="ident-1", job_key=10, event_id=event_id, version=version, base=base,
                      held=to_base(held) if held else None, state="pending_push")


def remote_values(job: JobValues = JOB, **changes) -> dict:
    """The values a pull reads from the event ``job`` was pushed as, with calendar-side ``changes``."""
    values = event_values(RemoteEvent(id="ev1", version="v2", data=job_to_event(job)))
    return {**values, **changes}


# --- plan_push ----------------------------------------------------------------------------------------------------


def test_agreed_values_are_the_synced_and_pushed_fields():
    job = replace(JOB, notes="<p>Bring ladder</p>", start=T0.astimezone(ZoneInfo("Europe/Berlin")))
    assert agreed_values(job) == {"start": T0, "end": T0 + 2 * HOUR, "notes": "Bring ladder",
                                  "title": "WO00001 Site", "location": "1 Main St"}
    assert agreed_values(job)["start"].utcoffset() == timedelta(0)


@pytest.mark.parametrize("invite", [False, True])
def test_push_creates_the_event_of_a_new_link(invite):
    plan = plan_push(link(base_job=None, event_id=None, version=None), JOB, invite_attendees=invite)
    assert plan.op.kind == OpKind.CREATE
    assert plan.op.identity == "ident-1"
    assert plan.op.event_id is None and plan.op.if_match is None
    assert plan.op.data == job_to_event(JOB, invite)
    assert plan.values == agreed_values(JOB)
    assert plan.settle is None


def test_push_creates_even_when_a_base_exists_but_no_event_does():
    plan = plan_push(link(event_id=None, version=None), JOB)
    assert plan.op.kind == OpKind.CREATE
    assert plan.values == agreed_values(JOB)


@pytest.mark.parametrize("changes", [
    {"start": T0 + HOUR},
    {"end": T0 + 3 * HOUR},
    {"notes": "Bring the long ladder"},
    {"title": "WO00001 Other site"},  # push-only fields are sent too
    {"location": "2 Main St"},
    {"start": T0 - HOUR, "notes": ""},
])
def test_push_updates_a_changed_job_against_the_known_version(changes):
    job = replace(JOB, **changes)
    plan = plan_push(link(), job)
    assert plan.op.kind == OpKind.UPDATE
    assert (plan.op.identity, plan.op.event_id, plan.op.if_match) == ("ident-1", "ev1", "v1")
    assert plan.op.data == job_to_event(job)
    assert plan.values == agreed_values(job)


def test_push_without_a_base_updates_the_event_with_the_job():
    plan = plan_push(link(base_job=None), JOB)
    assert plan.op.kind == OpKind.UPDATE
    assert plan.op.if_match == "v1"
    assert plan.op.data == job_to_event(JOB)


@pytest.mark.parametrize("job", [
    JOB,
    replace(JOB, notes="<p>Bring   ladder</p>\n"),  # HTML wrapping is no edit
    replace(JOB, start=T0.astimezone(ZoneInfo("America/New_York"))),  # the same instant in another zone
    replace(JOB, crew=("Ann", "Bob")),  # the crew is no field of the base
    replace(JOB, time_zone="Europe/Berlin"),  # neither is the presentation zone
])
def test_push_of_a_job_equal_to_the_base_sends_nothing(job):
    plan = plan_push(link(), job)
    assert plan == replace(plan, op=None, values=None, settle="in_sync")
    assert plan.op is None


def test_push_of_a_job_edited_and_edited_back_sends_nothing():
    edited = replace(JOB, notes="Changed")
    assert plan_push(link(), edited).op.kind == OpKind.UPDATE
    assert plan_push(link(), replace(edited, notes=JOB.notes)).settle == "in_sync"


@pytest.mark.parametrize("job", [
    None,  # deleted, or the calendar no longer carries it
    replace(JOB, cancelled=True),
    replace(JOB, start=None),
    replace(JOB, end=None),
])
def test_push_deletes_the_event_of_a_gone_job(job):
    plan = plan_push(link(), job)
    assert plan.op.kind == OpKind.DELETE
    assert (plan.op.identity, plan.op.event_id, plan.op.if_match) == ("ident-1", "ev1", "v1")
    assert plan.op.data is None
    assert plan.values is None and plan.settle is None


@pytest.mark.parametrize("job", [None, replace(JOB, cancelled=True), replace(JOB, start=None, end=None)])
def test_push_of_a_gone_job_without_an_event_tombstones_the_link(job):
    plan = plan_push(link(event_id=None, version=None), job)
    assert plan.op is None
    assert plan.settle == "tombstone"


def test_push_deletes_without_a_version_when_none_is_known():
    plan = plan_push(link(version=None), None)
    assert plan.op.kind == OpKind.DELETE and plan.op.if_match is None


# held fields: an open conflict keeps the calendar's value on the event and the old value in the base


def test_push_keeps_held_notes_on_the_event_and_the_base_value_in_the_values():
    base_job = JOB
    job = replace(JOB, notes="Job notes", start=T0 + HOUR, end=T0 + 3 * HOUR)  # notes conflict, times moved
    plan = plan_push(link(base_job, held={"notes": "Calendar notes"}), job)
    assert plan.op.kind == OpKind.UPDATE
    assert plan.op.data.description == "Calendar notes\n\nFieldOps crew: Ann"
    assert (plan.op.data.start, plan.op.data.end) == (T0 + HOUR, T0 + 3 * HOUR)
    assert plan.values == {**agreed_values(job), "notes": "Bring ladder"}


def test_push_keeps_a_held_start_on_the_event():
    cal_start = T0 - 2 * HOUR
    job = replace(JOB, start=T0 - HOUR, title="WO00001 New title")
    plan = plan_push(link(held={"start": cal_start}), job)
    assert plan.op.kind == OpKind.UPDATE
    assert plan.op.data.start == cal_start
    assert plan.op.data.title == "WO00001 New title"
    assert plan.values["start"] == T0  # the base's start, until the conflict is resolved
    assert plan.values["title"] == "WO00001 New title"


def test_push_of_a_job_that_changed_only_held_fields_settles_as_conflict():
    job = replace(JOB, notes="Job notes")
    plan = plan_push(link(held={"notes": "Calendar notes"}), job)
    assert plan.op is None
    assert plan.settle == "conflict"


def test_push_ignores_held_fields_without_a_base():
    job = replace(JOB, notes="Job notes")
    plan = plan_push(link(base_job=None, held={"notes": "Calendar notes"}), job)
    assert plan.op.kind == OpKind.UPDATE
    assert plan.op.data.description.startswith("Job notes")


def test_push_of_a_gone_job_deletes_even_with_held_fields():
    plan = plan_push(link(held={"notes": "Calendar notes"}), None)
    assert plan.op.kind == OpKind.DELETE


# --- plan_merge ---------------------------------------------------------------------------------------------------


def test_merge_of_our_own_echo_changes_nothing():
    lk = link()
    plan = plan_merge(lk, JOB, remote_values())
    assert plan == MergePlan(apply={}, needs_push=False, conflicts={}, new_base=agreed_values(JOB),
                             pushonly_edits=())


@pytest.mark.parametrize(("field", "value"), [
    ("start", T0 - HOUR),
    ("end", T0 + 4 * HOUR),
    ("notes", "Calendar says bring a torch"),
    ("notes", ""),
])
def test_merge_applies_a_calendar_only_change_to_the_job(field, value):
    plan = plan_merge(link(), JOB, remote_values(**{field: value}))
    assert plan.apply == {field: value}
    assert plan.needs_push is False
    assert plan.conflicts == {}
    assert plan.new_base == {**agreed_values(JOB), field: value}
    assert plan.pushonly_edits == ()


@pytest.mark.parametrize(("field", "value"), [
    ("start", T0 + HOUR),
    ("notes", "Job says bring a torch"),
    ("title", "WO00001 Renamed"),
    ("location", "9 Other St"),
])
def test_merge_of_a_job_only_change_owes_a_push_and_keeps_the_base(field, value):
    job = replace(JOB, **{field: value})
    plan = plan_merge(link(), job, remote_values())
    assert plan.apply == {}
    assert plan.needs_push is True
    assert plan.conflicts == {}
    assert plan.new_base == agreed_values(JOB)
    assert plan.pushonly_edits == ()


@pytest.mark.parametrize(("field", "value"), [("start", T0 + HOUR), ("notes", "Both say bring a torch")])
def test_merge_of_the_same_change_on_both_sides_moves_the_base(field, value):
    job = replace(JOB, **{field: value})
    plan = plan_merge(link(), job, remote_values(**{field: value}))
    assert plan.apply == {} and plan.conflicts == {}
    assert plan.needs_push is False
    assert plan.new_base == {**agreed_values(JOB), field: value}


@pytest.mark.parametrize(("field", "job_value", "cal_value"), [
    ("start", T0 + HOUR, T0 - HOUR),
    ("end", T0 + 3 * HOUR, T0 + 4 * HOUR),
    ("notes", "Job notes", "Calendar notes"),
])
def test_merge_of_different_changes_on_both_sides_is_a_conflict(field, job_value, cal_value):
    job = replace(JOB, **{field: job_value})
    plan = plan_merge(link(), job, remote_values(**{field: cal_value}))
    assert plan.conflicts == {field: (agreed_values(JOB)[field], job_value, cal_value)}
    assert plan.apply == {}
    assert plan.needs_push is False
    assert plan.new_base == agreed_values(JOB)  # the conflicting field keeps its old base


def test_merge_applies_and_pushes_other_fields_next_to_a_conflict():
    job = replace(JOB, notes="Job notes", start=T0 + HOUR)
    plan = plan_merge(link(), job, remote_values(notes="Calendar notes", end=T0 + 5 * HOUR))
    assert plan.conflicts == {"notes": ("Bring ladder", "Job notes", "Calendar notes")}
    assert plan.apply == {"end": T0 + 5 * HOUR}
    assert plan.needs_push is True  # the job's start still goes to the calendar
    assert plan.new_base == {**agreed_values(JOB), "end": T0 + 5 * HOUR}


@pytest.mark.parametrize(("field", "value"), [("title", "Renamed in the calendar"), ("location", "Elsewhere")])
def test_merge_undoes_a_calendar_edit_of_a_push_only_field(field, value):
    plan = plan_merge(link(), JOB, remote_values(**{field: value}))
    assert plan.pushonly_edits == (field,)
    assert plan.needs_push is True
    assert plan.apply == {}  # never applied to the job
    # the base records what the calendar holds now, so the next push sees the difference and restores it
    assert plan.new_base == {**agreed_values(JOB), field: value}


def test_merge_reports_both_push_only_edits():
    plan = plan_merge(link(), JOB, remote_values(title="X", location="Y"))
    assert plan.pushonly_edits == ("title", "location")


def test_merge_with_a_base_of_synced_fields_only_owes_a_push_of_the_push_only_fields():
    lk = link()
    lk.base = {k: v for k, v in lk.base.items() if k in ("start", "end", "notes")}
    plan = plan_merge(lk, JOB, remote_values())
    assert plan.pushonly_edits == ()  # an unknown base value is no calendar edit
    assert plan.needs_push is True  # but the job's title and location were never agreed


def test_merge_compares_instants_not_zones():
    berlin = ZoneInfo("Europe/Berlin")
    job = replace(JOB, start=T0.astimezone(berlin), end=(T0 + 2 * HOUR).astimezone(berlin))
    plan = plan_merge(link(), job, remote_values(start=T0.astimezone(ZoneInfo("America/New_York"))))
    assert plan.apply == {} and plan.conflicts == {} and plan.needs_push is False


# a link never agreed on (no base): the job is the source


def test_first_merge_of_an_event_equal_to_the_job_agrees_on_it():
    remote = remote_values()
    plan = plan_merge(link(base_job=None), JOB, remote)
    assert plan == MergePlan(apply={}, needs_push=False, conflicts={}, new_base=remote, pushonly_edits=())


@pytest.mark.parametrize(("field", "value"), [("start", T0 + HOUR), ("notes", "Calendar notes")])
def test_first_merge_of_a_different_event_pushes_the_job(field, value):
    plan = plan_merge(link(base_job=None), JOB, remote_values(**{field: value}))
    assert plan.needs_push is True
    assert plan.apply == {} and plan.conflicts == {}
    assert plan.new_base is None


def test_first_merge_records_the_calendars_push_only_values_as_the_base():
    remote = remote_values(title="Calendar title")
    plan = plan_merge(link(base_job=None), JOB, remote)
    assert plan.new_base == remote
    assert plan.apply == {}
    # so the push that follows sees the job's title differ from what the calendar holds
    next_push = plan_push(replace(link(base_job=None), base=to_base(plan.new_base)), JOB)
    assert next_push.op.kind == OpKind.UPDATE
    assert next_push.op.data.title == JOB.title


# --- a pull that writes notes to the job, then the next pull --------------------------------------------------------


@pytest.mark.parametrize("cal_notes", [
    "Calendar notes",
    "First paragraph\n\nSecond paragraph",
    "Line one\nLine two\n\nNext block",
    "Keep 5 < x < 9 and > 2 bar",
    "Call Ann <ann@x.test>",
])
def test_notes_pulled_into_the_job_are_not_pushed_back(cal_notes):
    lk = link()
    first = plan_merge(lk, JOB, remote_values(notes=cal_notes))
    assert first.apply == {"notes": cal_notes}
    # the job store writes the notes as HTML (notes_to_html) and reads them back normalised
    job = replace(JOB, notes=normalise_notes(notes_to_html(first.apply["notes"])))
    lk.base = to_base(first.new_base)
    second = plan_merge(lk, job, remote_values(notes=cal_notes))
    assert second == MergePlan(apply={}, needs_push=False, conflicts={}, new_base=first.new_base,
                               pushonly_edits=())
    assert plan_push(lk, job).settle == "in_sync"


# --- field ownership (issue #13, engine part) ---------------------------------------------------------------------
def test_a_job_owned_field_edited_in_the_calendar_is_undone_not_applied():
    plan = plan_merge(link(), JOB, remote_values(notes="Calendar notes"), owners={"notes": "job"})
    assert plan.apply == {} and plan.conflicts == {}
    assert plan.pushonly_edits == ("notes",)
    assert plan.needs_push is True
    assert plan.new_base["notes"] == "Calendar notes"  # so the push sees the difference and restores the job's


def test_a_calendar_owned_field_takes_the_calendar_value_even_if_the_job_changed():
    moved = replace(JOB, notes="Job notes")
    plan = plan_merge(link(), moved, remote_values(notes="Calendar notes"), owners={"notes": "calendar"})
    assert plan.conflicts == {}
    assert plan.apply == {"notes": "Calendar notes"}


def test_shared_fields_keep_the_three_way_rules():
    moved = replace(JOB, notes="Job notes")
    plan = plan_merge(link(), moved, remote_values(notes="Calendar notes"), owners={"notes": "both"})
    assert set(plan.conflicts) == {"notes"}
