"""The live halves of the batch, recurring-series and token-expiry checks, for either provider.

The sandbox suites test these in depth, faults included; here each is held against the real API as far
as the API lets a test make the situation (see README, 'Live contract run').
"""

from __future__ import annotations

from datetime import timedelta

from calsync.errors import PreconditionFailed
from calsync.events import OpKind, WriteOp
from calsync.recurrence import Recurrence
from tests.provider_contract import T0, job_event, new_identity


class LiveChecks:
    def test_a_batch_of_many_writes_is_applied_item_by_item(self, provider, backdoor):
        # more writes than Graph runs at once and more than one Google request: the batch shape the
        # provider really accepts, with one stale item that must fail alone
        kept = provider.create(new_identity(), job_event("Kept"))
        stale = provider.create(new_identity(), job_event("Stale", hours=1))
        gone = provider.create(new_identity(), job_event("Gone", hours=2))
        backdoor.person_edit(stale.id, title="Stale: moved by a person")
        creates = [WriteOp(OpKind.CREATE, identity=new_identity(), data=job_event(f"New {n}", hours=3 + n))
                   for n in range(6)]
        ops = [*creates,
               WriteOp(OpKind.UPDATE, identity="kept", event_id=kept.id, data=job_event("Kept 2"),
                       if_match=kept.version),
               WriteOp(OpKind.UPDATE, identity="stale", event_id=stale.id, data=job_event("Stale 2", hours=1),
                       if_match=stale.version),
               WriteOp(OpKind.DELETE, identity="gone", event_id=gone.id, if_match=gone.version)]
        results = provider.apply(ops)
        assert [r.op for r in results] == ops
        assert all(r.ok for r in results[:6]), [r.error for r in results[:6]]
        assert {r.event.data.title for r in results[:6]} == {f"New {n}" for n in range(6)}
        assert results[6].ok and provider.get(kept.id).data.title == "Kept 2"
        assert isinstance(results[7].error, PreconditionFailed)
        assert provider.get(stale.id).data.title == "Stale: moved by a person"
        assert results[8].ok
        assert backdoor.live_count() == 2 + 6

    def test_a_series_lists_its_occurrences_and_its_deletion(self, provider, backdoor):
        identity = new_identity()
        series = provider.create_series(identity, job_event("Weekly check"), Recurrence("daily", count=3))
        occurrences = provider.series_instances(series.id, T0 - timedelta(hours=1), T0 + timedelta(days=4))
        live = sorted(o.data.start for o in occurrences if not o.deleted)
        assert live == [T0 + timedelta(days=n) for n in range(3)]
        cursor = provider.list_changes(None).cursor
        backdoor.person_delete(series.id)
        deleted = {e.id for e in provider.list_changes(cursor).events if e.deleted}
        # Google lists single events (each occurrence cancelled), Graph the series master
        assert series.id in deleted or {o.id for o in occurrences} <= deleted, deleted

    def test_an_access_token_the_provider_refuses_is_renewed(self, live_target):
        provider = live_target.client(stale_access_token=True)
        event = provider.create(new_identity(), job_event("After renewal"))
        assert provider.get(event.id).data.title == "After renewal"
