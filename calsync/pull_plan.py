"""The pull's plan: per calendar change, one small frozen action, decided before anything is written.

``sync.pull`` executes this plan and ``preview`` describes it, so the preview says what the pull
does by construction: calendar deletions that cancel jobs (the connection's setting), links the
pull retires, the full resync's check for events gone missing, and the mass-deletion hold.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .errors import InvalidEvent, SyncTokenExpired
from .events import ChangeSet, RemoteEvent
from .guard import MassDeletionGuard
from .mapping import SYNCED_FIELDS, complete, event_values, from_base, to_base
from .notices import Notice
from .planner import PUSH_ONLY, MergePlan, plan_merge
from .store import LinkRecord, LinkStore

# what the pull does with one change
ECHO = "echo"  # our own write coming back: nothing
RETIRE = "retire"  # the event and the job are both gone: the link becomes a tombstone
CANCEL = "cancel"  # a calendar deletion cancels the unchanged job (the connection allows it)
REVIEW = "review"  # a calendar deletion waits for a person
OWE_DELETE = "owe_delete"  # the job is gone and the event still there: the next push deletes it
BIND_STRAY = "bind_stray"  # our event of a tombstone: bound, the next push deletes it
INVALID = "invalid"  # the event cannot be used for this job: its link goes to error
MERGE = "merge"  # the three-way rules (``merge`` holds their plan)
IGNORE = "ignore"  # not ours


@dataclass(frozen=True)
class PullAction:
    kind: str
    remote: RemoteEvent
    link_key: object = None
    job_key: object = None
    merge: MergePlan | None = None
    reason: str = ""


@dataclass(frozen=True)
class PullPlan:
    changes: ChangeSet
    actions: tuple = ()
    held: tuple | None = None  # (deletions, live links) when the mass-deletion guard holds the whole pull


def read_changes(provider, store: LinkStore, full: bool = False):
    """The calendar's changes since the cursor (all of it when ``full`` or the cursor expired), reading only."""
    cursor = None if full else store.get_cursor()
    try:
        changes = provider.list_changes(cursor)
    except SyncTokenExpired:
        changes = provider.list_changes(None)
    events = list(changes.events)
    if changes.full:
        events += vanished(provider, store, {e.id for e in events})
    else:
        events += series_gaps(provider, store, changes.series, {e.id for e in events})
    return changes, events


def series_gaps(provider, store, listings, listed_ids):
    """Occurrences of ours that a series listed in full no longer has: deleted, though nothing said so.

    Graph reports a deleted occurrence only by its absence from the series it returns (see
    ``ChangeSet.series``). Only occurrences whose agreed start lies in the listing's window count,
    and each is fetched by id before being called deleted, as ``vanished`` does.
    """
    gone = []
    for listing in listings:
        for link in store.series_links(listing.series_id):
            if not link.live or not link.event_id or link.event_id in listing.occurrence_ids:
                continue
            if link.event_id in listed_ids:
                continue
            start = (from_base(link.base) or {}).get("start")
            if start is None or not listing.start <= start < listing.end:
                continue
            remote = provider.get(link.event_id)
            if remote is None or remote.deleted:
                gone.append(gone_event(link))
    return gone


def gone_event(link) -> RemoteEvent:
    """The link's event as deleted: what a listing or a read by id says of an event that is no longer there."""
    return RemoteEvent(id=link.event_id, version="", deleted=True, identity=link.identity)


def vanished(provider, store, listed_ids):
    """Links whose event a full listing did not show: fetched by id before being called deleted."""
    gone = []
    for link in store.links():
        if link.event_id and link.event_id not in listed_ids:
            remote = provider.get(link.event_id)
            gone.append(remote if remote is not None else gone_event(link))
    return gone


def find_link(store, remote: RemoteEvent) -> LinkRecord | None:
    """The live link an event belongs to, changing nothing."""
    link = store.link_by_identity(remote.identity) if remote.identity else None
    if link is None:
        link = store.link_by_event_id(remote.id)
    if link is None or not link.live:
        return None  # not ours, or a tombstone: a stale copy never recreates a job
    if link.event_id is not None and link.event_id != remote.id:
        return None
    return link


def deletion_under_review(link) -> bool:
    return link.state == "conflict" and link.base is None and not link.held


def is_stray_of_tombstone(store, remote: RemoteEvent) -> bool:
    """A live event carrying the identity of a tombstone that never learnt its event id (see ``sync``)."""
    if remote.deleted or not remote.identity:
        return False
    link = store.link_by_identity(remote.identity)
    if link is None or link.live or link.event_id is not None:
        return False
    job = store.job_values(link)
    return job is None or not job.schedulable


def adopt_landed_write(link, values) -> None:
    """If the event holds exactly what one of our unconfirmed pushes sent, that is our write, the new base."""
    for candidate in reversed(_sent_list(link.sent)):
        sent = from_base(candidate)
        if all(values.get(name) == value for name, value in sent.items()):
            link.base = candidate
            break
    link.sent = None


def _sent_list(sent) -> list[dict]:
    if not sent:
        return []
    return list(sent) if isinstance(sent, list) else [sent]


def plan_one(store, link, remote, allow_cancel: bool) -> PullAction:
    """The action for one matched change (pure: the link is not changed)."""
    def act(kind, **kw):
        return PullAction(kind, remote, link.key, link.job_key, **kw)

    if remote.version and remote.version == link.version:
        return act(ECHO)
    job = store.job_values(link)
    if remote.deleted:
        if job is None or not job.schedulable:
            return act(RETIRE)
        base_synced = {f: v for f, v in (link.base or {}).items() if f in SYNCED_FIELDS}
        unchanged = link.base is not None and to_base(job.synced()) == base_synced
        return act(CANCEL if allow_cancel and unchanged else REVIEW)
    if job is None or not job.schedulable:
        return act(OWE_DELETE)
    try:
        values = event_values(remote)
    except InvalidEvent as exc:
        return act(INVALID, reason=Notice.of("event_unusable", error=str(exc)))
    work = copy.copy(link)
    values = complete(values, from_base(work.base)) or values
    adopt_landed_write(work, values)
    merge = plan_merge(work, job, values, store.field_owners(), store.direction())
    if merge.error:
        return act(INVALID, merge=merge, reason=Notice.of("change_not_applied", problem=merge.error))
    return act(MERGE, merge=merge)


def cancel_allowed(store: LinkStore, allow_calendar_cancel: bool) -> bool:
    """Whether a calendar deletion may cancel a job: where the connection allows it, never on push-only."""
    return allow_calendar_cancel and store.direction() != PUSH_ONLY  # push-only never writes a job


def plan_after_precondition(store: LinkStore, link: LinkRecord, remote: RemoteEvent | None, *,
                            allow_calendar_cancel: bool = False) -> PullAction:
    """A push refused with 412/409: the event ``remote`` (None: gone) as the pull would plan it.

    The re-plan is the pull's own rule for one change, so direction, field ownership and whether a
    calendar deletion cancels the job apply to it exactly as they do to a pull.
    """
    return plan_one(store, link, remote if remote is not None else gone_event(link),
                    cancel_allowed(store, allow_calendar_cancel))


def plan_pull(store: LinkStore, changes: ChangeSet, events, *, allow_calendar_cancel: bool = False,
              guard: MassDeletionGuard | None = None) -> PullPlan:
    """What the pull does with ``events`` under the connection's rules; nothing is written."""
    guard = guard or MassDeletionGuard()
    allow_cancel = cancel_allowed(store, allow_calendar_cancel)
    actions, deletions = [], 0
    for remote in events:
        link = find_link(store, remote)
        if link is None:
            kind = BIND_STRAY if is_stray_of_tombstone(store, remote) else IGNORE
            actions.append(PullAction(kind, remote))
            continue
        action = plan_one(store, link, remote, allow_cancel)
        actions.append(action)
        if action.kind in (RETIRE, CANCEL, REVIEW) and not deletion_under_review(link):
            deletions += 1
    held = None
    if deletions:  # counting every link is not free: only when something would be deleted
        total = store.count_links()
        if guard.trips(deletions, total):
            held = (deletions, total)
    return PullPlan(changes, tuple(actions), held)


__all__ = ["PullAction", "PullPlan", "cancel_allowed", "deletion_under_review", "find_link",
           "plan_after_precondition", "plan_pull", "read_changes", "series_gaps"]
