"""A stateful property test of the engine: random edits, deletions, reassignments, faults and crashes.

Two connections (two memory calendars) share one Odoo side (jobs and links in a
MemoryDatabase with commit/rollback). After every step the structural
invariants hold; at each 'settle' the sync runs to a fixed point and the
convergence invariants of design.md are checked against a ledger of who edited
what since the last settle.

``CALSYNC_HYPOTHESIS_PROFILE=thorough`` runs many more examples.
"""

import contextlib
import os
import uuid
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from calsync import sync
from calsync.errors import SyncError
from calsync.guard import MassDeletionGuard, MassDeletionHeld
from calsync.mapping import event_values
from calsync.memory import MemoryCalendar, MemoryProvider
from calsync.store import MemoryDatabase
from tests.engine_fixtures import make_job

settings.register_profile("default", max_examples=1000, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("CALSYNC_HYPOTHESIS_PROFILE", "default"))

CONNECTIONS = ("g", "m")
JOBS = st.integers(min_value=0, max_value=2)
FIELDS = st.sampled_from(["start", "notes"])
VALUES = st.integers(min_value=0, max_value=5)


def shifted(job, hours):
    start = job.start.replace(hour=8) + timedelta(hours=hours)
    return {"start": start, "end": start + timedelta(hours=2)}


class SyncMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.db = MemoryDatabase()
        self.calendars = {c: MemoryCalendar() for c in CONNECTIONS}
        self.providers = {c: MemoryProvider(self.calendars[c]) for c in CONNECTIONS}
        self.stores = {c: self.db.store(c) for c in CONNECTIONS}
        # ledger since the last settle: (job, field) -> list of (side, value)
        self.edits = defaultdict(list)
        self.disturbed = set()  # jobs deleted, cancelled, reassigned or whose event was deleted
        # notes lines each side appended since the last settle: job key -> [(side, line)]; a job whose notes
        # were replaced whole since (which may drop any line) is in ``notes_replaced``
        self.appended = defaultdict(list)
        self.notes_replaced = set()
        self.notes_held_at_settle = set()  # jobs whose notes were in review when the period began

    # -- helpers --------------------------------------------------------------------
    @property
    def jobs(self):
        return self.db.data.jobs

    def live_link(self, key, conn):
        return next((link for link in self.stores[conn].all_links() if link.job_key == key and link.live), None)

    def event_of(self, key):
        conn = self.db.data.carried_by.get(key)
        link = self.live_link(key, conn) if conn else None
        if link is None or link.event_id is None or link.state == "pending_push":
            return None, None
        event = self.calendars[conn].find(link.event_id)
        return (conn, event) if event is not None and not event.deleted else (None, None)

    def mark_owed(self, key):
        """What the Odoo trigger does on a job change: owe a push, create a link where needed."""
        conn = self.db.data.carried_by.get(key)
        for store in self.stores.values():
            store.mark_owed(key)
        if key in self.jobs and conn and self.live_link(key, conn) is None:
            tomb = next((link for link in self.stores[conn].all_links() if link.job_key == key), None)
            if tomb is not None:
                tomb.state = "pending_push"
            else:
                self.stores[conn].new_link(key, uuid.uuid4().hex)
        self.db.commit()

    def run(self, action, conn):
        try:
            action(self.providers[conn], self.stores[conn])
        except MassDeletionHeld:
            return  # held for an admin: nothing was applied and the cursor did not move
        except SyncError:
            self.db.rollback()  # the job failed: its transaction is rolled back, the queue retries later

    # -- the Odoo side ---------------------------------------------------------------
    @rule(key=JOBS, conn=st.sampled_from(CONNECTIONS), n=VALUES)
    def create_job(self, key, conn, n):
        if key in self.jobs:
            return
        self.jobs[key] = make_job(key, hours=n, notes=f"notes {n}")
        self.db.data.carried_by[key] = conn
        self.mark_owed(key)

    @rule(key=JOBS, field=FIELDS, value=VALUES)
    def edit_job(self, key, field, value):
        job = self.jobs.get(key)
        if job is None or job.cancelled:
            return
        changes = shifted(job, value) if field == "start" else {"notes": f"job says {value}"}
        if field == "notes":
            self.notes_replaced.add(key)
        self.jobs[key] = replace(job, **changes)
        self.edits[(key, field)].append(("job", changes[field]))
        self.mark_owed(key)

    @rule(key=JOBS)
    def delete_job(self, key):
        if key in self.jobs:
            del self.jobs[key]
            self.disturbed.add(key)
            self.mark_owed(key)

    @rule(key=JOBS)
    def cancel_job(self, key):
        if key in self.jobs:
            self.jobs[key] = replace(self.jobs[key], cancelled=True)
            self.disturbed.add(key)
            self.mark_owed(key)

    @rule(key=JOBS)
    def reassign(self, key):
        if key not in self.jobs:
            return
        current = self.db.data.carried_by[key]
        self.db.data.carried_by[key] = "m" if current == "g" else "g"
        self.disturbed.add(key)
        self.mark_owed(key)

    # -- the calendar side -------------------------------------------------------------
    @rule(key=JOBS, field=FIELDS, value=VALUES)
    def edit_event(self, key, field, value):
        conn, event = self.event_of(key)
        if event is None:
            return
        changes = shifted(event.data, value) if field == "start" else {"description": f"calendar says {value}"}
        if field == "notes":
            self.notes_replaced.add(key)
        self.calendars[conn].person_edit(event.id, **changes)
        self.edits[(key, field)].append(("calendar", changes.get("start", changes.get("description"))))

    @rule(key=JOBS, job_field=FIELDS, calendar_field=FIELDS, value=VALUES)
    def edit_both_sides(self, key, job_field, calendar_field, value):
        """The common race: a person edits the event while the dispatcher edits the job, before any sync."""
        self.edit_event(key, calendar_field, value)
        self.edit_job(key, job_field, value + 1)

    @rule(key=JOBS, value=VALUES)
    def append_job_note(self, key, value):
        """The dispatcher adds a line at the end of the job's notes (issue #24: merged, never a conflict)."""
        job = self.jobs.get(key)
        if job is None or job.cancelled:
            return
        line = f"job adds {value}"
        self.jobs[key] = replace(job, notes=f"{job.notes}\n{line}" if job.notes else line)
        self.appended[key].append(("job", line))
        self.edits[(key, "notes")].append(("job", self.jobs[key].notes))
        self.mark_owed(key)

    @rule(key=JOBS, value=VALUES)
    def append_event_note(self, key, value):
        """The technician types a line at the very end of the event (under our crew line, if any)."""
        conn, event = self.event_of(key)
        if event is None:
            return
        line = f"calendar adds {value}"
        description = event.data.description
        edited = self.calendars[conn].person_edit(event.id, description=f"{description}\n{line}" if description
                                                  else line)
        self.appended[key].append(("calendar", line))
        self.edits[(key, "notes")].append(("calendar", event_values(edited)["notes"]))

    @rule(key=JOBS, value=VALUES)
    def append_on_both_sides(self, key, value):
        """Both add a line before any sync: the common case the line merge exists for."""
        self.append_event_note(key, value)
        self.append_job_note(key, value + 1)

    @rule(key=JOBS)
    def delete_event(self, key):
        conn, event = self.event_of(key)
        if event is not None:
            self.calendars[conn].person_delete(event.id)
            self.disturbed.add(key)

    # -- sync, faults, crashes -----------------------------------------------------------
    @rule(conn=st.sampled_from(CONNECTIONS))
    def push(self, conn):
        self.run(sync.push, conn)

    @rule(conn=st.sampled_from(CONNECTIONS))
    def pull(self, conn):
        self.run(sync.pull, conn)

    @rule(conn=st.sampled_from(CONNECTIONS), kind=st.sampled_from(["apply_then_fail", "server_error",
                                                                   "rate_limit"]))
    def fault(self, conn, kind):
        self.calendars[conn].inject(kind)

    @rule(conn=st.sampled_from(CONNECTIONS))
    def push_then_crash(self, conn):
        """The worker dies after the provider acted but before the commit that would have recorded it.

        Commits made before the calendar changed (the write-ahead of what is being sent) happened, those
        after it are lost. A write the calendar refused (a 412, re-planned within the same push) changed
        nothing: the worker was alive after it and committed what came next, the re-planned write's
        write-ahead included (counting refused writes dropped that commit, so the landed re-planned
        write looked like a person's edit: a crash no worker can have).
        """
        store = self.stores[conn]
        original = store.commit
        calendar = self.calendars[conn]
        changed_before = calendar.last_seq

        def commit():
            if calendar.last_seq == changed_before:
                original()

        store.commit = commit
        with contextlib.suppress(SyncError):  # whatever the push raised, the worker dies right after
            try:
                sync.push(self.providers[conn], store)
            finally:
                store.commit = original
        self.db.rollback()

    @rule(conn=st.sampled_from(CONNECTIONS))
    def expire_cursor(self, conn):
        self.calendars[conn].expire_cursors()

    @precondition(lambda self: self.jobs)
    @rule()
    def settle(self):
        self._converge()
        self._check_convergence()
        self.edits.clear()
        self.disturbed.clear()
        self.appended.clear()
        self.notes_replaced.clear()
        self.notes_held_at_settle = {link.job_key for conn in CONNECTIONS for link in self.stores[conn].all_links()
                                     if link.live and link.held and "notes" in link.held}

    def teardown(self):
        """Every example ends settled and checked, not only those that drew the settle rule."""
        if self.jobs:
            self._converge()
            self._check_convergence()

    # -- convergence ----------------------------------------------------------------------
    def _converge(self):
        for cal in self.calendars.values():
            cal.faults.clear()
        for _round in range(6):
            for conn in CONNECTIONS:
                sync.push(self.providers[conn], self.stores[conn])
                try:
                    sync.pull(self.providers[conn], self.stores[conn])
                except MassDeletionHeld:
                    # an admin looks at the calendar and confirms: the deletions become reviews
                    sync.pull(self.providers[conn], self.stores[conn], guard=MassDeletionGuard(confirmed=True))
        # a second sync with nothing changed writes nothing, anywhere
        writes = {c: cal.write_calls for c, cal in self.calendars.items()}
        journal = len(self.db.data.journal)
        for conn in CONNECTIONS:
            sync.push(self.providers[conn], self.stores[conn])
            sync.pull(self.providers[conn], self.stores[conn])
        assert {c: cal.write_calls for c, cal in self.calendars.items()} == writes, "idle sync wrote"
        assert len(self.db.data.journal) == journal, "idle sync touched a job"

    def _check_convergence(self):
        for key, job in self.jobs.items():
            conn = self.db.data.carried_by[key]
            link = self.live_link(key, conn)
            if job.cancelled:
                assert link is None or link.state in ("conflict",) or link.event_id is None or \
                    self.calendars[conn].find(link.event_id).deleted, f"cancelled job {key} kept its event"
                continue
            assert link is not None, f"job {key} has no live link on its calendar"
            conflict = self.stores[conn].conflict_of(link.key)
            if link.state == "conflict" and not link.held and conflict is not None and conflict.deletion:
                continue
            event = self.calendars[conn].find(link.event_id)
            assert event is not None and not event.deleted, f"job {key} has no event"
            remote = event_values(event)
            local = job.synced()
            self._check_appended_lines(key, link, local, remote)
            for field in ("start", "notes"):
                in_conflict = bool(link.held) and field in link.held
                if not in_conflict:
                    assert local[field] == remote[field], f"job {key} {field}: {local[field]} != {remote[field]}"
                history = self.edits.get((key, field), [])
                if key in self.disturbed or not history:
                    continue
                sides = {side for side, _v in history}
                last_job = next((v for s, v in reversed(history) if s == "job"), None)
                last_cal = next((v for s, v in reversed(history) if s == "calendar"), None)
                if in_conflict:
                    # held for review: neither side's latest value is overwritten while the conflict is open
                    if last_job is not None:
                        assert local[field] == last_job, f"conflicting job value of {key}.{field} overwritten"
                    if last_cal is not None:
                        assert remote[field] == last_cal, f"conflicting calendar value of {key}.{field} overwritten"
                elif sides == {"job"}:
                    assert local[field] == last_job, f"job edit of {key}.{field} lost"
                elif sides == {"calendar"}:
                    assert remote[field] == last_cal and local[field] == last_cal, \
                        f"calendar edit of {key}.{field} lost"

    def _check_appended_lines(self, key, link, local, remote):
        """Merged notes never lose a line either side added; appends alone never open a notes conflict."""
        if key in self.disturbed or key in self.notes_replaced or not self.appended.get(key):
            return
        held = bool(link.held) and "notes" in link.held
        assert not held or key in self.notes_held_at_settle, f"appended lines alone put job {key}'s notes in review"
        for side, line in self.appended[key]:
            mine, theirs = local["notes"].split("\n"), remote["notes"].split("\n")
            if held:  # an older clash is still in review: each side keeps what it added
                assert line in (mine if side == "job" else theirs), f"{side} line {line!r} of {key} lost in review"
            else:
                assert line in mine and line in theirs, f"{side} line {line!r} of job {key} lost by the merge"

    # -- invariants after every step ------------------------------------------------------------
    @invariant()
    def one_event_per_job_per_calendar(self):
        for conn, cal in self.calendars.items():
            identities = [e.identity for e in cal.live_events() if e.identity]
            assert len(identities) == len(set(identities))
            jobs = [link.job_key for link in self.stores[conn].all_links()
                    if link.identity in identities and link.job_key is not None]
            assert len(jobs) == len(set(jobs)), f"a job has two live events on {conn}"

    @invariant()
    def one_live_link_per_job_and_event(self):
        for conn in CONNECTIONS:
            live = [link for link in self.stores[conn].all_links() if link.live]
            jobs = [link.job_key for link in live]
            events = [link.event_id for link in live if link.event_id]
            assert len(jobs) == len(set(jobs)) and len(events) == len(set(events))

    @invariant()
    def base_matches_the_confirmed_version(self):
        """A link in sync at the event's current version agrees with it: the base moved only on confirmation."""
        for conn in CONNECTIONS:
            for link in self.stores[conn].all_links():
                if link.state != "in_sync" or not link.event_id or not link.base:
                    continue
                event = self.calendars[conn].find(link.event_id)
                if event is None or event.deleted or event.version != link.version:
                    continue
                remote = event_values(event)
                for field in ("start", "end", "notes"):
                    assert _same(remote[field], link.base[field]), f"base of {link.key} ahead of the calendar"


def _same(value, based):
    from calsync.mapping import to_base

    return to_base({"v": value})["v"] == based


TestSyncMachine = SyncMachine.TestCase
