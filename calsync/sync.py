"""Push and pull for one connection: plan from both sides, then act, committing as it goes.

The Odoo addon calls these from queue_job jobs with its ORM ``LinkStore``;
tests call them with ``MemoryStore``. Rules:

- the base moves only after the provider confirmed a write, in the same commit;
- every update and delete carries the version it was planned against (If-Match),
  and a 412 is re-planned with the three-way rules instead of overwriting;
- echoes of our own writes (same version, or same content) write nothing;
- a calendar deletion never cancels a job by itself unless allowed; a pull that
  would delete an unusual share of the calendar's jobs applies nothing;
- the pull's new cursor is stored in the commit of the changes it covers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from . import pull_plan
from .errors import (
    InvalidEvent,
    MailboxOutOfScope,
    NeedsReauth,
    PreconditionFailed,
    QuotaExhausted,
    SyncError,
    TransientError,
)
from .events import OpKind, RemoteEvent
from .guard import MassDeletionGuard, MassDeletionHeld
from .history import FROM_CALENDAR, TO_CALENDAR, HistoryEntry, diff
from .mapping import PUSH_ONLY_FIELDS, SYNCED_FIELDS, complete, describe, event_values, from_base, to_base
from .notices import Notice
from .planner import PushPlan, agreed_values, plan_push
from .provider import CalendarProvider
from .pull_plan import PullPlan, plan_pull, read_changes
from .store import Conflict, LinkRecord, LinkStore

_logger = logging.getLogger(__name__)


# errors about the connection, not the item: the link stays owed and the job layer decides (a mailbox an
# organization's grant does not reach refuses every item alike: it is the technician's, not the job's)
CONNECTION_ERRORS = (TransientError, NeedsReauth, QuotaExhausted, MailboxOutOfScope)


@dataclass
class PushReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    settled: int = 0
    replanned: int = 0
    conflicts: int = 0
    errors: int = 0
    writes: int = 0

    def __str__(self):
        return (f"created {self.created}, updated {self.updated}, deleted {self.deleted}, "
                f"unchanged {self.settled}, re-planned {self.replanned}, conflicts {self.conflicts}, "
                f"errors {self.errors}")


@dataclass
class PullReport:
    seen: int = 0
    applied: int = 0
    echoes: int = 0
    conflicts: int = 0
    deletions: int = 0
    invalid: int = 0
    ignored: int = 0
    full: bool = False
    jobs_touched: list = field(default_factory=list)

    def __str__(self):
        kind = "full" if self.full else "incremental"
        return (f"{kind} pull: {self.seen} events, {self.applied} applied to jobs, {self.echoes} echoes, "
                f"{self.conflicts} conflicts, {self.deletions} deletions, {self.invalid} unreadable")


# -- push ------------------------------------------------------------------------------
def push(provider: CalendarProvider, store: LinkStore, *, invite_attendees: bool = False,
         batch_size: int | None = None, allow_calendar_cancel: bool = False) -> PushReport:
    """Send every owed change; commits per batch; re-raises a transient error after committing the rest.

    A write refused because the event changed meanwhile (412/409) is re-planned by the pull's rules,
    ``allow_calendar_cancel`` included."""
    report = PushReport()
    size = max(1, batch_size or provider.max_batch)
    for _round in range(2):  # a second round for links re-planned after a 412
        pending = store.pending_links()
        if not pending:
            break
        for start in range(0, len(pending), size):
            _push_batch(provider, store, pending[start:start + size], invite_attendees, report,
                        allow_calendar_cancel)
    return report


def _push_batch(provider, store, links, invite, report, allow_cancel=False):
    planned: list[tuple[LinkRecord, PushPlan]] = []
    direction = store.direction()
    for link in links:
        job = store.job_values(link)
        plan = plan_push(link, job, invite, direction)
        if plan.keep:
            continue
        if plan.error:
            _item_failed(store, link, plan.error, "update" if link.event_id else "create", report)
            continue
        if plan.op is None:
            link.state = plan.settle
            link.last_error = None
            store.save_link(link)
            report.settled += 1
        else:
            planned.append((link, plan))
    transient = None
    if planned:
        # write-ahead: what we are about to send is committed first (see LinkRecord.sent)
        for link, plan in planned:
            if plan.op.kind != OpKind.DELETE:
                link.sent = _with_sent(link.sent, to_base(plan.values))
                store.save_link(link)
        store.commit()
        results = provider.apply([plan.op for _link, plan in planned])
        report.writes += len(planned)
        for (link, plan), result in zip(planned, results, strict=True):
            if result.ok:
                _confirmed(store, link, plan, result.event, report)
            elif isinstance(result.error, PreconditionFailed):
                report.replanned += 1
                _replan_after_precondition(provider, store, link, report, allow_cancel)
            elif isinstance(result.error, CONNECTION_ERRORS):
                transient = transient or result.error  # stays pending; the job layer decides
            else:
                _item_failed(store, link, Notice.of("calendar_refused", error=str(result.error)), plan.op.kind.value,
                             report)
    store.commit()
    if transient is not None:
        raise transient


def item_error_message(label: str, problem) -> Notice:
    """The message an ``error`` link carries: which job, what is wrong (a notice), what to do."""
    return Notice.of("item_failed", label=label, problem=problem)


def _item_failed(store, link, problem: Notice, action: str, report) -> None:
    """One job or event that cannot be synced: its own link goes to ``error``; nothing else stops."""
    message = item_error_message(store.job_label(link), problem)
    link.state = "error"
    link.last_error = str(message)
    link.error_notice = message
    store.save_link(link)
    if report is not None:
        report.errors += 1
    store.note_history(HistoryEntry(link.key, link.job_key, TO_CALENDAR if action != "pull" else FROM_CALENDAR,
                                    action if action != "pull" else "apply", "error", version=link.version,
                                    detail=message))


def _confirmed(store, link, plan, event: RemoteEvent | None, report):
    link.sent = None  # confirmed: what was sent is now the base (or the event is gone)
    before = from_base(link.base) if link.base else None
    store.note_history(HistoryEntry(
        link.key, link.job_key, TO_CALENDAR, plan.op.kind.value, "done",
        version=event.version if event is not None else None,
        changes=diff(before, plan.values, (*SYNCED_FIELDS, *PUSH_ONLY_FIELDS)) if plan.values else ()))
    if plan.op.kind == OpKind.DELETE:
        link.state, link.version, link.base = "tombstone", None, None
        report.deleted += 1
    else:
        if plan.op.kind == OpKind.CREATE:
            report.created += 1
        else:
            report.updated += 1
        link.event_id = event.id
        link.version = event.version
        link.series_id = event.series_id or link.series_id
        link.base = to_base(plan.values)
        if _job_moved_since(store, link, plan):
            link.state = "pending_push"
        else:
            link.state = "conflict" if link.held else "in_sync"
        if plan.op.kind == OpKind.CREATE and not _event_holds(event, plan.values):
            # the create found the event a crashed earlier attempt made, with older content:
            # the base is what the calendar really holds, and the job still owes an update
            link.base = to_base(_event_agreed(event))
            link.state = "pending_push"
    link.last_error = None
    store.save_link(link)


def _job_fields(job) -> dict:
    return {name: getattr(job, name) for name in (*SYNCED_FIELDS, *PUSH_ONLY_FIELDS)}


def _event_agreed(event) -> dict:
    values = event_values(event)
    return {k: values[k] for k in (*SYNCED_FIELDS, *PUSH_ONLY_FIELDS)}


def _event_holds(event, values) -> bool:
    try:
        return _event_agreed(event) == {k: values[k] for k in (*SYNCED_FIELDS, *PUSH_ONLY_FIELDS)}
    except InvalidEvent:
        return False


def _job_moved_since(store, link, plan) -> bool:
    job = store.job_values(link)
    if job is None or not job.schedulable:
        return True
    held = link.held or {}
    now = agreed_values(job)
    return any(now[f] != plan.values[f] for f in now if f not in held)


def _replan_after_precondition(provider, store, link, report, allow_cancel):
    """Someone changed the event since we planned: fetch it and plan it as the pull would, then act."""
    try:
        remote = provider.get(link.event_id)
    except InvalidEvent as exc:
        _item_failed(store, link, Notice.of("event_unreadable", error=str(exc)), "pull", report)
        return
    action = pull_plan.plan_after_precondition(store, link, remote, allow_calendar_cancel=allow_cancel)
    outcome = PullReport()
    _execute_one(store, link, action, outcome)
    report.conflicts += outcome.conflicts
    report.errors += outcome.invalid


# -- pull ------------------------------------------------------------------------------
def pull(provider: CalendarProvider, store: LinkStore, *, allow_calendar_cancel: bool = False,
         guard: MassDeletionGuard | None = None, full: bool = False) -> PullReport:
    """Read the calendar's changes since the cursor, plan them, execute the plan; one commit with the new cursor."""
    changes, events = read_changes(provider, store, full)
    plan = plan_pull(store, changes, events, allow_calendar_cancel=allow_calendar_cancel, guard=guard)
    return execute_pull(store, plan)


def execute_pull(store: LinkStore, plan: PullPlan) -> PullReport:
    """Do what ``plan`` says; a held plan (mass deletion) applies nothing."""
    report = PullReport(full=plan.changes.full)
    for item in plan.changes.invalid:
        store.note_invalid(item.event_id, item.reason)
        report.invalid += 1
    if plan.held is not None:
        raise MassDeletionHeld(*plan.held)
    for action in plan.actions:
        if action.kind == pull_plan.IGNORE:
            report.ignored += 1
            continue
        if action.kind == pull_plan.BIND_STRAY:
            _bind_stray(store, action.remote)
            continue
        link = _match(store, action.remote)
        report.seen += 1
        _execute_one(store, link, action, report)
    store.set_cursor(plan.changes.cursor)
    store.commit()
    return report


def _execute_one(store, link, action, report):
    remote, kind = action.remote, action.kind
    if kind == pull_plan.ECHO:
        report.echoes += 1
        if remote.series_id and link.series_id != remote.series_id:
            link.series_id = remote.series_id  # links kept before the series was recorded learn it here
            store.save_link(link)
    elif kind == pull_plan.RETIRE:
        link.state, link.version, link.base = "tombstone", None, None
        store.save_link(link)
    elif kind in (pull_plan.CANCEL, pull_plan.REVIEW):
        report.deletions += 1
        job = store.job_values(link)
        if _remote_deleted(store, link, job, remote, kind == pull_plan.CANCEL, report) == "conflict":
            report.conflicts += 1
    elif kind == pull_plan.OWE_DELETE:
        # the job went away; the push deletes the event (with the version we now know). Nothing is agreed
        # any more: if a job comes back to this link first, the push writes the job's values
        link.version, link.base, link.held = remote.version, None, None
        link.state = "pending_push"
        store.save_link(link)
    elif kind == pull_plan.INVALID:
        link.version = remote.version
        _item_failed(store, link, action.reason, "pull", None)
        report.invalid += 1
    elif kind == pull_plan.MERGE:
        outcome = _apply_merge(store, link, store.job_values(link), remote, action.merge)
        if outcome == "conflict":
            report.conflicts += 1
        elif outcome == "applied":
            report.applied += 1
            report.jobs_touched.append(link.job_key)
        elif outcome == "echo":
            report.echoes += 1


deletion_under_review = pull_plan.deletion_under_review
find_link = pull_plan.find_link


def _bind_stray(store, remote: RemoteEvent) -> None:
    """A live event carrying the identity of a tombstone that never learnt its event id.

    The create landed but its answer was lost, and the job went away (deleted, cancelled,
    carried elsewhere) before any pull bound the event: the push could only settle the link
    as a tombstone, and the event stayed on the calendar for good (found by the convergence
    soak). Bind it and owe its deletion. Only when the job is not carried here any more:
    the tombstone never brings a job back.
    """
    link = store.link_by_identity(remote.identity)
    link.event_id, link.version, link.base, link.held, link.sent = remote.id, remote.version, None, None, None
    link.state = "pending_push"
    store.save_link(link)


def _match(store, remote: RemoteEvent) -> LinkRecord | None:
    link = find_link(store, remote)
    if link is not None and link.event_id is None:
        link.event_id = remote.id  # created before a crash lost our commit: bind it now
    return link


# unconfirmed sends kept per link: one per push whose answer was lost since the last settled sync
MAX_UNCONFIRMED_SENDS = 5


def _sent_list(sent) -> list[dict]:
    """``LinkRecord.sent`` as a list (a single dict is what links written before the list held)."""
    if not sent:
        return []
    return list(sent) if isinstance(sent, list) else [sent]


def _with_sent(sent, values: dict) -> list[dict]:
    """Add what a push is about to send, keeping the earlier unconfirmed sends.

    An earlier push may have landed without its answer; replacing its record by the next
    push's made our own landed value look like a person's edit at the next 412 (a false
    conflict, found by the convergence soak). Each stays ours until a sync settles it.
    """
    earlier = [item for item in _sent_list(sent) if item != values]
    return [*earlier, values][-MAX_UNCONFIRMED_SENDS:]


def _apply_merge(store, link, job, remote, plan) -> str:
    """Carry out the merge ``plan_one`` planned for this change (``plan``, never one with an error: that is
    an INVALID action), on the link itself."""
    values = event_values(remote)
    # a field the calendar did not send is unchanged there (absent is not empty)
    values = complete(values, from_base(link.base)) or values
    pull_plan.adopt_landed_write(link, values)
    link.version = remote.version
    link.series_id = remote.series_id or link.series_id
    _note_notes_merge(store, link, job, remote, plan)
    if plan.pushonly_edits:
        store.note_pushonly_edit(link, list(plan.pushonly_edits), Notice.of("job_owned_restored", changes=tuple(
            (name, describe(name, values.get(name))) for name in plan.pushonly_edits)))
        store.note_history(HistoryEntry(link.key, link.job_key, FROM_CALENDAR, "restore", "done",
                                        version=remote.version,
                                        changes=diff(values, _job_fields(job), sorted(plan.pushonly_edits))))
    if plan.apply:
        lines = tuple((name, describe(name, job.synced()[name]), describe(name, value))
                      for name, value in sorted(plan.apply.items()))
        store.note_history(HistoryEntry(link.key, link.job_key, FROM_CALENDAR, "apply", "done",
                                        version=remote.version, changes=diff(job.synced(), plan.apply,
                                                                             sorted(plan.apply))))
        store.apply_to_job(link, plan.apply, Notice.of("job_changed", changes=lines))
    if plan.new_base is not None:
        link.base = to_base(plan.new_base)
    if plan.conflicts:
        # conflicting fields are held with the calendar's value; the others still flow both ways
        link.held = to_base({name: theirs for name, (_b, _mine, theirs) in plan.conflicts.items()})
        link.state = "pending_push" if plan.needs_push else "conflict"
        store.open_conflict(link, Conflict(fields=plan.conflicts, remote_version=remote.version,
                                           merges={f: m for f, m in plan.merges.items() if f in plan.conflicts}))
        store.save_link(link)
        store.note_history(HistoryEntry(
            link.key, link.job_key, FROM_CALENDAR, "conflict", "review", version=remote.version,
            changes=tuple((name, describe(name, mine), describe(name, theirs))
                          for name, (_base, mine, theirs) in sorted(plan.conflicts.items()))))
        return "conflict"
    link.held = None
    link.state = "pending_push" if plan.needs_push else "in_sync"
    link.last_error = None
    store.save_link(link)
    if plan.apply:
        return "applied"
    return "echo" if not plan.needs_push else "owed"


def _note_notes_merge(store, link, job, remote, plan) -> None:
    """A clean line merge of the notes on the timeline: what each side added, and the merged text."""
    result = plan.merges.get("notes")
    if result is None or "notes" in plan.conflicts:
        return
    merged = plan.apply.get("notes", job.synced()["notes"])
    detail = "\n".join(f"{who} added: {line}" for who, lines in (("job", result.job_added),
                                                                  ("calendar", result.calendar_added))
                       for line in lines)
    store.note_history(HistoryEntry(link.key, link.job_key, FROM_CALENDAR, "merge", "done", version=remote.version,
                                    changes=(("notes", describe("notes", job.synced()["notes"]),
                                              describe("notes", merged)),), detail=detail))


def _remote_deleted(store, link, job, remote, allow_cancel, report) -> str:
    base_synced = {f: v for f, v in (link.base or {}).items() if f in SYNCED_FIELDS}
    job_unchanged = link.base is not None and to_base(job.synced()) == base_synced
    if allow_cancel and job_unchanged:
        store.apply_to_job(link, {"cancelled": True}, Notice.of("cancelled_by_calendar"))
        link.state, link.version, link.base = "tombstone", None, None
        store.save_link(link)
        store.note_history(HistoryEntry(link.key, link.job_key, FROM_CALENDAR, "deletion", "cancelled",
                                        version=remote.version if remote is not None else None))
        return "cancelled"
    link.state = "conflict"
    # nothing is agreed with an event that is gone: if the job later pushes, it restores the event
    link.version, link.base, link.held = None, None, None
    store.save_link(link)
    store.open_conflict(link, Conflict(fields={}, deletion=True,
                                       remote_version=remote.version if remote is not None else None))
    store.note_history(HistoryEntry(link.key, link.job_key, FROM_CALENDAR, "deletion", "review",
                                    version=remote.version if remote is not None else None))
    return "conflict"


# -- conflict resolution ----------------------------------------------------------------
def resolve_conflict(store: LinkStore, link: LinkRecord, values: dict | None = None, *,
                     restore: bool = False, cancel_job: bool = False, message: str = "") -> dict:
    """Settle a link's conflict: the chosen ``values`` go to the job and (by the next push) the calendar.

    For a deletion: ``restore`` recreates the event from the job, ``cancel_job`` cancels the job.
    Returns what was written to the job (with ``message`` as its note); empty when the job already held
    the choice, so the caller knows whether a note still has to say what was settled.
    """
    job = store.job_values(link)
    if cancel_job:
        store.apply_to_job(link, {"cancelled": True}, message or Notice.of("cancelled_after_deletion"))
        link.state, link.base = "tombstone", None
        store.save_link(link)
        return {"cancelled": True}
    if restore:
        link.event_id, link.version = (link.event_id if link.event_id == link.identity else None), None
        link.base = None
        link.state = "pending_push"
        store.save_link(link)
        return {}
    calendar_side = from_base(link.held) or {}
    link.held = None
    values = values or {}
    current = job.synced() if job else {}
    changes = {k: v for k, v in values.items() if current.get(k) != v}
    if changes:
        store.apply_to_job(link, changes, message or Notice.of("conflict_resolved"))
    # the base is what the calendar holds now: where the choice differs from it, the push sends the choice
    base = dict(link.base or {})
    base.update(to_base({k: calendar_side.get(k, v) for k, v in values.items()}))
    link.base = base
    link.state = "pending_push"
    store.save_link(link)
    return changes


def settle_if_sides_agree(store: LinkStore, link: LinkRecord, message: str = "") -> bool:
    """A conflict whose job now holds the calendar's values has nothing left to review: settle it.

    True when it settled (the calendar's values kept, nothing written to the job); False when the
    link holds no field conflict, its job is gone, or the two sides still differ.
    """
    job = store.job_values(link) if link.held else None
    if job is None:
        return False
    now = to_base(job.synced())  # compared in the JSON form ``held`` is kept in
    if any(now.get(name) != value for name, value in link.held.items()):
        return False
    resolve_conflict(store, link, from_base(link.held), message=message)
    return True


__all__ = ["PullReport", "PushReport", "SyncError", "pull", "push", "resolve_conflict", "settle_if_sides_agree"]
