"""Random worlds for the engine's property tests: jobs in sync on one memory calendar, then both sides change."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st

from calsync import sync
from tests.engine_fixtures import World, make_job

KINDS = ["job_notes", "job_move", "job_start_only", "cal_notes", "cal_move", "cal_delete", "job_cancel", "new_job"]


def steps(jobs: int):
    """One step: what changes (``KINDS``), and which of the first ``jobs`` jobs it touches."""
    return st.tuples(st.sampled_from(KINDS), st.integers(1, jobs))


def world_in(direction: str, jobs: int) -> World:
    """``jobs`` jobs pushed and in sync on a two-way connection, which then switches to ``direction``."""
    world = World()
    store, provider = world.stores["google"], world.providers["google"]
    for key in range(1, jobs + 1):
        world.add_job(key, make_job(key))
    sync.push(provider, store)
    sync.pull(provider, store)
    store.sync_direction = direction
    return world


def play(world, changes, jobs: int) -> None:
    """Both sides make ``changes``, nothing synced in between (new jobs take keys after the first ``jobs``)."""
    store, calendar = world.stores["google"], world.calendars["google"]
    next_key = jobs + 1
    for n, (kind, key) in enumerate(changes):
        job = world.job(key)
        link = next((link for link in store.all_links() if link.job_key == key and link.live), None)
        event = calendar.find(link.event_id) if link and link.event_id else None
        if kind == "job_notes" and not job.cancelled:
            world.edit_job(key, notes=f"job text {n}")
        elif kind == "job_move" and not job.cancelled:
            world.edit_job(key, start=job.start + timedelta(hours=1), end=job.end + timedelta(hours=1))
        elif kind == "job_start_only" and not job.cancelled:
            world.edit_job(key, start=job.start - timedelta(hours=1))
        elif kind == "job_cancel":
            world.edit_job(key, cancelled=True)
        elif kind == "new_job":
            world.add_job(next_key, make_job(next_key))
            next_key += 1
        elif event is not None and not event.deleted:
            if kind == "cal_notes":
                calendar.person_edit(event.id, description=f"calendar text {n}")
            elif kind == "cal_move":
                calendar.person_edit(event.id, start=event.data.start + timedelta(hours=2),
                                     end=event.data.end + timedelta(hours=2))
            elif kind == "cal_delete":
                calendar.person_delete(event.id)
