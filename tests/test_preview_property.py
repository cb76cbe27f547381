"""Property: in random worlds where nothing changes between the preview and the sync, the pull does what the
preview said, job by job (jobs changed or cancelled, conflicts and deletion reviews opened, the hold)."""

import copy
from datetime import timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from calsync import sync
from calsync.guard import MassDeletionGuard, MassDeletionHeld
from calsync.preview import preview
from tests import world_steps

JOBS = 6
step = world_steps.steps(JOBS)


def _effects(world, before_jobs, before_links):
    store = world.stores["google"]
    seen = set()
    for key, job in world.db.data.jobs.items():
        old = before_jobs.get(key)
        if old is not None and old.cancelled != job.cancelled:
            seen.add((key, "pull", "cancel"))
        elif old is not None and old.synced() != job.synced():
            seen.add((key, "pull", "apply"))
    for link in store.all_links():
        conflict = store.conflict_of(link.key)
        was = before_links.get(link.key)
        if conflict is not None and (was is None or was.state != "conflict"):
            seen.add((link.job_key, "pull", "review" if conflict.deletion else "conflict"))
    return seen


WORLDS = (st.lists(step, max_size=8), st.booleans(), st.sampled_from(["two_way", "push_only", "pull_only"]))


@settings(max_examples=200, deadline=None)
@given(*WORLDS)
def test_the_sync_does_what_the_preview_said(steps, allow_cancel, direction):
    check_preview_then_pull(steps, allow_cancel, direction)


def check_preview_then_pull(steps, allow_cancel, direction):
    world = world_steps.world_in(direction, JOBS)
    store, provider = world.stores["google"], world.providers["google"]
    world_steps.play(world, steps, JOBS)
    guard = MassDeletionGuard()
    rows = preview(provider, store, allow_calendar_cancel=allow_cancel, guard=guard)
    predicted = {(r.job_key, r.side, r.action) for r in rows if r.side == "pull" and r.action != "restore"}
    before_jobs = dict(world.db.data.jobs)
    before_links = {link.key: copy.copy(link) for link in store.all_links()}
    held = any(r.action == "hold" for r in rows)
    try:
        sync.pull(provider, store, allow_calendar_cancel=allow_cancel, guard=guard)
        assert not held, "the preview showed a hold the pull did not make"
    except MassDeletionHeld:
        assert held, "the pull was held and the preview did not say so"
        return
    seen = _effects(world, before_jobs, before_links)
    assert {p for p in predicted if p[2] in ("apply", "cancel", "review", "conflict")} == seen


@settings(max_examples=200, deadline=None)
@given(st.lists(step, max_size=6), st.integers(1, JOBS), st.sampled_from(["cal_notes", "cal_move"]),
       st.booleans(), st.sampled_from(["two_way", "push_only"]))
def test_a_412_replan_does_what_the_preview_of_the_world_it_met_said(steps, key, change, allow_cancel, direction):
    """A job's change is owed, and a person changes its event before the push: the push meets a 412 and
    re-plans by the pull's rule, so what it does to that job is what a preview of that world said."""
    world = world_steps.world_in(direction, JOBS)
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    world_steps.play(world, steps, JOBS)
    job = world.job(key)
    link = next((link for link in store.all_links() if link.job_key == key and link.live and link.event_id), None)
    event = calendar.find(link.event_id) if link else None
    assume(link is not None and event is not None and not event.deleted and not job.cancelled)
    world.edit_job(key, notes="Owed: bring the gauge")
    if change == "cal_notes":
        calendar.person_edit(event.id, description="A person's calendar text")
    else:
        calendar.person_edit(event.id, start=event.data.start + timedelta(hours=3),
                             end=event.data.end + timedelta(hours=3))
    rows = preview(provider, store, allow_calendar_cancel=allow_cancel, guard=MassDeletionGuard())
    assume(not any(r.action == "hold" for r in rows))
    predicted = {(r.job_key, r.side, r.action) for r in rows
                 if r.job_key == key and r.side == "pull" and r.action in ("apply", "cancel", "review", "conflict")}
    before_jobs = dict(world.db.data.jobs)
    before_links = {link.key: copy.copy(link) for link in store.all_links()}
    report = sync.push(provider, store, allow_calendar_cancel=allow_cancel)
    assert report.replanned >= 1, report
    assert {e for e in _effects(world, before_jobs, before_links) if e[0] == key} == predicted
