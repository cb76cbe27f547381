"""Binding jobs to a series' occurrences, and what a rule change leaves bound: pure rules, no provider."""

from datetime import datetime, timedelta, timezone

from calsync.events import EventData, RemoteEvent
from calsync.mapping import event_values, to_base
from calsync.occurrences import BoundLink, after_rule_change, bind_by_start, occurrence_base

T0 = datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc)


def occurrence(n, version="v1", moved=timedelta(0), deleted=False, notes="Check the cold room"):
    start = T0 + timedelta(days=n)
    return RemoteEvent(id=f"series_{n}", version=version, deleted=deleted, original_start=start,
                       data=EventData(title="Daily check", start=start + moved, end=start + moved + timedelta(hours=1),
                                      description=notes, location=""))


def test_each_job_binds_to_the_occurrence_that_starts_where_it_does():
    instances = [occurrence(n) for n in range(4)]
    starts = {"job2": T0 + timedelta(days=2), "job0": T0, "job9": T0 + timedelta(days=9)}
    bound = bind_by_start(starts, instances, taken=set())
    assert {key: event.id for key, event in bound.items()} == {"job0": "series_0", "job2": "series_2"}


def test_a_moved_occurrence_binds_by_its_original_start_and_taken_or_cancelled_ones_never():
    instances = [occurrence(0, moved=timedelta(hours=5)), occurrence(1), occurrence(2, deleted=True)]
    starts = {"a": T0, "b": T0 + timedelta(days=1), "c": T0 + timedelta(days=2)}
    bound = bind_by_start(starts, instances, taken={"series_1"})
    assert {key: event.id for key, event in bound.items()} == {"a": "series_0"}


def test_two_jobs_at_one_start_take_one_occurrence_between_them():
    bound = bind_by_start({"x": T0, "y": T0}, [occurrence(0)], taken=set())
    assert len(bound) == 1


def test_after_a_rule_change_gone_occurrences_lose_their_jobs_and_unchanged_ones_take_the_new_version():
    agreed = to_base(event_values(occurrence(0)))
    bound = {
        "kept": BoundLink("series_0", "v1", agreed),
        "edited": BoundLink("series_1", "v1", to_base({**event_values(occurrence(1)), "notes": "job's own"})),
        "gone": BoundLink("series_7", "v1", agreed),
        "same": BoundLink("series_2", "v2", to_base(event_values(occurrence(2)))),
    }
    instances = [occurrence(0, version="v2"), occurrence(1, version="v2"), occurrence(2, version="v2")]
    refreshed, lost = after_rule_change(bound, instances)
    assert refreshed == {"kept": "v2"}  # 'edited' differs from what was agreed: the 412 and re-plan decide
    assert lost == {"gone"}


def test_a_newly_bound_job_agrees_with_what_its_occurrence_holds():
    assert occurrence_base(occurrence(3)) == to_base(event_values(occurrence(3)))
