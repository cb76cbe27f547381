"""Which occurrence of a series each job belongs to: the rules the recurring-orders bridge applies.

A series we created holds one occurrence per start of its rule; each job of the
recurring order is bound to the occurrence that starts where the job does (its
original start, so an occurrence a person moved still binds). After the rule
changes, a job whose occurrence is gone needs an event of its own again, and an
occurrence that still holds what was agreed only took a new version from the
series edit: the link takes that version, so its next write is not refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .events import RemoteEvent
from .mapping import event_values, to_base


def bind_by_start(starts: dict, instances: Iterable[RemoteEvent], taken: set) -> dict:
    """``{job key: occurrence}`` for the jobs (``{key: aware start}``) an untaken occurrence starts with."""
    free = {i.original_start: i for i in instances if not i.deleted and i.original_start and i.id not in taken}
    bound = {}
    for key, start in sorted(starts.items(), key=lambda item: item[1]):
        occurrence = free.pop(start, None)
        if occurrence is not None:
            bound[key] = occurrence
    return bound


@dataclass(frozen=True)
class BoundLink:
    event_id: str
    version: str | None
    base: dict | None


def after_rule_change(bound: dict, instances: Iterable[RemoteEvent]) -> tuple[dict, set]:
    """For links bound to the series (``{key: BoundLink}``): ``({key: new version}, {keys that lost theirs})``."""
    present = {i.id: i for i in instances if not i.deleted}
    refreshed, lost = {}, set()
    for key, link in bound.items():
        occurrence = present.get(link.event_id)
        if occurrence is None:
            lost.add(key)
        elif occurrence.version != link.version and to_base(event_values(occurrence)) == link.base:
            refreshed[key] = occurrence.version
    return refreshed, lost


def occurrence_base(occurrence: RemoteEvent) -> dict:
    """The agreed values of a job newly bound to an occurrence: what the occurrence holds (the series' content)."""
    return to_base(event_values(occurrence))


__all__ = ["BoundLink", "after_rule_change", "bind_by_start", "occurrence_base"]
