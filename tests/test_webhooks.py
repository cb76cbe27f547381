"""Webhook verification: only genuine notifications of our own live channels act."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from calsync.webhooks import (
    KnownChannel,
    MalformedNotification,
    graph_subscription_ids,
    graph_validation_token,
    group_graph_verdicts,
    parse_graph_body,
    token_digest,
    verify_google,
    verify_graph_items,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
GOOGLE = KnownChannel(key=1, external_id="chan-1", resource_id="res-1", token_hash=token_digest("s3cret-token"),
                      expires_at=NOW + timedelta(days=1))
GRAPH = KnownChannel(key=2, external_id="sub-1", resource_id="me/events", token_hash=token_digest("client-state"),
                     expires_at=NOW + timedelta(days=1))
CHANNELS = {c.external_id: c for c in (GOOGLE, GRAPH)}


def google_headers(**overrides):
    headers = {"X-Goog-Channel-ID": "chan-1", "X-Goog-Resource-ID": "res-1", "X-Goog-Resource-State": "exists",
               "X-Goog-Message-Number": "7", "X-Goog-Channel-Token": "s3cret-token"}
    headers.update(overrides)
    return {k: v for k, v in headers.items() if v is not None}


def test_google_genuine_change_asks_for_a_pull():
    verdict = verify_google(google_headers(), CHANNELS.get, NOW)
    assert verdict.accepted and verdict.action == "pull" and verdict.channel is GOOGLE
    assert verdict.dedupe_key == verify_google(google_headers(), CHANNELS.get, NOW).dedupe_key
    assert verdict.dedupe_key != verify_google(google_headers(**{"X-Goog-Message-Number": "8"}), CHANNELS.get,
                                               NOW).dedupe_key


def test_google_sync_message_acknowledges_without_pulling():
    verdict = verify_google(google_headers(**{"X-Goog-Resource-State": "sync", "X-Goog-Message-Number": "1"}),
                            CHANNELS.get, NOW)
    assert verdict.accepted and verdict.action == "none"


def test_google_headers_are_case_insensitive():
    lowered = {k.lower(): v for k, v in google_headers().items()}
    assert verify_google(lowered, CHANNELS.get, NOW).accepted


@pytest.mark.parametrize("overrides,reason", [
    ({"X-Goog-Channel-ID": "forged"}, "unknown channel"),
    ({"X-Goog-Resource-ID": "res-2"}, "resource id"),
    ({"X-Goog-Channel-Token": "guess"}, "token"),
    ({"X-Goog-Channel-Token": None}, "token"),
    ({"X-Goog-Resource-State": "deleted_everything"}, "resource state"),
    ({"X-Goog-Message-Number": "7; drop table"}, "message number"),
    ({"X-Goog-Channel-ID": None}, "missing"),
])
def test_google_forgeries_are_rejected(overrides, reason):
    verdict = verify_google(google_headers(**overrides), CHANNELS.get, NOW)
    assert not verdict.accepted and reason in verdict.reason


def test_google_expired_channel_is_rejected():
    verdict = verify_google(google_headers(), CHANNELS.get, NOW + timedelta(days=2))
    assert not verdict.accepted and "expired" in verdict.reason


def graph_body(*items):
    return json.dumps({"value": list(items)}).encode()


def graph_item(**overrides):
    item = {"subscriptionId": "sub-1", "clientState": "client-state", "changeType": "updated",
            "resource": "Users/u1/Events/e1", "tenantId": "t",
            "resourceData": {"@odata.type": "#Microsoft.Graph.Event", "@odata.etag": 'W/"abc"', "id": "e1"}}
    item.update(overrides)
    return item


def test_graph_validation_handshake_token_is_echoed():
    assert graph_validation_token({"validationToken": "Validation: abc"}) == "Validation: abc"
    assert graph_validation_token({}) is None
    assert graph_validation_token({"validationToken": "x" * 5000}) is None


def test_graph_batch_with_a_forged_item_accepts_only_the_genuine_one():
    items = parse_graph_body(graph_body(graph_item(), graph_item(clientState="forged"),
                                        graph_item(subscriptionId="other")), "application/json; charset=utf-8")
    verdicts = verify_graph_items(items, CHANNELS.get, lifecycle=False, now=NOW)
    assert [v.accepted for v in verdicts] == [True, False, False]
    assert verdicts[0].action == "pull"
    assert "clientState" in verdicts[1].reason and "unknown" in verdicts[2].reason


def test_graph_duplicates_share_a_dedupe_key_and_new_versions_do_not():
    first, again, newer = verify_graph_items(
        [graph_item(), graph_item(), graph_item(resourceData={"@odata.etag": 'W/"def"', "id": "e1"})],
        CHANNELS.get, lifecycle=False, now=NOW)
    assert first.dedupe_key == again.dedupe_key != newer.dedupe_key


@pytest.mark.parametrize("event,action", [("reauthorizationRequired", "reauthorize"),
                                          ("subscriptionRemoved", "recreate"), ("missed", "resync")])
def test_graph_lifecycle_events(event, action):
    (verdict,) = verify_graph_items([graph_item(lifecycleEvent=event)], CHANNELS.get, lifecycle=True, now=NOW)
    assert verdict.accepted and verdict.action == action


def test_graph_expired_subscription_change_is_rejected_but_lifecycle_still_heard():
    later = NOW + timedelta(days=2)
    (change,) = verify_graph_items([graph_item()], CHANNELS.get, lifecycle=False, now=later)
    (life,) = verify_graph_items([graph_item(lifecycleEvent="subscriptionRemoved")], CHANNELS.get,
                                 lifecycle=True, now=later)
    assert not change.accepted and life.accepted


@pytest.mark.parametrize("body,content_type", [
    (b"not json", "application/json"),
    (b'{"value": []}', "application/json"),
    (b'{"value": ["x"]}', "application/json"),
    (b'[1, 2]', "application/json"),
    (graph_body(graph_item()), "text/plain"),
    (b"{" + b" " * (300 * 1024) + b"}", "application/json"),
    (b"\xff\xfe", "application/json"),
])
def test_graph_malformed_bodies_are_refused(body, content_type):
    with pytest.raises(MalformedNotification):
        parse_graph_body(body, content_type)


def test_google_sync_may_overtake_the_watch_response():
    pending = KnownChannel(key=3, external_id="chan-new", resource_id="", token_hash=token_digest("t0ken"),
                           expires_at=None)
    lookup = {"chan-new": pending}.get
    sync = google_headers(**{"X-Goog-Channel-ID": "chan-new", "X-Goog-Resource-State": "sync",
                             "X-Goog-Channel-Token": "t0ken"})
    assert verify_google(sync, lookup, NOW).accepted
    change = dict(sync, **{"X-Goog-Resource-State": "exists"})
    assert not verify_google(change, lookup, NOW).accepted
    assert not verify_google(dict(sync, **{"X-Goog-Channel-Token": "bad"}), lookup, NOW).accepted


# -- malformed input and large Graph POSTs -------------------------------------------------------------------


@pytest.mark.parametrize("channel_id", ["chan\x00-1", "chan-1\n", "c" * 300, "chän-1", ""])
def test_google_malformed_ids_are_refused_before_any_lookup(channel_id):
    looked_up = []
    verdict = verify_google(google_headers(**{"X-Goog-Channel-ID": channel_id}), looked_up.append, NOW)
    assert not verdict.accepted and looked_up == []


@pytest.mark.parametrize("item", [
    {"subscriptionId": ["sub-1"]}, {"subscriptionId": {"a": 1}}, {"subscriptionId": 5},
    {"subscriptionId": "sub-1", "clientState": ["client-state"]},
    {"subscriptionId": "sub-1", "clientState": "client-state", "changeType": ["updated"]},
    {"subscriptionId": "sub\x00-1"}, {"subscriptionId": "sub-\ud800"},
])
def test_graph_items_of_wrong_types_are_rejected_not_raised(item):
    (verdict,) = verify_graph_items([item], CHANNELS.get, lifecycle=False, now=NOW)
    assert not verdict.accepted
    assert graph_subscription_ids([item]) in ([], ["sub-1"])


def test_graph_deep_nesting_is_malformed():
    with pytest.raises(MalformedNotification, match="nested"):
        parse_graph_body(b"[" * 100_000 + b"]" * 100_000, "application/json")


def test_graph_post_is_grouped_by_subscription_with_one_dedupe_key():
    genuine = [{"subscriptionId": "sub-1", "clientState": "client-state", "changeType": "updated",
                "resource": f"me/events/{n}", "resourceData": {"@odata.etag": f'W/"{n}"'}} for n in range(500)]
    forged = [{"subscriptionId": "sub-1", "clientState": "guess"}] * 30 + [{"subscriptionId": "nope"}] * 20
    ids = graph_subscription_ids(genuine + forged)
    assert ids == ["sub-1", "nope"]
    groups, rejected = group_graph_verdicts(verify_graph_items(genuine + forged, CHANNELS.get, lifecycle=False,
                                                               now=NOW))
    (group,) = groups
    assert (group.channel, group.actions, group.items, group.detail) == (GRAPH, ("pull",), 500, "updated x500")
    assert sorted((v.reason, n) for v, n in rejected) == [("clientState does not match", 30),
                                                         ("unknown subscription", 20)]
    again, _ = group_graph_verdicts(verify_graph_items(list(reversed(genuine)), CHANNELS.get, lifecycle=False,
                                                       now=NOW))
    assert again[0].dedupe_key == group.dedupe_key, "a retry of the same POST is recognised"
    other, _ = group_graph_verdicts(verify_graph_items(genuine[:-1], CHANNELS.get, lifecycle=False, now=NOW))
    assert other[0].dedupe_key != group.dedupe_key
