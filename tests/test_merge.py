"""Direct tests of calsync.merge.three_way: the per-field rules of 'no silent overwrite'."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calsync.merge import MergeOutcome, three_way

T = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
OLD, JOB, CAL = "old", "job", "cal"

# (field values as base, job, calendar) for three kinds of value
KINDS = {
    "text": ("old", "job", "cal"),
    "time": (T, T + timedelta(hours=1), T + timedelta(hours=2)),
    "empty": ("", "job", None),
}


@pytest.mark.parametrize("kind", KINDS)
def test_neither_changed(kind):
    b, _, _ = KINDS[kind]
    out = three_way({"f": b}, {"f": b}, {"f": b})
    assert out == MergeOutcome(agreed={"f": b})


@pytest.mark.parametrize("kind", KINDS)
def test_only_job_changed_goes_to_the_calendar_and_the_base_waits(kind):
    b, mine, _ = KINDS[kind]
    out = three_way({"f": b}, {"f": mine}, {"f": b})
    assert out.to_remote == {"f": mine}
    assert out.to_local == {}
    assert out.conflicts == {}
    assert out.agreed == {"f": b}  # moves only once the provider confirms the push


@pytest.mark.parametrize("kind", KINDS)
def test_only_calendar_changed_goes_to_the_job(kind):
    b, _, theirs = KINDS[kind]
    out = three_way({"f": b}, {"f": b}, {"f": theirs})
    assert out.to_local == {"f": theirs}
    assert out.to_remote == {}
    assert out.conflicts == {}
    assert out.agreed == {"f": theirs}


@pytest.mark.parametrize("kind", KINDS)
def test_both_changed_alike_is_no_conflict(kind):
    b, mine, _ = KINDS[kind]
    out = three_way({"f": b}, {"f": mine}, {"f": mine})
    assert out == MergeOutcome(agreed={"f": mine})


@pytest.mark.parametrize("kind", KINDS)
def test_both_changed_differently_is_a_conflict_and_nothing_is_written(kind):
    b, mine, theirs = KINDS[kind]
    out = three_way({"f": b}, {"f": mine}, {"f": theirs})
    assert out.conflicts == {"f": (b, mine, theirs)}
    assert out.to_local == {} and out.to_remote == {}
    assert "f" not in out.agreed


def test_fields_are_merged_independently():
    base = {"start": T, "end": T + timedelta(hours=2), "notes": OLD, "extra": "x"}
    local = {"start": T + timedelta(hours=1), "end": T + timedelta(hours=2), "notes": JOB, "extra": "same"}
    remote = {"start": T, "end": T + timedelta(hours=3), "notes": CAL, "extra": "same"}
    out = three_way(base, local, remote)
    assert out.to_remote == {"start": T + timedelta(hours=1)}
    assert out.to_local == {"end": T + timedelta(hours=3)}
    assert out.conflicts == {"notes": (OLD, JOB, CAL)}
    assert out.agreed == {"start": T, "end": T + timedelta(hours=3), "extra": "same"}


def test_equal_instants_in_different_zones_are_the_same_value():
    berlin = T.astimezone(ZoneInfo("Europe/Berlin"))
    out = three_way({"start": T}, {"start": berlin}, {"start": T})
    assert out.to_remote == {} and out.to_local == {} and out.conflicts == {}


@pytest.mark.parametrize(("base", "local", "remote", "expected"), [
    # a field the base never had counts as None there
    ({}, {"f": "a"}, {"f": "a"}, MergeOutcome(agreed={"f": "a"})),
    ({}, {"f": "a"}, {}, MergeOutcome(to_remote={"f": "a"}, agreed={"f": None})),
    ({}, {}, {"f": "b"}, MergeOutcome(to_local={"f": "b"}, agreed={"f": "b"})),
    ({}, {"f": "a"}, {"f": "b"}, MergeOutcome(conflicts={"f": (None, "a", "b")})),
    # a field gone from one side counts as None on it
    ({"f": "a"}, {"f": "a"}, {}, MergeOutcome(to_local={"f": None}, agreed={"f": None})),
    ({}, {}, {}, MergeOutcome()),
])
def test_missing_fields(base, local, remote, expected):
    assert three_way(base, local, remote) == expected


def test_inputs_are_not_modified():
    base, local, remote = {"f": OLD}, {"f": JOB}, {"f": CAL}
    three_way(base, local, remote)
    assert (base, local, remote) == ({"f": OLD}, {"f": JOB}, {"f": CAL})
