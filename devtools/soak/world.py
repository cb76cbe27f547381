"""The Odoo side of the soak in memory, and the job layer that runs pushes and pulls the way Odoo does.

One ``MemoryDatabase`` per provider with two connections (two accounts' calendars)
sharing it, as in the state machine. Job-side changes commit at once (a user's
save); a sync that fails or a worker that dies loses everything since the last
commit, exactly as the database rolls back. Owed work is durable: a link's
``pending_push`` and the connection's ``pull_owed`` flag (Odoo's ``pull_requested``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from calsync import sync
from calsync.errors import NeedsReauth, QuotaExhausted, RateLimited, SyncError, TransientError
from calsync.guard import MassDeletionGuard, MassDeletionHeld
from calsync.mapping import JobValues
from calsync.store import MemoryDatabase

# every job starts a few days ahead, spread over months, well inside Graph's delta window
ANCHOR = (datetime.now(timezone.utc) + timedelta(days=3)).replace(hour=8, minute=0, second=0, microsecond=0)


class WorkerKilled(Exception):
    """The worker running a sync job died (OOM, deploy, kill -9): nothing after the last commit survives."""


class KillSwitch:
    """Wraps a provider client: the ``at``-th call raises ``WorkerKilled``, before or after the provider acted."""

    CALLS = ("apply", "get", "list_changes", "create", "update", "delete")

    def __init__(self, inner, at: int, after_applied: bool):
        self._inner, self._at, self._after = inner, at, after_applied
        self.calls = 0
        self.fired = None  # "before" / "after" once it fired

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        if name not in self.CALLS:
            return value

        def call(*args, **kwargs):
            self.calls += 1
            if self.calls != self._at:
                return value(*args, **kwargs)
            if self._after:
                value(*args, **kwargs)
                self.fired = "after"
            else:
                self.fired = "before"
            raise WorkerKilled(f"worker killed at provider call {self._at} ({self.fired} it)")

        return call


@dataclass
class Connection:
    name: str
    account: str
    client: object
    store: object
    needs_reauth: bool = False
    pull_owed: bool = False


def edited_start(key, n: int) -> datetime:
    """The start an edit numbered ``n`` gives job ``key``: distinct for every edit of the job, on either side
    (a start derived from the current one could come back to an earlier edit's value and hide a lost edit)."""
    return ANCHOR + timedelta(days=key % 200, minutes=5 * n)


def job_values(key, notes="initial") -> JobValues:
    start = ANCHOR + timedelta(days=key % 200) - timedelta(hours=2)
    return JobValues(start=start, end=start + timedelta(hours=2), notes=f"{notes} {key}",
                     title=f"WO{key:05d} Site {key}", location=f"{key} Main St", crew=("Worker 1",))


class World:
    """The jobs, the two connections of one provider, and the job layer that runs their syncs."""

    def __init__(self, kit, tag: str):
        self.kit = kit
        self.db = MemoryDatabase()
        self.conns: dict[str, Connection] = {}
        for name in ("A", "B"):
            account = f"soak-{tag}-{name.lower()}@example.test"
            self.conns[name] = Connection(name, account, kit.connect(account), self.db.store(name))
        self.outcomes = Counter()  # what the job layer saw: throttled, transient, reauth, killed, held...
        self.throttle_wait = 0.0  # seconds of Retry-After honoured (by moving the emulator clock)
        self.writes = 0  # provider writes the pushes sent (their reports)

    # -- the Odoo side --------------------------------------------------------------------
    @property
    def jobs(self) -> dict:
        return self.db.data.jobs

    def carrier(self, key) -> str | None:
        return self.db.data.carried_by.get(key)

    def live_link(self, key, conn):
        return next((link for link in self.conns[conn].store.all_links() if link.job_key == key and link.live),
                    None)

    def mark_owed(self, key):
        """What the Odoo trigger does on a job change: owe a push, create (or revive) the link where needed."""
        conn = self.carrier(key)
        for c in self.conns.values():
            c.store.mark_owed(key)
        if key in self.jobs and conn and self.live_link(key, conn) is None:
            tomb = next((link for link in self.conns[conn].store.all_links() if link.job_key == key), None)
            if tomb is not None:
                tomb.state = "pending_push"
            else:
                self.conns[conn].store.new_link(key, uuid.uuid4().hex)
        self.db.commit()

    def add_job(self, key, conn):
        self.jobs[key] = job_values(key)
        self.db.data.carried_by[key] = conn
        self.mark_owed(key)

    def edit_job(self, key, **changes):
        self.jobs[key] = replace(self.jobs[key], **changes)
        self.mark_owed(key)

    # -- the job layer ------------------------------------------------------------------------
    def run(self, conn_name: str, kind: str, kill: KillSwitch | None = None, guard=None) -> bool:
        """One queue job (``push`` or ``pull``) for a connection; True when it finished.

        Like the Odoo jobs: a throttle waits Retry-After (here the emulator's clock moves on)
        and retries later; other failures roll the transaction back and the owed work waits;
        ``invalid_grant`` marks the connection for re-authorisation; a dead worker loses what
        it had not committed.
        """
        conn = self.conns[conn_name]
        if conn.needs_reauth:
            return False
        provider = kill if kill is not None else conn.client
        try:
            if kind == "push":
                self.writes += sync.push(provider, conn.store).writes
            else:
                sync.pull(provider, conn.store, guard=guard)
                conn.pull_owed = False
                self.db.commit()
            return True
        except MassDeletionHeld:
            # held for an admin, nothing applied; the admin looks at the calendar and confirms
            self.outcomes["mass_deletion_held"] += 1
            self.db.rollback()
            return self.run(conn_name, kind, guard=MassDeletionGuard(confirmed=True))
        except RateLimited as exc:
            self.outcomes["throttled"] += 1
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            self.throttle_wait += wait
            self.kit.advance(wait)  # RetryableJobError(seconds=retry_after): the job runs again after that
            self.db.rollback()
        except NeedsReauth:
            self.outcomes["needs_reauth"] += 1
            conn.needs_reauth = True
            self.db.rollback()
        except QuotaExhausted:
            self.outcomes["quota_exhausted"] += 1
            self.db.rollback()
        except TransientError:
            self.outcomes["transient"] += 1
            self.db.rollback()
        except SyncError as exc:
            self.outcomes[f"failed:{exc.kind}"] += 1
            self.db.rollback()
        except WorkerKilled:
            self.outcomes[f"worker_killed_{kill.fired}"] += 1
            self.db.rollback()
        if kind == "pull":
            conn.pull_owed = True  # still owed: the pull job retries
        return False

    def reconnect(self, conn_name: str) -> None:
        """The admin clicks Reconnect: a fresh OAuth consent, a new token, the queue resumes."""
        conn = self.conns[conn_name]
        conn.client = self.kit.connect(conn.account)
        conn.needs_reauth = False
        conn.pull_owed = True
        self.outcomes["reconnected"] += 1
