"""Provider-neutral value objects.

Provider JSON is parsed once, at the edge, into these immutable objects; the
engine never touches raw provider dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum


@dataclass(frozen=True)
class EventData:
    """The content of one calendar event as we write it and as we read it back.

    ``start`` and ``end`` are timezone-aware datetimes; ``time_zone`` is the IANA
    zone the event is presented in on the calendar (times are instants either way).
    ``description`` is plain text (HTML is normalised before it gets here).
    """

    title: str
    start: datetime
    end: datetime
    description: str = ""
    location: str = ""
    attendees: tuple[str, ...] = ()
    time_zone: str = "UTC"
    all_day: bool = False

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("EventData times must be timezone-aware")


@dataclass(frozen=True)
class RemoteEvent:
    """One event as a provider reported it.

    ``version`` is the provider's concurrency token (Google ``etag``, Graph
    ``changeKey``). ``identity`` is the link identity we stamped on the event when
    we created it (Google private extended property / client event id, Graph
    ``transactionId``); ``None`` means the event is not ours and is left alone.
    ``data`` is ``None`` for a deleted (cancelled) event.

    ``unknown`` names the ``EventData`` fields the provider did not send (absent is not
    empty): a Graph delta occurrence stub carries no subject, body or location, an answer
    trimmed by ``$select`` only what was selected. ``data`` holds a placeholder there
    ("" for text); ``mapping.event_values`` leaves such fields out, and the planner reads a
    field left out as "the calendar did not change it", so a stub never empties a job.
    """

    id: str
    version: str
    deleted: bool = False
    data: EventData | None = None
    identity: str | None = None
    ical_uid: str | None = None
    series_id: str | None = None
    original_start: datetime | None = None
    unknown: frozenset[str] = frozenset()

    def knows(self, name: str) -> bool:
        """Whether the provider sent ``EventData`` field ``name`` (False: unknown, not empty)."""
        return name not in self.unknown


@dataclass(frozen=True)
class InvalidItem:
    """An event of a change list that could not be parsed; the rest of the list goes on."""

    event_id: str | None
    reason: str


@dataclass(frozen=True)
class ChangeSet:
    """The result of one ``list_changes`` call, all pages followed.

    ``full`` is true when the listing was a full (cursor-less) listing, so an
    event of ours that is absent from it no longer exists. ``cursor`` is the new
    Google ``nextSyncToken`` / Graph ``@odata.deltaLink`` to store with the
    changes it covers, in the same commit.
    """

    events: tuple[RemoteEvent, ...]
    cursor: str
    full: bool = False
    invalid: tuple[InvalidItem, ...] = ()
    # series a change list named, each with every occurrence it still has in the listing's window: an
    # occurrence of ours missing there was deleted, though the provider did not say so (Graph)
    series: tuple[SeriesListing, ...] = ()


@dataclass(frozen=True)
class SeriesListing:
    """A series' occurrences in ``[start, end)`` as the provider lists them now (``series_instances``)."""

    series_id: str
    occurrence_ids: frozenset[str]
    start: datetime
    end: datetime


class OpKind(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class WriteOp:
    """One write to send to a provider, alone or in a batch.

    ``identity`` is the link identity (required for creates; it makes the create
    idempotent). ``if_match`` is the version the write was planned against.
    """

    kind: OpKind
    identity: str
    data: EventData | None = None
    event_id: str | None = None
    if_match: str | None = None


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one ``WriteOp``: the event as the provider now has it, or an error."""

    op: WriteOp
    event: RemoteEvent | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Channel:
    """A push channel: a Google watch channel or a Graph subscription.

    ``token`` is the verification secret we chose (Google channel token, Graph
    ``clientState``); ``resource_id`` is Google's ``resourceId`` or Graph's resource path.
    """

    id: str
    resource_id: str
    expires_at: datetime
    token: str = field(repr=False, default="")


DEFAULT_CHANNEL_TTL = timedelta(days=7)
