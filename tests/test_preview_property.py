"""Property: in random worlds where nothing changes between the preview and the sync, the pull does what the
preview said, job by job (jobs changed or cancelled, conflicts and deletion reviews opened, the hold)."""

import copy
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from calsync import sync
from calsync.guard import MassDeletionGuard, MassDeletionHeld
from calsync.preview import preview
from tests.engine_fixtures import World, make_job

JOBS = 6
step = st.tuples(st.sampled_from(["job_notes", "job_move", "cal_notes", "cal_move", "cal_delete", "job_cancel",
                                  "new_job"]), st.integers(1, JOBS))


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
    world = World()
    store, provider, calendar = world.stores["google"], world.providers["google"], world.calendars["google"]
    for key in range(1, JOBS + 1):
        world.add_job(key, make_job(key))
    sync.push(provider, store)
    sync.pull(provider, store)
    store.sync_direction = direction
    next_key = JOBS + 1
    for kind, key in steps:
        job, link = world.job(key), world.link_of(key) if any(
            link.job_key == key and link.live for link in store.all_links()) else None
        event = calendar.find(link.event_id) if link and link.event_id else None
        if kind == "job_notes" and not job.cancelled:
            world.edit_job(key, notes=f"job {len(steps)}")
        elif kind == "job_move" and not job.cancelled:
            world.edit_job(key, start=job.start + timedelta(hours=1), end=job.end + timedelta(hours=1))
        elif kind == "job_cancel":
            world.edit_job(key, cancelled=True)
        elif kind == "new_job":
            world.add_job(next_key, make_job(next_key))
            next_key += 1
        elif event is not None and not event.deleted:
            if kind == "cal_notes":
                calendar.person_edit(event.id, description="calendar text")
            elif kind == "cal_move":
                calendar.person_edit(event.id, start=event.data.start + timedelta(hours=2),
                                     end=event.data.end + timedelta(hours=2))
            elif kind == "cal_delete":
                calendar.person_delete(event.id)
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
