"""What the engine tells a person, as a code and its values, so the product can word it in the user's language.

The engine never writes sentences for users: a ``Notice`` names what happened and carries the values
the sentence needs. The Odoo addon words each code with ``_()`` (``tools/engine_words.py``); ``str()``
gives the English, for logs, the engine's tests and stores without translations.
"""

from __future__ import annotations

from dataclasses import dataclass

# the English of each code; the addon keeps one translatable sentence per code with the same placeholders
ENGLISH = {
    "item_failed": "{label} was not synced: {problem}. Correct the job (or its event) and it syncs again; the "
                   "other jobs are not held up.",
    "end_not_after_start": "its end is not after its start",
    "calendar_refused": "the calendar refused it ({error})",
    "event_unreadable": "its calendar event cannot be read ({error})",
    "event_unusable": "its calendar event cannot be used ({error})",
    "change_not_applied": "the calendar's change was not applied: with it, {problem}",
    "job_changed": "The calendar changed this job: {changes}",
    "job_owned_restored": "The calendar changed {changes}, which the job owns; the job's value is restored on the "
                          "calendar.",
    "cancelled_by_calendar": "The calendar deleted this job's event: the job is cancelled.",
    "cancelled_after_deletion": "Cancelled after the calendar deleted the event.",
    "conflict_resolved": "Conflict resolved.",
    "mass_deletion_held": "The calendar reported {deletions} of its {total} jobs' events deleted at once. Nothing "
                          "was applied: check the calendar, then confirm or discard the held changes.",
}


@dataclass(frozen=True)
class Notice:
    """``code`` (a key of ``ENGLISH``) and its values: text, numbers, nested notices, or for ``changes``
    a tuple of (field, before, after) (field and after for ``job_owned_restored``), as ``describe`` gives them."""

    code: str
    values: tuple = ()

    @classmethod
    def of(cls, code: str, **values) -> Notice:
        return cls(code, tuple(sorted(values.items())))

    def get(self, name, default=None):
        return dict(self.values).get(name, default)

    def __str__(self) -> str:
        values = {name: _english(name, value) for name, value in self.values}
        return ENGLISH[self.code].format(**values)


def _english(name, value):
    if isinstance(value, Notice):
        return str(value)
    if name == "changes":
        return "; ".join(f"{item[0]}: {item[1]} → {item[2]}" if len(item) == 3 else f"{item[0]} to {item[1]}"
                         for item in value)
    if name == "label":
        return f"{value[:1].upper()}{value[1:]}"
    return value


__all__ = ["ENGLISH", "Notice"]
