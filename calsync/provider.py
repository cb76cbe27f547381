"""The interface every calendar provider client implements.

Google and Microsoft implement the same small set of operations; one contract
suite (``tests/provider_contract.py``) runs against each of them and against
the in-memory reference provider. A third provider would only need to pass it.
"""

from __future__ import annotations

import abc
from datetime import datetime, timedelta

from .errors import SyncError
from .events import ChangeSet, Channel, EventData, OpKind, RemoteEvent, WriteOp, WriteResult
from .recurrence import Recurrence


class CalendarProvider(abc.ABC):
    """One calendar of one account, reached with one set of credentials."""

    #: ``google`` / ``microsoft`` / ``memory``
    name = "abstract"
    #: how many writes one batch request may carry
    max_batch = 1
    #: whether ``renew`` extends a channel in place (Graph) or needs a new one (Google)
    renews_in_place = False
    #: whether the provider implements the series methods below (one recurring event for many jobs)
    supports_series = False

    @abc.abstractmethod
    def list_changes(self, cursor: str | None = None) -> ChangeSet:
        """Everything that changed since ``cursor`` (all pages), or everything when ``cursor`` is None.

        Raises ``SyncTokenExpired`` when the provider no longer knows the cursor;
        the caller then lists again with ``cursor=None`` and re-matches links.
        Deleted events come back with ``deleted=True``. Unparseable events go to
        ``ChangeSet.invalid`` instead of failing the whole listing.
        """

    @abc.abstractmethod
    def get(self, event_id: str) -> RemoteEvent | None:
        """The event as it is now; a deleted event is returned deleted; ``None`` if unknown."""

    @abc.abstractmethod
    def create(self, identity: str, data: EventData) -> RemoteEvent:
        """Create the event for link ``identity``; idempotent.

        Calling it again with the same identity (after a crash, a timeout, a
        duplicated job) returns the existing event instead of making a second
        one; an event of that identity that was deleted is restored.
        """

    @abc.abstractmethod
    def update(self, event_id: str, data: EventData, if_match: str | None) -> RemoteEvent:
        """Replace our fields on the event; raises ``PreconditionFailed`` if ``if_match`` is stale."""

    @abc.abstractmethod
    def delete(self, event_id: str, if_match: str | None = None) -> None:
        """Delete (Google: cancel) the event; an event already gone counts as done.

        Raises ``PreconditionFailed`` if ``if_match`` is given and stale.
        """

    # -- recurring series: optional; jobs link to the occurrences, the series itself has no link ------------
    def create_series(self, identity: str, data: EventData, recurrence: Recurrence) -> RemoteEvent:
        """Create a recurring event whose first occurrence is ``data``; idempotent like ``create``.

        Returns the series master. Raises ``NotImplementedError`` where ``supports_series`` is false.
        """
        raise NotImplementedError

    def update_series(self, series_id: str, data: EventData, recurrence: Recurrence,
                      if_match: str | None = None) -> RemoteEvent:
        """Replace the series' rule (a stopped rule ends it; past occurrences stay).

        ``data`` gives the first start and the zone the rule is read in; the content is left as the
        calendar has it, since each occurrence's job owns what its occurrence shows.
        """
        raise NotImplementedError

    def series_instances(self, series_id: str, start: datetime, end: datetime) -> list[RemoteEvent]:
        """The series' occurrences starting in [start, end), exceptions included, each with
        ``original_start`` (the start the rule gave it, by which jobs are bound to occurrences)."""
        raise NotImplementedError

    def apply(self, ops: list[WriteOp]) -> list[WriteResult]:
        """Send several writes, batched where the provider can; one result per op, in order.

        The default sends them one by one. A failing item never fails the others.
        """
        results = []
        for op in ops:
            try:
                results.append(WriteResult(op, event=self._apply_one(op)))
            except SyncError as exc:
                results.append(WriteResult(op, error=exc))
        return results

    def _apply_one(self, op: WriteOp) -> RemoteEvent | None:
        if op.kind == OpKind.CREATE:
            return self.create(op.identity, op.data)
        if op.kind == OpKind.UPDATE:
            return self.update(op.event_id, op.data, op.if_match)
        self.delete(op.event_id, op.if_match)
        return None

    @abc.abstractmethod
    def watch(self, address: str, token: str, channel_id: str, ttl: timedelta,
              lifecycle_address: str | None = None) -> Channel:
        """Open a push channel to ``address`` verified by ``token``.

        The caller has already committed a row for ``channel_id``: the provider may
        call ``address`` (Google ``sync``, Graph validation) before this returns.
        """

    @abc.abstractmethod
    def renew(self, channel: Channel, ttl: timedelta) -> Channel:
        """Extend a channel (Graph PATCH). Providers with ``renews_in_place = False``
        raise ``NotImplementedError`` and the caller opens a new overlapping channel."""

    @abc.abstractmethod
    def unwatch(self, channel: Channel) -> None:
        """Stop a channel; a channel already gone counts as done."""
