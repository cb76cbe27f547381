"""Phase 2: tampered, forged and replayed OAuth callbacks."""

from __future__ import annotations

import re
import secrets as pysecrets
import urllib.parse

from devtools.security.common import Client
from devtools.security.setup import callback_path, sign_in_at_sandbox


# -- 2. OAuth ------------------------------------------------------------------------------------------------------
def attack_oauth(product, world, results):
    results.section("oauth", "2. OAuth sign-in: state tampering and replay")
    A, B = world.company_a, world.company_b
    admin = world.admin
    ctx = {"allowed_company_ids": [A]}
    targets = {}
    for provider in ("google", "microsoft"):
        targets[provider] = admin.call("fieldops.calendar.connection", "create", [{
            "name": f"OAuth target {provider}", "provider": provider, "company_id": A,
            "account_email": f"oauth-{provider}@example.test", "responsible_user_id": 2}], context=ctx).result

    def snapshot(conn):
        return product.scalar(f"SELECT concat_ws('/', state, md5(coalesce(token_encrypted, '')), account_email) "
                              f"FROM fieldops_calendar_connection WHERE id = {conn}")

    def fresh(provider="google", client=admin):
        location, _answer = sign_in_at_sandbox(world, client, targets[provider], A,
                                               f"oauth-{provider}@example.test", provider)
        return location

    def refused(what, client, path, conn, expect=400):
        before = snapshot(conn)
        answer = client.get(path)
        after = snapshot(conn)
        changed = before != after
        ok = answer.status_code == expect and not changed and "Traceback" not in answer.text
        text = re.sub(r"<[^>]+>", " ", answer.text)
        hint = ""
        for phrase in ("already used", "not issued to you", "malformed", "took too long", "expired", "refused",
                       "failed", "another kind"):
            if phrase in text:
                hint = f" ('{phrase}')"
                break
        where = answer.headers.get("Location", "")
        outcome = f"HTTP {answer.status_code}{hint}{' to ' + where.split('?')[0] if where else ''}, " + \
            ("connection CHANGED" if changed else "connection unchanged")
        results.add(what, outcome, f"HTTP {expect}, connection unchanged", ok)
        return answer

    g = targets["google"]
    location = fresh()
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"]
    nonce, issued, signature = state.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    refused("state with its signature altered", admin, callback_path(location, state=f"{nonce}.{issued}.{flipped}"), g)
    refused("state with its issue time altered", admin,
            callback_path(location, state=f"{nonce}.{int(issued) + 1}.{signature}"), g)
    other = fresh()
    other_nonce = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(other).query))["state"].split(".")[0]
    refused("state carrying another live sign-in's nonce", admin,
            callback_path(location, state=f"{other_nonce}.{issued}.{signature}"), g)
    refused("code without state", admin, callback_path(location, state=None), g)
    refused("made-up state", admin, callback_path(location, state="abc.123.def"), g)
    refused("Google state sent to the Microsoft callback", admin,
            callback_path(location).replace("/google/", "/microsoft/"), g)
    refused("another user (company B's northwind) presents company A's state and code", world.northwind,
            callback_path(location), g)

    # a failed exchange must spend the state too: a second try with a good code is a replay
    location = fresh()
    refused("state used with a wrong code (the exchange fails)", admin,
            callback_path(location, code="sbx-gcode-" + pysecrets.token_urlsafe(32)), g)
    refused("the same state replayed with the genuine code after that failure", admin, callback_path(location), g)

    # the successful sign-in, then its replay
    location = fresh()
    answer = admin.get(callback_path(location))
    results.add("genuine callback (control)", f"HTTP {answer.status_code}", "HTTP 303", answer.status_code == 303)
    refused("the same callback replayed after the successful sign-in", admin, callback_path(location), g)

    # the web session ended between Connect and the callback
    late = Client(product.base, "admin (logged out)").login("admin", "admin", [A, B])
    location = fresh(client=late)
    late.rpc("/web/session/destroy", {})
    refused("callback after the user logged out of Odoo", late, callback_path(location), g, expect=303)
    # the sign-in outlived its 15 minutes
    location = fresh()
    nonce = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"].split(".")[0]
    product.sql(f"UPDATE fieldops_calendar_oauth_session SET expires_at = (now() at time zone 'utc') "
                f"- interval '1 minute' WHERE nonce = '{nonce}'")
    refused("callback after the sign-in expired (15 minutes)", admin, callback_path(location), g)
    refused("the expired sign-in replayed", admin, callback_path(location), g)

    m = targets["microsoft"]
    location = fresh("microsoft")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"]
    refused("Microsoft: state with its signature altered", admin, callback_path(location, state=state[:-2] + "xx"), m)
    location = fresh("microsoft")
    refused("Microsoft: code without state", admin, callback_path(location, state=None), m)
    answer = admin.get(callback_path(location))
    results.add("Microsoft: genuine callback after a refused one (control)", f"HTTP {answer.status_code}",
                "HTTP 400 (the state was spent by the refused try) or 303",
                answer.status_code in (303, 400))
    location = fresh("microsoft")
    admin.get(callback_path(location))
    refused("Microsoft: callback replayed after the successful sign-in", admin, callback_path(location), m)

    # starting a sign-in on a calendar one may not configure
    for client, conn, what in ((world.northwind, g, "company B's user starts Connect on company A's calendar"),
                               (world.dispatcher, g, "company A's dispatcher starts Connect (managers only)")):
        answer = client.call("fieldops.calendar.connection", "action_connect", [[conn]])
        sessions = product.scalar(f"SELECT count(*) FROM fieldops_calendar_oauth_session WHERE user_id = {client.uid}")
        results.add(what, f"{answer.brief()}, {sessions} sign-in(s) started", "AccessError, none started",
                    not answer.ok and "AccessError" in answer.error and sessions == "0")
    product.wait_quiet()
