"""Phase 1: forged, replayed, cross-tenant, malformed and oversized webhook notifications."""

from __future__ import annotations

import json
import secrets as pysecrets
import time
import urllib.parse

from devtools.security.common import HOOK


# -- 1. webhooks -------------------------------------------------------------------------------------------------
def attack_webhooks(product, world, results):
    import requests

    results.section("webhooks", "1. Webhooks: forged, replayed, cross-tenant, malformed")
    A, B = world.company_a, world.company_b
    anonymous = requests.Session()
    anonymous.trust_env = False

    google = {c["id"]: c for c in product.control("google", "webhooks")["webhooks"]}
    rows = product.rows("SELECT external_id, company_id, state FROM fieldops_calendar_channel "
                        "WHERE provider = 'google'")
    active = {r[0]: int(r[1]) for r in rows if r[2] == "active" and r[0] in google}
    gA = google[next(cid for cid, comp in active.items() if comp == A)]
    gB = google[next(cid for cid, comp in active.items() if comp == B)]
    stopped_ids = [r[0] for r in rows if r[2] == "stopped" and r[0] in world.google_channels_before]
    subs = {s["id"]: s for s in product.control("microsoft", "webhooks")["webhooks"]}
    rows = product.rows("SELECT external_id, company_id FROM fieldops_calendar_channel "
                        "WHERE provider = 'microsoft' AND state = 'active'")
    ms_active = {r[0]: int(r[1]) for r in rows if r[0] in subs}
    mA = subs[next(sid for sid, comp in ms_active.items() if comp == A)]
    mB = subs[next(sid for sid, comp in ms_active.items() if comp == B)]

    def google_headers(channel, number, **override):
        headers = {"X-Goog-Channel-ID": channel["id"], "X-Goog-Resource-ID": channel["resourceId"],
                   "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": str(number),
                   "X-Goog-Resource-URI": channel["uri"], "X-Goog-Channel-Token": channel["token"]}
        headers.update(override)
        return {k: v for k, v in headers.items() if v is not None}

    def graph_item(sub, client_state=None, etag=None, change="updated"):
        event_id = "AAMk" + pysecrets.token_urlsafe(12)
        return {"subscriptionId": sub["id"], "clientState": sub["clientState"] if client_state is None
                else client_state, "changeType": change, "tenantId": "sandbox",
                "subscriptionExpirationDateTime": sub["expirationDateTime"],
                "resource": f"Users/x/Events/{event_id}",
                "resourceData": {"@odata.etag": etag or f'W/"{pysecrets.token_hex(8)}"', "id": event_id}}

    def attempt(what, send, expected_status, expect_rows, max_jobs=0):
        """Send; then check the answer, the inbox rows it made and the queue jobs it made."""
        inbox, jobs = product.max_id("fieldops_calendar_notification"), product.max_id("queue_job")
        answer = send()
        time.sleep(0.05)
        made = product.rows(f"SELECT status, coalesce(reason, ''), company_id FROM fieldops_calendar_notification "
                            f"WHERE id > {inbox} ORDER BY id")
        new_jobs = int(product.scalar(f"SELECT count(*) FROM queue_job WHERE id > {jobs}"))
        statuses = [r[0] for r in made]
        reasons = "; ".join(sorted({r[1] for r in made if r[1]}))
        ok = answer.status_code in (expected_status if isinstance(expected_status, tuple) else (expected_status,))
        ok = ok and sorted(statuses) == sorted(expect_rows) and new_jobs <= max_jobs
        ok = ok and all(r[1] for r in made if r[0] == "rejected")  # a rejection says why
        if "Traceback" in answer.text:
            ok = False
        outcome = f"HTTP {answer.status_code}, inbox {statuses or 'nothing'}" + \
            (f" ({reasons})" if reasons else "") + f", {new_jobs} job(s) queued"
        expected = f"HTTP {expected_status}, inbox {expect_rows or 'nothing'}, " + \
            ("at most one pull" if max_jobs else "no job")
        results.add(what, outcome, expected, ok)
        return made

    url_g = product.base + HOOK + "/google"
    number = 10 ** 7 + pysecrets.randbelow(10 ** 6)

    def post_g(headers, data=b""):
        return lambda: anonymous.post(url_g, headers=headers, data=data, timeout=30)

    attempt("Google: genuine notification (company A channel, its token)",
            post_g(google_headers(gA, number)), 200, ["accepted"], max_jobs=1)
    attempt("Google: the same message number again (provider retry / replay)",
            post_g(google_headers(gA, number)), 200, ["duplicate"])
    attempt("Google: unknown channel id", post_g(google_headers(gA, number + 1, **{
        "X-Goog-Channel-ID": "forged-" + pysecrets.token_hex(8)})), 404, ["rejected"])
    attempt("Google: wrong channel token", post_g(google_headers(gA, number + 2, **{
        "X-Goog-Channel-Token": pysecrets.token_urlsafe(32)})), 403, ["rejected"])
    attempt("Google: no channel token", post_g(google_headers(gA, number + 3, **{
        "X-Goog-Channel-Token": None})), 403, ["rejected"])
    attempt("Google: wrong resource id", post_g(google_headers(gA, number + 4, **{
        "X-Goog-Resource-ID": pysecrets.token_urlsafe(18)})), 403, ["rejected"])
    attempt("Google cross-tenant: company A channel id with company B's token",
            post_g(google_headers(gA, number + 5, **{"X-Goog-Channel-Token": gB["token"]})), 403, ["rejected"])
    attempt("Google cross-tenant: company A channel id with B's resource id and token",
            post_g(google_headers(gA, number + 6, **{"X-Goog-Channel-Token": gB["token"],
                                                       "X-Goog-Resource-ID": gB["resourceId"]})),
            403, ["rejected"])
    attempt("Google cross-tenant: company B channel id with company A's token and resource id",
            post_g(google_headers(gB, number + 7, **{"X-Goog-Channel-Token": gA["token"],
                                                       "X-Goog-Resource-ID": gA["resourceId"]})),
            403, ["rejected"])
    if stopped_ids:
        old = world.google_channels_before[stopped_ids[0]]
        attempt("Google: a renewed-away (stopped) channel with its real token",
                post_g(google_headers(old, number + 8)), 403, ["rejected"])
    attempt("Google: unknown resource state", post_g(google_headers(gA, number + 9, **{
        "X-Goog-Resource-State": "pwned"})), (403, 404), ["rejected"])
    attempt("Google: SQL in the message number", post_g(google_headers(gA, "1 OR 1=1")), (403, 404), ["rejected"])
    attempt("Google: 10 KB channel id", post_g(google_headers(gA, number + 10, **{
        "X-Goog-Channel-ID": "x" * 10000})), (400, 403, 404, 431), ["rejected"])
    attempt("Google: 300 KB body", post_g(google_headers(gA, number + 11), b"x" * (300 * 1024)), 413, [])
    results.add("Google: GET instead of POST", f"HTTP {anonymous.get(url_g, timeout=30).status_code}", "HTTP 405",
                anonymous.get(url_g, timeout=30).status_code == 405)

    url_m = product.base + HOOK + "/microsoft"
    url_l = product.base + HOOK + "/microsoft/lifecycle"

    def post_m(body, url=url_m, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return lambda: anonymous.post(url, data=data, headers={"Content-Type": content_type}, timeout=30)

    genuine = graph_item(mA)
    attempt("Graph: genuine notification (company A subscription, its clientState)",
            post_m({"value": [genuine]}), 202, ["accepted"], max_jobs=1)
    attempt("Graph: the same notification again (Graph retry / replay)",
            post_m({"value": [genuine]}), 202, ["duplicate"])
    attempt("Graph: wrong clientState", post_m({"value": [graph_item(mA, pysecrets.token_urlsafe(32))]}), 403,
            ["rejected"])
    attempt("Graph: no clientState", post_m({"value": [dict(graph_item(mA), clientState=None)]}), 403,
            ["rejected"])
    attempt("Graph: unknown subscription id", post_m({"value": [dict(graph_item(mA),
                                                                    subscriptionId=pysecrets.token_hex(16))]}),
            403, ["rejected"])
    attempt("Graph cross-tenant: company A subscription with company B's clientState",
            post_m({"value": [graph_item(mA, mB["clientState"])]}), 403, ["rejected"])
    attempt("Graph: a batch of one genuine item and one forged (B's clientState on A's subscription)",
            post_m({"value": [graph_item(mA), graph_item(mA, mB["clientState"])]}), 202,
            ["accepted", "rejected"], max_jobs=1)
    attempt("Graph: body that is not JSON", post_m(b"{not json"), 400, ["rejected"])
    attempt("Graph: JSON sent as text/plain", post_m({"value": [graph_item(mA)]}, content_type="text/plain"), 400,
            ["rejected"])
    attempt("Graph: empty 'value'", post_m({"value": []}), 400, ["rejected"])
    attempt("Graph: 'value' is not a list", post_m({"value": "x"}), 400, ["rejected"])
    attempt("Graph: 300 KB body", post_m(b'{"value": ["' + b"x" * (300 * 1024) + b'"]}'), 413, [])
    attempt("Graph lifecycle: forged reauthorizationRequired (wrong clientState)",
            post_m({"value": [dict(graph_item(mA, pysecrets.token_urlsafe(32)),
                                   lifecycleEvent="reauthorizationRequired")]}, url=url_l), 403, ["rejected"])
    attempt("Graph lifecycle cross-tenant: subscriptionRemoved on A's subscription with B's clientState",
            post_m({"value": [dict(graph_item(mA, mB["clientState"]), lifecycleEvent="subscriptionRemoved")]},
                   url=url_l), 403, ["rejected"])

    # the validation handshake echoes a token: only while one of our subscriptions is being created
    pending = product.scalar("SELECT count(*) FROM fieldops_calendar_channel WHERE provider = 'microsoft' "
                             "AND state = 'pending'")
    for label, url in (("notification", url_m), ("lifecycle", url_l)):
        payload = "<script>alert(document.cookie)</script>"
        answer = anonymous.post(url + "?" + urllib.parse.urlencode({"validationToken": payload}), data=b"",
                                headers={"Content-Type": "text/plain"}, timeout=30)
        echoed = payload in answer.text
        ok = not echoed and 400 <= answer.status_code < 500
        results.add(f"Graph {label} URL: validationToken with HTML while no subscription is being created "
                    f"({pending} pending)",
                    f"HTTP {answer.status_code}, {'echoed' if echoed else 'not echoed'}, "
                    f"Content-Type {answer.headers.get('Content-Type')}, "
                    f"nosniff {answer.headers.get('X-Content-Type-Options') == 'nosniff'}",
                    "4xx, not echoed", ok)
    answer = anonymous.post(url_m + "?validationToken=" + "A" * 2000, data=b"", timeout=30)
    results.add("Graph: 2,000-character validationToken", f"HTTP {answer.status_code}, "
                f"{'echoed' if 'A' * 2000 in answer.text else 'not echoed'}", "not echoed",
                "A" * 2000 not in answer.text and answer.status_code != 200)
    product.wait_quiet()
