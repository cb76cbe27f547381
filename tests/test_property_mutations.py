"""The property suites can fail: with a rule taken out of the planner or the preview, they find it.

A property that passes whatever the code does proves nothing. Each test here breaks one rule the way
a plausible bug would, runs the property (deterministic examples), and expects it to fail.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from calsync import planner, preview
from calsync.guard import MassDeletionGuard
from tests import test_direction_property, test_preview_property


def test_a_planner_that_ignores_push_only_is_caught(monkeypatch):
    monkeypatch.setattr(planner, "owners_under", lambda direction, owners: dict(owners or {}))
    with pytest.raises(AssertionError, match="wrote calendar values into a job"):
        test_direction_property.test_push_only_never_writes_a_job()


def test_a_push_planner_that_ignores_pull_only_is_caught(monkeypatch):
    real = planner.plan_push

    def ignoring_direction(link, job, invite_attendees=False, direction="two_way"):
        return real(link, job, invite_attendees)

    monkeypatch.setattr("calsync.sync.plan_push", ignoring_direction)
    with pytest.raises(AssertionError, match="wrote to the calendar"):
        test_direction_property.test_pull_only_never_writes_a_calendar()


def test_a_preview_that_skips_the_mass_deletion_guard_is_caught(monkeypatch):
    real = preview.plan_pull

    def without_guard(store, changes, events, *, allow_calendar_cancel=False, guard=None):
        return real(store, changes, events, allow_calendar_cancel=allow_calendar_cancel,
                    guard=MassDeletionGuard(confirmed=True))

    monkeypatch.setattr(preview, "plan_pull", without_guard)
    with pytest.raises(AssertionError, match="held and the preview did not say so"):
        settings(max_examples=200, deadline=None, derandomize=True)(
            given(*test_preview_property.WORLDS)(test_preview_property.check_preview_then_pull))()
