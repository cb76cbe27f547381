"""Job <-> event mapping: which fields sync which way, in what form, and how they are compared.

Two-way: start, end and the notes (the job's HTML description, compared as
normalised plain text so that HTML wrapping is never taken for an edit).
Job -> calendar only: the title (job reference and location name), the
location address and the crew (attendees only when the connection invites
them, otherwise a "FieldOps crew:" line at the end of the description). Cancellation
follows the deletion rules of ``planner``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from datetime import datetime

from .errors import InvalidEvent
from .events import EventData, RemoteEvent
from .timeutil import UTC, parse_rfc3339, to_rfc3339

SYNCED_FIELDS = ("start", "end", "notes")
PUSH_ONLY_FIELDS = ("title", "location")
# our crew paragraph, last in the description; named so that a person's own "Crew: ..." note is not taken for it
CREW_PREFIX = "FieldOps crew: "

# a tag starts with a letter after '<' (or '</', '<!'): "5 < 6 and 7 > 6" and "<ann@x.test>" are text
_TAG = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?|!--.*?--|![A-Za-z][^<>]*)>", re.DOTALL)
_BLOCK_END = re.compile(r"</(p|div|li|h[1-6]|tr)\s*>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True)
class JobValues:
    """A job as the calendar sees it. Times are aware (UTC) or None while the job is unscheduled."""

    start: datetime | None
    end: datetime | None
    notes: str = ""
    title: str = ""
    location: str = ""
    crew: tuple[str, ...] = ()
    cancelled: bool = False
    time_zone: str = "UTC"

    @property
    def schedulable(self) -> bool:
        """Only a scheduled, not cancelled job has an event."""
        return self.start is not None and self.end is not None and not self.cancelled

    def synced(self) -> dict:
        return {"start": _utc(self.start), "end": _utc(self.end), "notes": normalise_notes(self.notes)}

    def pushed(self) -> dict:
        return {"title": self.title, "location": self.location}


def _utc(value):
    return value.astimezone(UTC) if value is not None else None


def normalise_notes(text: str | None) -> str:
    """Plain text for comparison: HTML to text, entities decoded, blank runs folded, trimmed."""
    text = text or ""
    if "<" in text and ">" in text:
        text = _BLOCK_END.sub("\n", text)
        text = _TAG.sub("", text)
    text = html.unescape(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out, blank = [], False
    for line in lines:
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
        out.append(line)
        blank = False
    return "\n".join(out)


def notes_to_html(text: str) -> str:
    """Plain notes back into the job's HTML field, one paragraph per block.

    Blocks are separated by an empty paragraph, as Odoo's editor writes a blank
    line, so that ``normalise_notes`` reads the HTML back as the same text.
    """
    blocks = [b for b in normalise_notes(text).split("\n\n") if b]
    return "<p><br></p>".join(f"<p>{html.escape(b).replace(chr(10), '<br>')}</p>" for b in blocks)


def job_to_event(job: JobValues, invite_attendees: bool = False) -> EventData:
    """The event we write for ``job`` (which must be schedulable)."""
    if not job.schedulable:
        raise ValueError("an unscheduled or cancelled job has no event")
    description = normalise_notes(job.notes)
    attendees: tuple[str, ...] = ()
    if job.crew:
        if invite_attendees:
            attendees = tuple(c for c in job.crew if "@" in c)
        else:
            crew_line = CREW_PREFIX + ", ".join(job.crew)
            description = f"{description}\n\n{crew_line}" if description else crew_line
    return EventData(title=job.title, start=_utc(job.start), end=_utc(job.end), description=description,
                     location=job.location, attendees=attendees, time_zone=job.time_zone)


def _strip_crew(description: str) -> str:
    """The notes of an event's description: our crew line (first of the last block) taken out.

    Lines a person typed right under our crew line (a technician adding a note at the end of the
    event) are notes: they are kept, after the notes before the crew line.
    """
    text = normalise_notes(description)
    head, sep, last = text.rpartition("\n\n")
    if last.startswith(CREW_PREFIX):
        _crew, _nl, typed_after = last.partition("\n")
        return "\n".join(part for part in (head if sep else "", typed_after) if part)
    return text


# value name <- the EventData field it is read from
_SOURCES = {"start": "start", "end": "end", "notes": "description", "title": "title", "location": "location"}


def event_values(remote: RemoteEvent) -> dict:
    """The synced and push-only fields of a live event, checked; ``InvalidEvent`` names the problem.

    A field the provider did not send (``RemoteEvent.unknown``) is left out of the result:
    absent is not empty, and the planner reads a missing value as "unchanged on the calendar".
    """
    data = remote.data
    if remote.deleted or data is None:
        raise InvalidEvent("the event has no content", event_id=remote.id)
    if data.start is None or data.end is None:
        raise InvalidEvent("the event has no start or end", event_id=remote.id)
    if data.end < data.start:
        raise InvalidEvent("the event ends before it starts", event_id=remote.id)
    values = {
        "start": _utc(data.start),
        "end": _utc(data.end),
        "notes": _strip_crew(data.description),
        "title": data.title or "",
        "location": data.location or "",
    }
    return {name: value for name, value in values.items() if remote.knows(_SOURCES[name])}


def complete(values: dict, base: dict | None) -> dict | None:
    """``values`` with each field the calendar did not send taken from ``base`` (unchanged there).

    None when a field is missing and there is no base to take it from: nothing can be said.
    """
    missing = [name for name in _SOURCES if name not in values]
    if not missing:
        return values
    if base is None:
        return None
    return {**{name: base.get(name) for name in missing}, **values}


def to_base(values: dict) -> dict:
    """JSON-able form of field values (times as RFC 3339 UTC)."""
    return {k: (to_rfc3339(v) if isinstance(v, datetime) else v) for k, v in values.items()}


def from_base(base: dict | None) -> dict | None:
    if base is None:
        return None
    return {k: (parse_rfc3339(v) if k in ("start", "end") and v else v) for k, v in base.items()}


def fingerprint(values: dict) -> str:
    """A stable hash of field values, for echo detection by content."""
    payload = json.dumps(to_base(values) if any(isinstance(v, datetime) for v in values.values()) else values,
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def describe(field: str, value) -> str:
    """A field value as people read it in chatter and the conflict review."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)
