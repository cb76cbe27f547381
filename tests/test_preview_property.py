"""Property: in random worlds where nothing changes between the preview and the sync, the pull does what the
preview said, job by job (jobs changed or cancelled, conflicts and deletion reviews opened, the hold)."""

import copy

from hypothesis import given, settings
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
