"""Dry run: what the next push and pull of a connection would do, job by job, changing nothing anywhere.

It plans with the same functions the real push and pull use (``plan_push``,
``plan_merge``, the link matching of ``sync``), reads the calendar's changes
since the stored cursor without storing the new one, and never saves a link,
writes a job or calls a provider's write methods. So its prediction is the
real sync's plan, not a second opinion.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidEvent, SyncTokenExpired
from .mapping import event_values, from_base
from .planner import plan_merge, plan_push
from .provider import CalendarProvider
from .store import LinkStore
from .sync import deletion_under_review, find_link


@dataclass(frozen=True)
class PreviewRow:
    """One thing the next sync would do: ``side`` is push or pull; ``action`` what happens to whom."""

    job_key: object
    link_key: object
    side: str  # "push" (job -> calendar) or "pull" (calendar -> job)
    action: str  # push: create / update / delete; pull: apply / conflict / review (a deletion) / restore
    fields: tuple = ()


def preview(provider: CalendarProvider, store: LinkStore, full: bool = False) -> list[PreviewRow]:
    """``full``: as a full resync would read the calendar (the whole listing, matched back to links)."""
    try:
        changes = provider.list_changes(None if full else store.get_cursor())
    except SyncTokenExpired:
        changes = provider.list_changes(None)
    rows, changed_remotely = [], set()
    for remote in changes.events:
        link = find_link(store, remote)
        if link is None or (remote.version and remote.version == link.version):
            continue
        changed_remotely.add(link.key)
        rows += _pull_rows(store, link, remote)
    for link in store.pending_links():
        if link.key in changed_remotely:
            continue  # the push meets a newer event (412), plans again as a merge: the pull rows say what
        plan = plan_push(link, store.job_values(link))
        if plan.op is not None:
            base = from_base(link.base) or {}
            changed = tuple(sorted(k for k, v in (plan.values or {}).items() if base.get(k) != v))
            rows.append(PreviewRow(link.job_key, link.key, "push", plan.op.kind.value, changed))
    return rows


def _pull_rows(store, link, remote):
    if remote.deleted:
        return [] if deletion_under_review(link) else [PreviewRow(link.job_key, link.key, "pull", "review",
                                                                  ("deleted",))]
    job = store.job_values(link)
    if job is None or not job.schedulable:
        return []  # the push deletes the event
    try:
        plan = plan_merge(link, job, event_values(remote), store.field_owners(), store.direction())
    except InvalidEvent:
        return []
    rows = []
    if plan.conflicts:
        rows.append(PreviewRow(link.job_key, link.key, "pull", "conflict", tuple(sorted(plan.conflicts))))
    if plan.apply:
        rows.append(PreviewRow(link.job_key, link.key, "pull", "apply", tuple(sorted(plan.apply))))
    if plan.pushonly_edits:
        rows.append(PreviewRow(link.job_key, link.key, "pull", "restore", tuple(sorted(plan.pushonly_edits))))
    if plan.needs_push:  # the job's own changes (or restored fields) still go out, after the merge
        rows.append(PreviewRow(link.job_key, link.key, "push", "update"))
    return rows


def counts(rows: list[PreviewRow]) -> dict:
    out = {}
    for row in rows:
        out[(row.side, row.action)] = out.get((row.side, row.action), 0) + 1
    return out


__all__ = ["PreviewRow", "counts", "preview"]
