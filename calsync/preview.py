"""Dry run: what the next push and pull of a connection would do, job by job, changing nothing anywhere.

It describes the plan the real pull executes (``pull_plan.plan_pull``: deletions that
cancel jobs, links retired, the full resync's check for missing events, the
mass-deletion hold) and the push's ``plan_push``, reading the calendar's changes since
the stored cursor without storing the new one; it never saves a link, writes a job or
calls a provider's write methods. So its prediction is the real sync's plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from .guard import MassDeletionGuard
from .mapping import from_base
from .planner import plan_push
from .provider import CalendarProvider
from .pull_plan import (
    CANCEL,
    INVALID,
    MERGE,
    OWE_DELETE,
    REVIEW,
    find_link,
    plan_pull,
    read_changes,
)
from .store import LinkStore


@dataclass(frozen=True)
class PreviewRow:
    """One thing the next sync would do: ``side`` is push or pull; ``action`` what happens to whom."""

    job_key: object
    link_key: object
    side: str  # "push" (job -> calendar) or "pull" (calendar -> job)
    # push: create / update / delete / error; pull: apply / conflict / review (a deletion) / cancel (a
    # deletion cancelling the job) / restore / error / hold (the mass-deletion guard holds the whole pull)
    action: str
    fields: tuple = ()


def preview(provider: CalendarProvider, store: LinkStore, full: bool = False, *,
            allow_calendar_cancel: bool = False, guard: MassDeletionGuard | None = None) -> list[PreviewRow]:
    """The rows of the plan the next pull and push would execute (``full``: as a full resync reads the calendar).

    The pull's plan is ``pull_plan.plan_pull``, the one ``sync.pull`` executes, under the same rules.
    """
    changes, events = read_changes(provider, store, full)
    plan = plan_pull(store, changes, events, allow_calendar_cancel=allow_calendar_cancel, guard=guard)
    rows, changed_remotely = [], set()
    if plan.held is not None:
        rows.append(PreviewRow(None, None, "pull", "hold", ("deleted",)))
    for action in plan.actions:
        if action.link_key is None:
            continue
        if action.kind != "echo":
            changed_remotely.add(action.link_key)
        if plan.held is None:
            rows += _pull_rows(action)
    direction = store.direction()
    for link in store.pending_links():
        if link.key in changed_remotely and plan.held is None:
            continue  # the pull's rows say what happens; the push after it sends what they owe
        push = plan_push(link, store.job_values(link), direction=direction)
        if push.error:
            rows.append(PreviewRow(link.job_key, link.key, "push", "error"))
        elif push.op is not None:
            base = from_base(link.base) or {}
            changed = tuple(sorted(k for k, v in (push.values or {}).items() if base.get(k) != v))
            rows.append(PreviewRow(link.job_key, link.key, "push", push.op.kind.value, changed))
    return rows


def _pull_rows(action):
    def row(side, kind, fields=()):
        return PreviewRow(action.job_key, action.link_key, side, kind, tuple(sorted(fields)))

    if action.kind == REVIEW:
        return [row("pull", "review", ("deleted",))]
    if action.kind == CANCEL:
        return [row("pull", "cancel", ("deleted",))]
    if action.kind == OWE_DELETE:
        return [row("push", "delete")]
    if action.kind == INVALID:
        return [row("pull", "error")]
    if action.kind != MERGE:
        return []  # echoes, and links the pull retires (the event and the job are both gone)
    plan, rows = action.merge, []
    if plan.conflicts:
        rows.append(row("pull", "conflict", plan.conflicts))
    if plan.apply:
        rows.append(row("pull", "apply", plan.apply))
    if plan.pushonly_edits:
        rows.append(row("pull", "restore", plan.pushonly_edits))
    if plan.needs_push:  # the job's own changes (or restored fields) still go out, after the merge
        rows.append(row("push", "update"))
    return rows


def counts(rows: list[PreviewRow]) -> dict:
    out = {}
    for row in rows:
        out[(row.side, row.action)] = out.get((row.side, row.action), 0) + 1
    return out


__all__ = ["PreviewRow", "counts", "find_link", "preview"]
