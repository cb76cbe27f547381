"""The soak's loop: a seeded random mix of edits, syncs and faults, then quiescence and the checks.

Webhooks are modelled as what they mean to the product, "a pull is owed": each
calendar change queues a notification for its connection; notifications get lost,
duplicated and reordered, and a periodic safety-net pull covers the lost ones.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from datetime import timedelta

from calsync import sync
from calsync.mapping import from_base

from .checks import check
from .ledger import Ledger
from .providers import TIMEOUT_DELAY
from .world import KillSwitch, World, edited_start

# relative weights of the operations
OPS = {
    "job_edit": 20, "calendar_edit": 20, "reassign": 4, "cancel_job": 2, "delete_job": 2, "calendar_delete": 3,
    "create_job": 3, "push": 12, "webhooks": 10, "safety_net_pull": 3, "fault": 14, "killed_push": 4,
    "killed_pull": 1, "revoke": 1, "review": 3, "edit_both_sides": 4, "calendar_edit_job_field": 3,
}
# relative weights of the injected faults
FAULTS = {"429": 4, "5xx": 4, "timeout": 2, "apply_then_fail": 4, "410": 2}
WEBHOOK_LOSS, WEBHOOK_DUPLICATE = 0.15, 0.15
SAFETY_NET_EVERY = 25  # ops between safety-net pulls of every connection
MAX_QUIESCE_ROUNDS = 12


class Soak:
    """One provider's soak: ``run()`` sets up, runs the operations, quiesces and returns the checks' results."""

    def __init__(self, kit, seed: int, jobs: int, ops: int, log=print):
        self.kit, self.seed, self.n_jobs, self.n_ops, self.log = kit, seed, jobs, ops, log
        self.rng = random.Random(f"{kit.name}-{seed}")  # noqa: S311 - reproducible by seed, not a secret
        self.world = World(kit, f"{kit.name}-{seed}")
        self.ledger = Ledger()
        self.ops = Counter()
        self.faults = Counter()  # injected (emulator faults) or happened (webhook faults, kills, revocations)
        self.inbox: list[str] = []  # notifications not yet handled: the connection whose calendar changed
        self.next_key = 1
        self.values = 0
        self.trace: list[tuple] = []  # (ledger clock, what happened, job or connection): to explain a failure

    # -- helpers ------------------------------------------------------------------------------
    def _unique(self) -> int:
        self.values += 1
        return self.values

    def _active(self):
        return [k for k, job in sorted(self.world.jobs.items()) if not job.cancelled]

    def _job_with_event(self):
        """A random live job whose event is there to be edited, or None."""
        keys = [k for k in self._active() if self._event_of(k)[1] is not None]
        return self.rng.choice(keys) if keys else None

    def _event_of(self, key):
        """(connection, event id) of the job's live event on its calendar, if the sync made one."""
        conn = self.world.carrier(key)
        link = self.world.live_link(key, conn) if conn else None
        if link is None or link.event_id is None:
            return None, None
        found = self.kit.event(self.world.conns[conn].account, link.event_id)
        return (conn, link.event_id) if found is not None else (None, None)

    def _notify(self, conn):
        """The provider sends a notification for a change on ``conn``'s calendar (maybe lost or doubled)."""
        roll = self.rng.random()
        if roll < WEBHOOK_LOSS:
            self.faults["webhook_lost"] += 1
            return
        self.inbox.append(conn)
        if roll < WEBHOOK_LOSS + WEBHOOK_DUPLICATE:
            self.faults["webhook_duplicated"] += 1
            self.inbox.append(conn)

    def _observe(self):
        """After each sync: note which edits the other side now shows (the ledger's 'seen' time)."""
        for edit in self.ledger.pending():
            job = self.world.jobs.get(edit.job)
            if job is None:
                continue
            job_value = job.synced()["start" if edit.field == "start" else "notes"]
            conn, event_id = self._event_of(edit.job)
            event_value = None
            if event_id is not None:
                found = self.kit.event(self.world.conns[conn].account, event_id)
                if found is not None and found[1] is not None:
                    event_value = found[1][edit.field]
            self.ledger.observe(edit, job_value, event_value)

    def _note(self, *what):
        self.trace.append((self.ledger.tick(), *what))

    def _sync(self, conn, kind, kill=None):
        trips = self.kit.emulator.round_trips["api"]
        ok = self.world.run(conn, kind, kill=kill)
        self._note(kind, conn, "ok" if ok else "failed", kill.fired if kill else None,
                   dict(self.world.outcomes))
        if kind == "push" and self.kit.emulator.round_trips["api"] != trips:
            self._notify(conn)  # our own writes come back as notifications too (echoes)
        self._observe()

    # -- setup --------------------------------------------------------------------------------
    def setup(self):
        for _ in range(self.n_jobs):
            self._new_job()
        for _round in range(10):
            for conn in self.world.conns:
                self.world.run(conn, "push")
                self.world.run(conn, "pull")
            if not any(c.store.pending_links() for c in self.world.conns.values()):
                break
        self.kit.emulator.log.clear()

    def _new_job(self, conn=None):
        key = self.next_key
        self.next_key += 1
        self.world.add_job(key, conn or ("A" if key % 2 else "B"))
        return key

    # -- operations -----------------------------------------------------------------------------
    def step(self):
        kind = self.rng.choices(list(OPS), weights=list(OPS.values()))[0]
        done = getattr(self, "op_" + kind)()
        if done is not False:
            self.ops[kind] += 1
        for conn in self.world.conns.values():
            if conn.needs_reauth and self.rng.random() < 0.3:
                self.world.reconnect(conn.name)  # the admin saw the activity and reconnected
                self.ops["reconnect"] += 1

    def op_job_edit(self, key=None):
        if key is None:
            keys = self._active()
            if not keys:
                return False
            key = self.rng.choice(keys)
        field = self.rng.choice(["start", "notes"])
        n = self._unique()
        if field == "start":
            start = edited_start(key, n)
            self.world.edit_job(key, start=start, end=start + timedelta(hours=2))
            self.ledger.record(key, "start", "job", self.world.jobs[key].synced()["start"])
        else:
            self.world.edit_job(key, notes=f"<p>job edit {n}</p>")
            self.ledger.record(key, "notes", "job", f"job edit {n}")
        return True

    def op_edit_both_sides(self):
        """The common race: a person edits the event while the dispatcher edits the job, before any sync."""
        key = self._job_with_event()
        if key is None:
            return False
        self.op_calendar_edit(key)
        self.op_job_edit(key)
        return True

    def op_calendar_edit(self, key=None):
        key = self._job_with_event() if key is None else key
        if key is None:
            return False
        conn, event_id = self._event_of(key)
        account = self.world.conns[conn].account
        field = self.rng.choice(["start", "notes"])
        n = self._unique()
        if field == "start":
            start = edited_start(key, n)
            self.kit.person_edit(account, event_id, {"start": start, "end": start + timedelta(hours=2)})
            self.ledger.record(key, "start", "calendar", start)
        else:
            self.kit.person_edit(account, event_id, {"description": f"calendar edit {n}"})
            self.ledger.record(key, "notes", "calendar", f"calendar edit {n}")
        self._notify(conn)
        return True

    def op_calendar_edit_job_field(self):
        """A person retitles the event or changes its place: the job owns both, so the next push puts them back."""
        key = self._job_with_event()
        if key is None:
            return False
        conn, event_id = self._event_of(key)
        field = self.rng.choice(["title", "location"])
        self.kit.person_edit(self.world.conns[conn].account, event_id, {field: f"calendar {field} {self._unique()}"})
        self._note("calendar_edit_job_field", key, conn)
        self._notify(conn)
        return True

    def op_calendar_delete(self):
        key = self._job_with_event()
        if key is None:
            return False
        conn, event_id = self._event_of(key)
        self.kit.person_delete(self.world.conns[conn].account, event_id)
        self._note("calendar_delete", key, conn)
        self.ledger.drop_unseen_calendar_edits(key)
        self._notify(conn)
        return True

    def op_reassign(self):
        keys = self._active()
        if not keys:
            return False
        key = self.rng.choice(keys)
        current = self.world.carrier(key)
        self.world.db.data.carried_by[key] = "B" if current == "A" else "A"
        self._note("reassign", key, current)
        # calendar edits on the old event that the job never saw go with that event, by design
        self.ledger.drop_unseen_calendar_edits(key)
        self.world.mark_owed(key)
        return True

    def op_cancel_job(self):
        keys = self._active()
        if len(keys) < 2:
            return False
        key = self.rng.choice(keys)
        self.world.edit_job(key, cancelled=True)
        self._note("cancel_job", key)
        self.ledger.forget_job(key)
        return True

    def op_delete_job(self):
        keys = sorted(self.world.jobs)
        if len(keys) < 2:
            return False
        key = self.rng.choice(keys)
        del self.world.jobs[key]
        self._note("delete_job", key)
        self.ledger.forget_job(key)
        self.world.mark_owed(key)
        return True

    def op_create_job(self):
        self._new_job(self.rng.choice(["A", "B"]))
        return True

    def op_push(self):
        self._sync(self.rng.choice(["A", "B"]), "push")

    def op_webhooks(self):
        """The webhook controller records what arrived and enqueues a pull; the pull job runs."""
        if not self.inbox:
            return False
        handled = set()
        for _ in range(min(len(self.inbox), self.rng.randint(1, 3))):
            index = self.rng.randrange(len(self.inbox))
            if index:
                self.faults["webhook_reordered"] += 1
            conn = self.inbox.pop(index)
            self.world.conns[conn].pull_owed = True
            handled.add(conn)
        for conn in sorted(handled):
            if self.world.conns[conn].pull_owed:
                self._sync(conn, "pull")
        return True

    def op_safety_net_pull(self):
        for conn in self.world.conns:
            self._sync(conn, "pull")

    def op_fault(self):
        # every kind once first (a short soak must not miss one by chance), then at random
        unused = [k for k, weight in FAULTS.items() if weight and not self.faults[k]]
        kind = unused[0] if unused else self.rng.choices(list(FAULTS), weights=list(FAULTS.values()))[0]
        conn = self.world.conns[self.rng.choice(["A", "B"])]
        if kind == "429":
            self.kit.inject("rate_limit", retry_after=self.rng.choice([1, 2, 10, 30, 60]))
        elif kind == "5xx":
            self.kit.inject("server_error")
        elif kind == "timeout":
            self.kit.inject("slow", delay=TIMEOUT_DELAY)
        elif kind == "apply_then_fail":
            self.kit.inject("apply_then_fail")
        elif kind == "410":
            self.kit.expire_cursors(conn.account)
        self.faults[kind] += 1
        self._note("fault", kind, conn.name)

    def op_killed_push(self):
        self._killed(self.rng.choice(["A", "B"]), "push")

    def op_killed_pull(self):
        self._killed(self.rng.choice(["A", "B"]), "pull")

    def _killed(self, conn, kind):
        # the first kills of each kind hit the first provider call, so that a short soak surely has both
        first = not (self.faults["worker_killed_after"] and self.faults["worker_killed_before"])
        after = not self.faults["worker_killed_after"] if first else self.rng.random() < 0.6
        kill = KillSwitch(self.world.conns[conn].client, at=1 if first else self.rng.randint(1, 3),
                          after_applied=after)
        self._sync(conn, kind, kill=kill)
        if kill.fired:
            self.faults[f"worker_killed_{kill.fired}"] += 1

    def op_review(self):
        """A reviewer settles an open review in the wizard: per field a side, or restore / cancel after a deletion."""
        open_reviews = [(name, link) for name, conn in sorted(self.world.conns.items()) for link in conn.store.links()
                        if conn.store.conflict_of(link.key) is not None and link.job_key in self.world.jobs
                        and self.world.carrier(link.job_key) == name and not self.world.jobs[link.job_key].cancelled]
        if not open_reviews:
            return False
        name, link = self.rng.choice(open_reviews)
        store, key = self.world.conns[name].store, link.job_key
        if sync.deletion_under_review(link):
            if self.rng.random() < 0.7:
                sync.resolve_conflict(store, link, restore=True, message="Soak reviewer: restore the event.")
                self.ops["review_restore"] += 1
            else:
                sync.resolve_conflict(store, link, cancel_job=True, message="Soak reviewer: cancel the job.")
                self.ledger.forget_job(key)
                self.ops["review_cancel"] += 1
        elif link.held:
            job = self.world.jobs[key].synced()
            calendar = from_base(link.held)
            held = set(calendar) | ({"start", "end"} if {"start", "end"} & set(calendar) else set())
            values = {}
            for group in (("start", "end"), ("notes",)):
                if not held & set(group):
                    continue
                side = self.rng.choice(["job", "calendar"])
                for field in group:
                    values[field] = calendar.get(field, job[field]) if side == "calendar" else job[field]
                # the reviewer's choice is the newest word on the field; it goes out from the job
                self.ledger.record(key, group[0], "review", values[group[0]])
            sync.resolve_conflict(store, link, values, message="Soak reviewer: chosen per field.")
            self.ops["review_fields"] += 1
        else:
            return False
        store.close_conflict(link.key)
        self.world.db.commit()
        self._note("review", key, name)
        return True

    def op_revoke(self):
        conn = self.world.conns[self.rng.choice(["A", "B"])]
        if conn.needs_reauth:
            return False
        self.kit.revoke(conn.account)
        self._note("revoke", conn.name)
        self.faults["revoked_consent"] += 1
        return True

    # -- the whole run ----------------------------------------------------------------------------------
    def run(self) -> dict:
        started = time.monotonic()
        self.setup()
        setup_seconds = time.monotonic() - started
        for n in range(self.n_ops):
            slow = self.kit.pending_faults().count("slow")
            self.step()
            if n % SAFETY_NET_EVERY == SAFETY_NET_EVERY - 1:
                self.op_safety_net_pull()
            if self.kit.pending_faults().count("slow") < slow:
                time.sleep(TIMEOUT_DELAY)  # a timed-out request may still land: let it, before the next step
            if self.n_ops >= 2000 and (n + 1) % 1000 == 0:
                self.log(f"{self.kit.name}: {n + 1} of {self.n_ops} operations, "
                         f"{time.monotonic() - started:.0f} s", file=sys.stderr)
        fired = self._fired_emulator_faults()
        soak_seconds = time.monotonic() - started - setup_seconds
        quiet_started = time.monotonic()
        rounds = self.quiesce()
        quiesce_seconds = time.monotonic() - quiet_started
        result = check(self)
        result.update(provider=self.kit.name, seed=self.seed, jobs=self.n_jobs, ops=self.n_ops,
                      setup_seconds=setup_seconds, soak_seconds=soak_seconds, converge_seconds=quiesce_seconds,
                      converge_rounds=rounds, op_counts=dict(self.ops), fault_counts=fired,
                      outcomes=dict(self.world.outcomes), throttle_wait=self.world.throttle_wait)
        return result

    def _fired_emulator_faults(self) -> dict:
        """Faults the emulator actually served (injected minus still queued), and the rest as counted."""
        remaining = Counter(self.kit.pending_faults())
        names = {"429": "rate_limit", "5xx": "server_error", "timeout": "slow", "apply_then_fail": "apply_then_fail"}
        fired = dict(self.faults)
        for ours, theirs in names.items():
            if ours in fired:
                fired[ours] = self.faults[ours] - remaining.get(theirs, 0)
        outcomes = self.world.outcomes
        fired["quota_refused (emulator limits)"] = self.kit.quota_refusals
        fired["needs_reauth"] = outcomes.get("needs_reauth", 0)
        return fired

    def quiesce(self) -> int:
        """Faults off, every connection reconnected, then push and pull until nothing is owed (bounded)."""
        self.kit.clear_faults()
        self.inbox.clear()
        for conn in self.world.conns.values():
            conn.pull_owed = True
        for rounds in range(1, MAX_QUIESCE_ROUNDS + 1):
            before = (self.world.writes, len(self.world.db.data.journal))
            for conn in self.world.conns.values():
                if conn.needs_reauth:
                    self.world.reconnect(conn.name)
                for kind in ("push", "pull"):
                    for _attempt in range(5):  # a throttled job runs again after its Retry-After
                        if self.world.run(conn.name, kind):
                            break
                    self._observe()
            changed = (self.world.writes, len(self.world.db.data.journal)) != before
            owed = any(c.store.pending_links() or c.pull_owed or c.needs_reauth for c in self.world.conns.values())
            if not changed and not owed:
                return rounds
        return MAX_QUIESCE_ROUNDS + 1  # did not converge: the checks will say what is owed
