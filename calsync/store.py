"""What the engine needs from persistence, and an in-memory implementation.

The Odoo addon implements ``LinkStore`` on the ORM (``commit()`` is a real
commit); ``MemoryDatabase`` / ``MemoryStore`` implement it in memory with
commit and rollback, so tests can crash the Odoo side at any point, and the
dry-run preview can plan against a copy.
"""

from __future__ import annotations

import abc
import copy
import itertools
from dataclasses import dataclass, field

from .mapping import JobValues
from .owed import owes_push

LIVE_STATES = ("in_sync", "pending_push", "conflict", "error")


@dataclass
class LinkRecord:
    """One job on one calendar. ``base`` is the JSON form (``mapping.to_base``) of the last agreed values."""

    key: object
    identity: str
    job_key: object | None
    event_id: str | None = None
    version: str | None = None
    base: dict | None = None
    state: str = "pending_push"
    last_error: str | None = None
    # fields in an open conflict, with the calendar's value (JSON form): pushes send these untouched
    held: dict | None = None
    # what pushes not yet confirmed sent (JSON forms, oldest first), committed before each provider call:
    # if the worker dies after the provider acted, the next sync recognises the calendar's value as ours,
    # not as a person's edit (links stored before this was a list hold one dict)
    sent: list | dict | None = None
    # the calendar series the event is an occurrence of, as last seen: Graph reports a deleted occurrence
    # only by its absence from the series, so the pull must know which links belong to which series
    series_id: str | None = None
    # what ``last_error`` says, as a ``notices.Notice`` the product words in the user's language (not stored:
    # a link read back has only its text)
    error_notice: object | None = field(default=None, compare=False, repr=False)

    @property
    def live(self) -> bool:
        return self.state != "tombstone"


@dataclass(frozen=True)
class Conflict:
    """Both sides changed: per field (base, job, calendar) values, or a deletion in the calendar."""

    fields: dict
    deletion: bool = False
    remote_version: str | None = None
    merges: dict = field(default_factory=dict)  # field -> notes_merge.NotesMerge, the clashing lines marked


class LinkStore(abc.ABC):
    """One connection's side of the sync: its links, their jobs, its cursor."""

    @abc.abstractmethod
    def links(self) -> list[LinkRecord]:
        """Every live (non-tombstone) link of the connection."""

    def field_owners(self) -> dict:
        """Who owns each synced field on this connection ("job", "calendar" or "both"); both by default."""
        return {}

    def direction(self) -> str:
        """The connection's direction: "two_way" (the default), "push_only" or "pull_only".

        Only a two-way connection merges notes edited on both sides."""
        return "two_way"

    def job_label(self, link: LinkRecord) -> str:
        """How a person recognises the link's job in an error message (the addon: its reference)."""
        return f"job {link.job_key}"

    def count_links(self) -> int:
        """How many live links the connection has; stores override this with a cheap count."""
        return len(self.links())

    def series_links(self, series_id: str) -> list[LinkRecord]:
        """The live links bound to occurrences of the series ``series_id``.

        Those whose event was last seen as one of its occurrences (``LinkRecord.series_id``), and those
        a store binds itself (the recurring-orders bridge: its orders' series)."""
        return []

    @abc.abstractmethod
    def link_by_identity(self, identity: str) -> LinkRecord | None:
        """The link (live or tombstone) with this identity."""

    @abc.abstractmethod
    def link_by_event_id(self, event_id: str) -> LinkRecord | None:
        """The link (live first, else a tombstone) bound to this remote event."""

    @abc.abstractmethod
    def pending_links(self) -> list[LinkRecord]:
        """Links whose job changed since the last push."""

    @abc.abstractmethod
    def job_values(self, link: LinkRecord) -> JobValues | None:
        """The job as it is now, or None when it is deleted or this calendar no longer carries it."""

    @abc.abstractmethod
    def save_link(self, link: LinkRecord) -> LinkRecord:
        """Persist the link (not committed until ``commit``)."""

    @abc.abstractmethod
    def apply_to_job(self, link: LinkRecord, changes: dict, message: str) -> None:
        """Write calendar changes (synced fields, or ``cancelled``) to the job, with a chatter note."""

    @abc.abstractmethod
    def open_conflict(self, link: LinkRecord, conflict: Conflict) -> None:
        """Open (or refresh with newer values) the link's conflict for review."""

    @abc.abstractmethod
    def note_pushonly_edit(self, link: LinkRecord, fields: list[str], message: str) -> None:
        """A calendar edit of a job-to-calendar-only field: say so on the job (the next push restores it)."""

    @abc.abstractmethod
    def note_invalid(self, event_id: str | None, reason: str) -> None:
        """An event could not be read; the rest of the pull went on."""

    def note_history(self, entry) -> None:
        """Keep one ``calsync.history.HistoryEntry`` (the per-job sync timeline); stores may ignore it."""
        return None

    @abc.abstractmethod
    def get_cursor(self) -> str | None: ...

    @abc.abstractmethod
    def set_cursor(self, cursor: str | None) -> None: ...

    @abc.abstractmethod
    def commit(self) -> None:
        """Make everything written so far durable (Odoo: ``cr.commit()``)."""


@dataclass
class _Tables:
    jobs: dict = field(default_factory=dict)  # job key -> JobValues
    carried_by: dict = field(default_factory=dict)  # job key -> connection name
    links: dict = field(default_factory=dict)  # link key -> LinkRecord
    conflicts: dict = field(default_factory=dict)  # link key -> Conflict
    cursors: dict = field(default_factory=dict)  # connection name -> cursor
    journal: list = field(default_factory=list)  # chatter-like messages
    history: list = field(default_factory=list)  # calsync.history.HistoryEntry, in order
    series: dict = field(default_factory=dict)  # (connection, series id) -> link keys bound to its occurrences


def _snapshot(tables: _Tables) -> _Tables:
    """A copy that later writes cannot reach, without deep-copying every value.

    Links are mutable and copied one by one; everything else a table holds is immutable
    (``JobValues``, ``Conflict``, journal tuples, ``HistoryEntry``) or replaced whole, never changed in place
    (a link's ``base``, ``held`` and ``sent`` dicts). A deep copy per commit made the
    convergence soak's 500-job runs spend most of their time copying.
    """
    return _Tables(jobs=dict(tables.jobs), carried_by=dict(tables.carried_by),
                   links={key: copy.copy(link) for key, link in tables.links.items()},
                   conflicts=dict(tables.conflicts), cursors=dict(tables.cursors), journal=list(tables.journal),
                   history=list(tables.history), series={k: set(v) for k, v in tables.series.items()})


class MemoryDatabase:
    """The Odoo side in memory: jobs, links of several connections, conflicts; commit and rollback."""

    def __init__(self):
        self.data = _Tables()
        self._committed = _snapshot(self.data)
        self._keys = itertools.count(1)
        self.commits = 0

    def commit(self):
        self._committed = _snapshot(self.data)
        self.commits += 1

    def rollback(self):
        """A crash: everything since the last commit is lost."""
        self.data = _snapshot(self._committed)

    def new_key(self):
        return next(self._keys)

    def store(self, connection: str) -> MemoryStore:
        return MemoryStore(self, connection)


class MemoryStore(LinkStore):
    def __init__(self, db: MemoryDatabase, connection: str, direction: str = "two_way"):
        self.db = db
        self.connection = connection
        self.sync_direction = direction

    def direction(self):
        return self.sync_direction

    @property
    def _t(self) -> _Tables:
        return self.db.data

    def _mine(self):
        return [link for link in self._t.links.values() if link.key[0] == self.connection]

    def links(self):
        return [link for link in self._mine() if link.live]

    def all_links(self):
        return self._mine()

    def link_by_identity(self, identity):
        return next((link for link in self._mine() if link.identity == identity), None)

    def series_links(self, series_id):
        members = self._t.series.get((self.connection, series_id), set())
        return [link for link in self._mine() if link.live and (link.key in members or link.series_id == series_id)]

    def bind_to_series(self, link_key, series_id) -> None:
        """Record that a link's event is an occurrence of ``series_id`` (the bridge keeps this in Odoo)."""
        self._t.series.setdefault((self.connection, series_id), set()).add(link_key)

    def link_by_event_id(self, event_id):
        matches = [link for link in self._mine() if link.event_id == event_id]
        matches.sort(key=lambda link: not link.live)
        return matches[0] if matches else None

    def pending_links(self):
        return [link for link in self._mine() if link.state == "pending_push"]

    def job_values(self, link):
        if link.job_key not in self._t.jobs or self._t.carried_by.get(link.job_key) != self.connection:
            return None
        return self._t.jobs[link.job_key]

    def save_link(self, link):
        self._t.links[link.key] = copy.deepcopy(link)
        return link

    def apply_to_job(self, link, changes, message):
        from dataclasses import replace

        job = self._t.jobs.get(link.job_key)
        if job is None:
            return
        self._t.jobs[link.job_key] = replace(job, **changes)
        self._t.journal.append((link.job_key, str(message)))

    def open_conflict(self, link, conflict):
        self._t.conflicts[link.key] = conflict

    def conflict_of(self, link_key):
        return self._t.conflicts.get(link_key)

    def close_conflict(self, link_key):
        self._t.conflicts.pop(link_key, None)

    def note_pushonly_edit(self, link, fields, message):
        self._t.journal.append((link.job_key, str(message)))

    def note_invalid(self, event_id, reason):
        self._t.journal.append((None, f"invalid event {event_id}: {reason}"))

    def note_history(self, entry):
        self._t.history.append(entry)

    def history_of(self, job_key) -> list:
        return [entry for entry in self._t.history if entry.job_key == job_key]

    def get_cursor(self):
        return self._t.cursors.get(self.connection)

    def set_cursor(self, cursor):
        self._t.cursors[self.connection] = cursor

    def commit(self):
        self.db.commit()

    # -- what the Odoo side does outside the engine (UI, triggers) -------------
    def new_link(self, job_key, identity) -> LinkRecord:
        link = LinkRecord(key=(self.connection, self.db.new_key()), identity=identity, job_key=job_key)
        self._t.links[link.key] = link
        return link

    def mark_owed(self, job_key):
        for link in self._mine():
            if link.job_key == job_key and link.state != "pending_push" and owes_push(
                    link.state, link.held, self.job_values(link) is not None):
                link.state = "pending_push"
