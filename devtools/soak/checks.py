"""After quiescence: do both sides agree, and is every difference named by an open review?

Counts, per provider: mismatches (a synced field that differs with no open
conflict naming it), duplicates (two live events for one identity or one job),
orphans (a live link whose event is gone without a review, an event of ours with
no live link, or a live event for a job that is deleted, cancelled or carried
elsewhere), lost edits (see ``ledger``) and owed work (pending links, links in
error, pulls owed, an idle sync that still writes).
"""

from __future__ import annotations

from collections import Counter

from calsync import sync
from calsync.mapping import SYNCED_FIELDS
from calsync.timeutil import UTC


def _deletion_review(store, link) -> bool:
    conflict = store.conflict_of(link.key)
    return sync.deletion_under_review(link) and conflict is not None and conflict.deletion


def check(soak) -> dict:
    world, kit, ledger = soak.world, soak.kit, soak.ledger
    problems: list[str] = []
    counts = Counter()
    events = {name: {remote.id: (remote, values) for remote, values in kit.events(conn.account)}
              for name, conn in world.conns.items()}

    # -- duplicates and orphaned events, calendar by calendar ----------------------------------------------
    for name, conn in world.conns.items():
        by_identity = Counter(remote.identity for remote, _v in events[name].values() if remote.identity)
        per_job = Counter()
        for identity, n in by_identity.items():
            if n > 1:
                counts["duplicates"] += n - 1
                problems.append(f"{name}: {n} events carry identity {identity}")
        for remote, _values in events[name].values():
            if not remote.identity:
                continue
            link = conn.store.link_by_identity(remote.identity)
            if link is None or not link.live or link.event_id != remote.id:
                counts["orphans"] += 1
                problems.append(f"{name}: event {remote.id} has no live link ({link and link.state})")
                continue
            per_job[link.job_key] += 1
            job = world.jobs.get(link.job_key)
            if job is None or job.cancelled or world.carrier(link.job_key) != name:
                counts["orphans"] += 1
                problems.append(f"{name}: event {remote.id} stays for job {link.job_key}, which is "
                                f"{'deleted' if job is None else 'cancelled' if job.cancelled else 'elsewhere'}")
        for job_key, n in per_job.items():
            if n > 1:
                counts["duplicates"] += n - 1
                problems.append(f"{name}: job {job_key} has {n} events")

    # -- links without their event, and work still owed ------------------------------------------------------
    for name, conn in world.conns.items():
        for link in conn.store.links():
            if link.state == "pending_push":
                counts["owed"] += 1
                problems.append(f"{name}: link {link.key} of job {link.job_key} still owes a push")
            if link.state == "error":
                counts["owed"] += 1
                problems.append(f"{name}: link {link.key} of job {link.job_key} in error: {link.last_error}")
            if _deletion_review(conn.store, link):
                continue
            if link.event_id is None or link.event_id not in events[name]:
                counts["orphans"] += 1
                problems.append(f"{name}: live link {link.key} ({link.state}) of job {link.job_key} has no event")
        if conn.pull_owed or conn.needs_reauth:
            counts["owed"] += 1
            problems.append(f"{name}: a pull is still owed or the connection needs re-authorisation")

    # -- every job against its event, and the ledger of edits -----------------------------------------------------
    for key, job in sorted(world.jobs.items()):
        if job.cancelled:
            continue
        name = world.carrier(key)
        store = world.conns[name].store
        link = world.live_link(key, name)
        if link is None:
            counts["mismatches"] += 1
            problems.append(f"job {key} has no live link on {name}")
            continue
        local = job.synced()
        if _deletion_review(store, link):
            counts["in_review"] += 1
            remote_values = {}
        else:
            found = events[name].get(link.event_id)
            if found is None or found[1] is None:
                counts["mismatches"] += 1
                problems.append(f"job {key}: no readable event on {name}")
                continue
            remote_values = found[1]
            conflict = store.conflict_of(link.key)
            held = set(link.held or {})
            for field in SYNCED_FIELDS:
                if local[field] == remote_values[field]:
                    continue
                if field in held and conflict is not None and field in conflict.fields:
                    counts["fields_in_review"] += 1
                    if not _genuine(ledger, key, field, local[field], remote_values[field]):
                        counts["unexplained_conflicts"] += 1
                        problems.append(f"job {key}.{field} in review although one side holds the other's value: "
                                        f"job {_show(local[field])}, calendar {_show(remote_values[field])}")
                    continue
                counts["mismatches"] += 1
                problems.append(f"job {key}.{field}: job {_show(local[field])} != calendar "
                                f"{_show(remote_values[field])} ({link.state}, held {sorted(held)})")
            # the title and the place belong to the job: a person's change to them is put back
            remote = found[0]
            for field in ("title", "location"):
                if getattr(remote.data, field) != getattr(job, field):
                    counts["mismatches"] += 1
                    problems.append(f"job {key}.{field}: job {getattr(job, field)!r} != calendar "
                                    f"{getattr(remote.data, field)!r} (not restored)")
        for field in ("start", "notes"):
            for edit in ledger.lost(key, field, local[field], remote_values.get(field)):
                counts["lost_edits"] += 1
                problems.append(f"job {key}.{field}: {edit.side} edit #{edit.seq} ({_show(edit.value)}) lost; "
                                f"job has {_show(local[field])}, calendar {_show(remote_values.get(field))}")

    # -- an idle sync changes nothing ----------------------------------------------------------------------
    writes, journal = world.writes, len(world.db.data.journal)
    for name in world.conns:
        world.run(name, "push")
        world.run(name, "pull")
    if world.writes != writes or len(world.db.data.journal) != journal:
        counts["owed"] += 1
        problems.append("an idle sync after quiescence still wrote")

    for key in ("mismatches", "duplicates", "lost_edits", "orphans", "owed"):
        counts.setdefault(key, 0)
    return {"counts": dict(counts), "problems": problems, "edits": ledger.count(),
            "jobs_left": len(world.jobs), "events": {n: len(e) for n, e in events.items()}}


def _genuine(ledger, key, field, job_value, event_value) -> bool:
    """A real conflict: the job holds one of its own edits and the calendar one of a person's.

    Anything else in review (the calendar holding a value we wrote, the job holding one it
    took from the calendar) is safe, nothing is lost, but a reviewer is asked for nothing.
    """
    if field == "end":
        return True  # the end moves with the start: judged there
    history = ledger.edits.get((key, field), [])
    sides = {}
    for edit in history:
        sides.setdefault(edit.value, edit.side)  # where the value came from (a reviewer only picks one)
    return sides.get(job_value) == "job" and sides.get(event_value) == "calendar"


def _show(value) -> str:
    if hasattr(value, "astimezone"):
        return value.astimezone(UTC).strftime("%m-%d %H:%M")
    return repr(value)
