"""Plans, per link, what a push or a pull must do, from both sides and the base; no I/O.

A push plan is one write (create / update / delete, each update and delete
carrying the version it was planned against) or none. A merge plan applies the
three-way rules of ``merge`` to one remote event and says what to apply to the
job, whether the job still owes a push, what conflicts, and the new base.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import merge
from .events import OpKind, WriteOp
from .mapping import PUSH_ONLY_FIELDS, SYNCED_FIELDS, JobValues, complete, from_base, job_to_event, normalise_notes
from .notes_merge import NotesMerge, merge_notes
from .notices import Notice
from .store import LinkRecord

# a connection's direction: "push_only" never writes a job, "pull_only" never writes a calendar
TWO_WAY, PUSH_ONLY, PULL_ONLY = "two_way", "push_only", "pull_only"


@dataclass(frozen=True)
class PushPlan:
    """``op`` to send, or none; ``settle`` is the link state when there is nothing to send.

    ``error`` says why this one job cannot be sent (the link goes to ``error``, the others go on);
    ``keep`` means the link is left as it is (a pull-only connection never writes its calendar).
    """

    op: WriteOp | None = None
    values: dict | None = None  # the job values the base becomes once the provider confirms
    settle: str | None = None
    error: str | None = None
    keep: bool = False


def agreed_values(job: JobValues) -> dict:
    return {**job.synced(), **job.pushed()}


def owners_under(direction: str, owners: dict | None) -> dict:
    """Field owners with the connection's direction applied: push-only means the job owns every synced field."""
    if direction == PUSH_ONLY:
        return {name: "job" for name in SYNCED_FIELDS}
    return dict(owners or {})


def times_problem(start, end) -> Notice | None:
    """Why a job's (or a merged) schedule cannot be an event, or None: the end must be after the start."""
    if start is not None and end is not None and end <= start:
        return Notice.of("end_not_after_start")
    return None


def plan_push(link: LinkRecord, job: JobValues | None, invite_attendees: bool = False,
              direction: str = TWO_WAY) -> PushPlan:
    """What to send for a link whose job changed (or went away)."""
    if direction == PULL_ONLY:
        return PushPlan(keep=True)  # the job's edits stay in Odoo, owed and not sent
    if job is not None and job.schedulable and times_problem(job.start, job.end):
        return PushPlan(error=times_problem(job.start, job.end))
    if job is None or not job.schedulable:
        if link.event_id:
            return PushPlan(WriteOp(OpKind.DELETE, identity=link.identity, event_id=link.event_id,
                                    if_match=link.version))
        return PushPlan(settle="tombstone")
    values = agreed_values(job)
    base = from_base(link.base)
    held = from_base(link.held) or {}
    if held and base is not None:
        # fields in an open conflict: the event keeps the calendar's value, the base keeps the old one
        job = replace(job, **held)
        values.update({f: base.get(f) for f in held})
    data = job_to_event(job, invite_attendees)
    if not link.event_id:
        return PushPlan(WriteOp(OpKind.CREATE, identity=link.identity, data=data), values=values)
    if base is not None and link.sent is None and all(
            base.get(f) == values[f] for f in (*SYNCED_FIELDS, *PUSH_ONLY_FIELDS)):
        # edited and edited back (or only conflicting fields changed): nothing to send, unless an earlier
        # push may have reached the calendar without our commit (``sent``): then the calendar may differ
        return PushPlan(settle="conflict" if held else "in_sync")
    return PushPlan(WriteOp(OpKind.UPDATE, identity=link.identity, event_id=link.event_id, data=data,
                            if_match=link.version), values=values)


@dataclass(frozen=True)
class MergePlan:
    apply: dict = field(default_factory=dict)
    needs_push: bool = False
    conflicts: dict = field(default_factory=dict)
    new_base: dict | None = None
    pushonly_edits: tuple = ()
    error: str | None = None  # the merge would give the job an impossible schedule: nothing is applied
    # field -> notes_merge.NotesMerge: the line merge behind a merged field (clean) or a conflict (not clean)
    merges: dict = field(default_factory=dict)


def plan_merge(link: LinkRecord, job: JobValues, remote: dict, owners: dict | None = None,
               direction: str = TWO_WAY) -> MergePlan:
    """Three-way merge of a live event's values ``remote`` with the job and the link's base.

    ``owners`` maps a synced field to who owns it on this connection: "job" (a calendar edit
    of it is undone, like an edit of a job-only field), "calendar" (the job's value never
    goes out; the addon refuses job edits of it) or "both" (the default: three-way rules).

    A field missing from ``remote`` is one the calendar did not send (a delta stub): it counts
    as unchanged there, never as empty. Without a base nothing is known of it: the job is sent.

    Notes both sides edited are merged line by line (``notes_merge``) on a two-way connection
    where both own them; the merged text goes to the job and, by the next push, the calendar.
    """
    local = agreed_values(job)
    base = from_base(link.base)
    owners = owners_under(direction, owners)
    remote = complete(remote, base)
    if remote is None:
        return MergePlan(needs_push=True)
    if base is None:
        # never agreed (a link made before its first sync): the job is the source
        return MergePlan(needs_push=any(local[f] != remote[f] for f in SYNCED_FIELDS),
                         new_base={**remote, **{f: remote[f] for f in PUSH_ONLY_FIELDS}}
                         if all(local[f] == remote[f] for f in SYNCED_FIELDS) else None)
    job_owned = [f for f in SYNCED_FIELDS if owners.get(f) == "job"]
    calendar_owned = [f for f in SYNCED_FIELDS if owners.get(f) == "calendar"]
    theirs = {f: base.get(f) if f in job_owned else remote[f] for f in SYNCED_FIELDS}
    mine = {f: base.get(f) if f in calendar_owned else local[f] for f in SYNCED_FIELDS}
    outcome = merge.three_way({f: base.get(f) for f in SYNCED_FIELDS}, mine, theirs)
    held = from_base(link.held) or {}
    outcome = _keep_held_in_review(outcome, held, base, mine, theirs)
    merges = {}
    if direction == "two_way" and owners.get("notes", "both") == "both":
        outcome, merges = _merge_notes(outcome, held)
    new_base = dict(base)
    new_base.update(outcome.agreed)
    # calendar edits of fields only the job sets: undone by the next push. The base takes the calendar's
    # value, so that the push sees the difference and sends the job's value back
    pushonly = tuple(f for f in (*PUSH_ONLY_FIELDS, *job_owned) if remote[f] != base.get(f, remote[f]))
    for name in pushonly:
        new_base[name] = remote[name]
    if direction == PULL_ONLY:
        # nothing goes back to a pull-only calendar: its edits of job-only fields are just noted, and
        # the job's own edits stay owed, unsent (a later calendar edit of the same field is a conflict)
        pushonly = ()
        needs_push = bool(outcome.to_remote)
    else:
        needs_push = bool(outcome.to_remote) or bool(pushonly) or any(
            local[f] != base.get(f) for f in PUSH_ONLY_FIELDS)
    merged = {**local, **outcome.to_local}
    problem = times_problem(merged["start"], merged["end"])
    if problem:
        return MergePlan(error=problem)
    return MergePlan(apply=outcome.to_local, needs_push=needs_push, conflicts=outcome.conflicts,
                     new_base=new_base, pushonly_edits=pushonly, merges=merges)


def _merge_notes(outcome: merge.MergeOutcome, held: dict) -> tuple[merge.MergeOutcome, dict[str, NotesMerge]]:
    """Notes in conflict: merge the two sides' lines; a clean merge settles the field, a clash stays in review.

    A field already held for a person stays with the person, merged or not (see ``_keep_held_in_review``).
    The base becomes the calendar's text: the calendar holds it until the push of the merge is confirmed.
    """
    if "notes" not in outcome.conflicts:
        return outcome, {}
    base, mine, theirs = outcome.conflicts["notes"]
    result = merge_notes(base or "", mine or "", theirs or "")
    if not result.clean or "notes" in held:
        return outcome, {"notes": result}
    merged = normalise_notes(result.text)
    return merge.MergeOutcome(
        to_local={**outcome.to_local, **({"notes": merged} if merged != mine else {})},
        to_remote={**outcome.to_remote, **({"notes": merged} if merged != theirs else {})},
        agreed={**outcome.agreed, "notes": theirs},
        conflicts={k: v for k, v in outcome.conflicts.items() if k != "notes"},
    ), {"notes": result}


def _keep_held_in_review(outcome, held, base, local, remote):
    """A field in an open conflict stays in review, with the newest values, until a person settles it.

    Without this, either side editing the field back to the last agreed value would read
    as "this side did not change" and the other side would silently win, losing that
    edit (both found by the state machine). Only both sides agreeing settles a held
    field without a person.
    """
    reopened = {f for f in held if f in remote and remote[f] != local[f] and f not in outcome.conflicts}
    if not reopened:
        return outcome
    return merge.MergeOutcome(
        to_local={f: v for f, v in outcome.to_local.items() if f not in reopened},
        to_remote={f: v for f, v in outcome.to_remote.items() if f not in reopened},
        agreed={f: v for f, v in outcome.agreed.items() if f not in reopened},
        conflicts={**outcome.conflicts, **{f: (base.get(f), local[f], remote[f]) for f in reopened}},
    )
