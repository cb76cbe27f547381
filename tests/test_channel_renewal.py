"""The renewal rule: act on a connection without a live channel or with one past half its life."""

from datetime import datetime, timedelta

from calsync.channel_renewal import channels_need_work, renewal_due

NOW = datetime(2026, 12, 3, 12, 0)
WEEK = timedelta(days=7)


def test_a_fresh_channel_is_not_due():
    assert not renewal_due(NOW + WEEK - timedelta(minutes=5), WEEK, NOW)
    assert not renewal_due(NOW + WEEK / 2 + timedelta(seconds=1), WEEK, NOW)


def test_a_channel_at_or_past_half_life_is_due():
    assert renewal_due(NOW + WEEK / 2, WEEK, NOW)
    assert renewal_due(NOW + timedelta(hours=2), WEEK, NOW)
    assert renewal_due(NOW - timedelta(hours=1), WEEK, NOW), "an expired channel is due too"


def test_an_unknown_expiry_is_due():
    assert renewal_due(None, WEEK, NOW)


def test_a_connection_needs_work_without_a_live_channel_or_with_one_due():
    fresh = NOW + WEEK - timedelta(hours=1)
    assert channels_need_work([], WEEK, NOW), "no live channel: one must be opened"
    assert not channels_need_work([fresh], WEEK, NOW)
    assert channels_need_work([fresh, NOW + timedelta(hours=1)], WEEK, NOW)
