"""What each sync did to each job: the entries behind the per-job sync timeline.

The engine reports every push and pull that touched a link (what changed, in
which direction, against which provider version, with what outcome); the store
keeps them (the Odoo addon as timeline rows on the job). Values are kept as the
text people read (``mapping.describe``), never as tokens or raw payloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .mapping import describe

TO_CALENDAR = "to_calendar"
FROM_CALENDAR = "from_calendar"


@dataclass(frozen=True)
class HistoryEntry:
    """One sync step on one link.

    ``action``: create / update / delete (the calendar event), apply (a calendar edit written to the job),
    restore (a calendar edit of a field the job owns, sent back), merge (both sides' notes lines kept),
    conflict, deletion.
    ``outcome``: done / review / cancelled / error.
    ``changes``: (field, before, after) as text.
    """

    link_key: object
    job_key: object
    direction: str
    action: str
    outcome: str
    version: str | None = None
    changes: tuple = field(default=())
    detail: str = ""


def diff(before: dict | None, after: dict, names) -> tuple:
    """The fields among ``names`` whose value differs, as (field, before, after) text."""
    before = before or {}
    return tuple((name, describe(name, before.get(name)), describe(name, after.get(name)))
                 for name in names if name in after and before.get(name) != after.get(name))
