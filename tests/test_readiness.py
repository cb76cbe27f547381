"""The readiness gate's rules: each item in each of its states, and what blocks a first live sync."""

from datetime import datetime, timedelta, timezone

import pytest

from calsync import readiness as r

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
READY_FACTS = dict(now=NOW, sandbox=False, apps={"google": True, "microsoft": True}, key_configured=True,
                   secrets_stored=3, public_url="https://erp.example.com",
                   url_probes={"google_webhook": None, "microsoft_webhook": None, "google_callback": None,
                               "microsoft_callback": None},
                   queue_job_server_wide=True, runner_seen_at=NOW - timedelta(minutes=3), workers=4,
                   live_notification_at=NOW - timedelta(hours=1))


def item(key, **changes):
    (found,) = [i for i in r.assess(r.Facts(**{**READY_FACTS, **changes})) if i.key == key]
    return found


def test_a_ready_database_has_every_item_ready_and_nothing_blocks():
    items = r.assess(r.Facts(**READY_FACTS))
    assert [i.key for i in items] == ["sandbox", "google_app", "microsoft_app", "encryption_key", "public_url",
                                      "live_webhooks", "queue_job", "workers"]
    assert all(i.ready for i in items), [(i.key, i.state, i.reason) for i in items if not i.ready]
    assert r.blockers(items, "google", sandbox=False) == []


@pytest.mark.parametrize("key, changes, state, reason", [
    ("sandbox", {"sandbox": True, "sandbox_running": True}, r.READY, "on"),
    ("sandbox", {"sandbox": True, "sandbox_running": False}, r.FAILING, "on_not_running"),
    ("sandbox", {}, r.READY, "off"),
    ("google_app", {"apps": {"microsoft": True}}, r.BLOCKED, "not_entered"),
    ("google_app", {"apps": {}, "sandbox": True}, r.BLOCKED, "sandbox"),
    ("microsoft_app", {"apps": {"google": True}}, r.BLOCKED, "not_entered"),
    ("encryption_key", {"key_configured": False}, r.MISSING, "not_configured"),
    ("encryption_key", {"secrets_undecryptable": 2}, r.FAILING, "cannot_decrypt"),
    ("public_url", {"public_url": ""}, r.MISSING, "not_set"),
    ("public_url", {"public_url": "http://erp.example.com"}, r.FAILING, "not_https"),
    ("public_url", {"url_probes": {}}, r.FAILING, "not_probed"),
    ("public_url", {"url_probes": {"google_webhook": "timed out", "google_callback": None}}, r.FAILING,
     "unreachable"),
    ("public_url", {"sandbox": True, "public_url": "http://127.0.0.1:8069"}, r.READY, "answers"),
    ("live_webhooks", {"sandbox": True}, r.BLOCKED, "sandbox"),
    ("live_webhooks", {"apps": {}}, r.BLOCKED, "not_entered"),
    ("live_webhooks", {"live_notification_at": None}, r.MISSING, "none_yet"),
    ("queue_job", {"queue_job_server_wide": False}, r.FAILING, "not_server_wide"),
    ("queue_job", {"runner_seen_at": None, "runner_probe_queued_at": NOW - timedelta(minutes=1)}, r.MISSING,
     "probe_waiting"),
    ("queue_job", {"runner_seen_at": NOW - timedelta(days=2), "runner_probe_queued_at": NOW - timedelta(hours=1)},
     r.FAILING, "runner_not_seen"),
    ("workers", {"workers": 0}, r.MISSING, "threaded"),
])
def test_each_item_in_each_state(key, changes, state, reason):
    found = item(key, **changes)
    assert (found.state, found.reason) == (state, reason)


def test_what_blocks_a_first_live_sync_depends_on_the_provider():
    items = r.assess(r.Facts(**{**READY_FACTS, "apps": {"google": True}, "workers": 0,
                                "live_notification_at": None}))
    assert [i.key for i in r.blockers(items, "microsoft", sandbox=False)] == ["microsoft_app"]
    # neither a threaded server nor a webhook not yet received stops a first sync: they only warn
    assert r.blockers(items, "google", sandbox=False) == []
    items = r.assess(r.Facts(**{**READY_FACTS, "key_configured": False, "queue_job_server_wide": False}))
    assert [i.key for i in r.blockers(items, "google", sandbox=False)] == ["encryption_key", "queue_job"]


def test_sandbox_mode_blocks_nothing():
    items = r.assess(r.Facts(now=NOW, sandbox=True))
    assert not all(i.ready for i in items)
    assert r.blockers(items, "google", sandbox=True) == []


def connection(**changes):
    values = dict(name="Crew", provider="google", connected=True, state="connected", push_refused=False,
                  channel_state="active", channel_expires_at=NOW + timedelta(days=3),
                  last_notification_at=NOW - timedelta(minutes=5), last_pull_at=NOW - timedelta(minutes=5),
                  last_push_at=NOW - timedelta(minutes=7))
    values.update(changes)
    return r.assess_connection(r.ConnectionFacts(**values), NOW)


@pytest.mark.parametrize("changes, state, reason", [
    ({}, r.READY, "syncing"),
    ({"connected": False}, r.MISSING, "not_connected"),
    ({"state": "needs_reauth"}, r.FAILING, "needs_reauth"),
    ({"state": "error"}, r.FAILING, "error"),
    ({"channel_state": "failed"}, r.FAILING, "channel_dead"),
    ({"channel_expires_at": NOW - timedelta(minutes=1)}, r.FAILING, "channel_dead"),
    ({"last_pull_at": NOW - timedelta(hours=3)}, r.FAILING, "pull_stale"),
    ({"push_refused": True, "channel_state": None}, r.MISSING, "push_refused"),
    ({"channel_state": None}, r.MISSING, "no_channel"),
    ({"last_pull_at": None}, r.MISSING, "never_pulled"),
])
def test_a_connection_in_each_state(changes, state, reason):
    found = connection(**changes)
    assert (found.state, found.reason) == (state, reason)
    assert found.blocks == ()
