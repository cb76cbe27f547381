"""Webhooks as an attacker sends them: each answered with a 4xx, counted in the aggregate, and nothing else.

Every case runs against the test server over real HTTP (Odoo's threaded server;
prefork workers read with the same code, under their own socket timeout). What
each one may leave behind is the rejected-request aggregate: no inbox row, no
queue job, no link. Where Odoo's HTTP server answers before our route runs (a
header line or header block over its limits), the test says so: the reverse
proxy's limits in docs/nginx-fieldops.conf are the bound there.
"""

import contextlib
import json
import socket
import time
from datetime import datetime

from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger

from ..controllers.webhooks import BODY_TIMEOUT_PARAM
from ..models.calendar_webhook_rejection import tally_for
from .sandbox import SandboxCase

GOOGLE = "/fieldops_calendar_sync/webhook/google"
GRAPH = "/fieldops_calendar_sync/webhook/microsoft"
LIFECYCLE = "/fieldops_calendar_sync/webhook/microsoft/lifecycle"


@tagged("post_install", "-at_install")
class TestWebhookAbuse(SandboxCase):
    account_prefix = "abuse"

    def setUp(self):
        super().setUp()
        self.google_channel = self._channel("chan-abuse", "res-abuse", "google-token")
        self.graph_connection = self.connect("abuse outlook", self.env["fsm.team"].create({"name": "abuse graph"}),
                                             f"graph-{self.account}", provider="microsoft")
        self.graph_channel = self._channel("sub-abuse", "me/events", "client-state", self.graph_connection)
        self.env["queue.job"].search([]).write({"state": "done"})
        tally = tally_for(self.env.cr.dbname)
        self.patch(tally, "flush_seconds", 0)  # written at every answer, so the test reads it at once
        tally.drain()
        self.env.flush_all()

    def _channel(self, external_id, resource_id, token, connection=None):
        channel = self.env["fieldops.calendar.channel"].create({
            "connection_id": (connection or self.connection).id, "external_id": external_id,
            "resource_id": resource_id, "state": "active", "expires_at": datetime(2030, 1, 1)})
        channel._set_token(token)
        return channel

    # -- what may change -----------------------------------------------------------------
    def _footprint(self):
        self.env.invalidate_all()
        return {
            "inbox": self.env["fieldops.calendar.notification"].search_count([]),
            "jobs": self.env["queue.job"].search_count([("state", "=", "pending")]),
            "links": self.env["fieldops.calendar.link"].search_count([]),
        }

    def _rejected(self):
        self.env.invalidate_all()
        rows = self.env["fieldops.calendar.webhook.rejection"].search([])
        totals = {}
        for row in rows:
            totals[row.reason] = totals.get(row.reason, 0) + row.count
        return totals

    def assertRefused(self, answers, reasons):
        """Each answer a 4xx without a traceback; the aggregate counts exactly ``reasons``; nothing else."""
        for answer in answers:
            status = answer if isinstance(answer, int) else answer.status_code
            self.assertTrue(400 <= status < 500, f"answered {status}")
            if not isinstance(answer, int):
                self.assertNotIn("Traceback", answer.text)
        self.assertEqual(self._footprint(), self.before)
        self.assertEqual(self._rejected(), reasons)

    def _post(self, route, **kwargs):
        return self.opener.post(self.base_url() + route, timeout=20, **kwargs)

    def _google(self, **headers):
        base = {"X-Goog-Channel-ID": "chan-abuse", "X-Goog-Resource-ID": "res-abuse",
                "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": "5", "X-Goog-Channel-Token": "google-token"}
        base.update(headers)
        return self._post(GOOGLE, data=b"", headers=base)

    def _graph(self, payload, route=GRAPH):
        data = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        return self._post(route, data=data, headers={"Content-Type": "application/json"})

    def _raw(self, head, body_parts=(), pause=0.0, read_timeout=15):
        """Send a request by hand on a socket (for bodies no HTTP client sends); the status line's code."""
        host, port = self.base_url().split("//")[1].split(":")
        with socket.create_connection((host, int(port)), timeout=read_timeout) as sock:
            sock.sendall(head)
            # the server may answer and close before the whole body is sent: what some cases want to see
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for part in body_parts:
                    sock.sendall(part)
            if pause:
                time.sleep(pause)
            answer = b""
            while b"\r\n" not in answer:
                piece = sock.recv(4096)
                if not piece:
                    break
                answer += piece
        return int(answer.split(b" ", 2)[1]) if answer else 0

    def _item(self, **overrides):
        item = {"subscriptionId": "sub-abuse", "clientState": "client-state", "changeType": "updated",
                "resource": "Users/x/Events/1", "resourceData": {"@odata.etag": 'W/"1"', "id": "1"}}
        item.update(overrides)
        return item

    # -- malformed input -------------------------------------------------------------------
    def test_nul_bytes_and_control_characters_in_ids_are_refused(self):
        self.before = self._footprint()
        answers = [
            self._google(**{"X-Goog-Channel-ID": "chan\x00abuse"}),
            self._google(**{"X-Goog-Resource-ID": "res\x00"}),
            self._google(**{"X-Goog-Channel-Token": "google-token\x00"}),
            self._graph({"value": [self._item(subscriptionId="sub\x00abuse")]}),
            self._graph({"value": [self._item(subscriptionId="sub-\ud800")]}),  # a lone surrogate
        ]
        self.assertRefused(answers, {"malformed channel or resource id": 2, "malformed channel token": 1,
                                     "malformed subscription id": 2})

    def test_invalid_utf8_anywhere_is_refused(self):
        self.before = self._footprint()
        answers = [
            self._google(**{"X-Goog-Channel-ID": b"chan-\xff\xfe"}),
            self._google(**{"X-Goog-Resource-State": b"exi\xc3sts"}),
            self._graph(b'{"value": [{"subscriptionId": "sub-\xff"}]}'),
        ]
        self.assertRefused(answers, {"malformed channel or resource id": 1, "unknown resource state": 1,
                                     "notification body is not valid JSON": 1})

    def test_deeply_nested_json_is_refused(self):
        self.before = self._footprint()
        answers = [self._graph(b"[" * 100_000 + b"]" * 100_000),
                   self._graph(b'{"value": ' + b'{"a": ' * 30_000 + b"1" + b"}" * 30_001)]
        self.assertRefused(answers, {"notification body is nested too deeply": 2})

    def test_wrong_json_types_are_refused(self):
        self.before = self._footprint()
        bodies = [
            [self._item()],  # a list where the collection object belongs
            {"value": "sub-abuse"},
            {"value": [1, 2]},
            {"value": []},
        ]
        items = [
            self._item(subscriptionId=5),
            self._item(subscriptionId=["sub-abuse"]),
            self._item(clientState={"x": 1}),
            self._item(changeType=["updated"]),
            self._item(changeType={"updated": 1}),
        ]
        answers = [self._graph(body) for body in bodies] + [self._graph({"value": [item]}) for item in items]
        answers.append(self._graph({"value": [self._item(lifecycleEvent=["missed"])]}, route=LIFECYCLE))
        self.assertRefused(answers, {"notification has no 'value' items": 4, "item without subscription id": 2,
                                     "clientState does not match": 1, "unknown change type": 2,
                                     "unknown lifecycle event": 1})
        # a genuine item whose optional parts have the wrong types is still a change to pull
        self.assertEqual(self._graph({"value": [self._item(resource={"a": 1}, resourceData="x")]}).status_code, 202)

    def test_huge_headers(self):
        self.before = self._footprint()
        # within the HTTP server's line limit, our route refuses an id no provider sends
        long_id = self._google(**{"X-Goog-Channel-ID": "c" * 60_000})
        self.assertRefused([long_id], {"malformed channel or resource id": 1})
        # past it (a header line over 64 KiB, or over 100 header lines), Odoo's HTTP server refuses the request
        # before our route runs. Python's server means to answer 431; Odoo 18's handler fails while writing that
        # answer (its send_header reads request headers that were never parsed) and the connection is closed
        # with no answer. Either way nothing reaches the route; in production the proxy's
        # large_client_header_buffers answers first (docs/nginx-fieldops.conf).
        with mute_logger("odoo.service.server", "werkzeug"):  # Odoo logs its failed 431 as an error
            too_long, too_many = self._refused_by_the_server()
        self.assertIn(too_long, (0, 431))
        self.assertIn(too_many, (0, 431))
        self.assertRefused([], {"malformed channel or resource id": 1})

    def _refused_by_the_server(self):
        too_long = self._raw(b"POST " + GOOGLE.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Goog-Channel-ID: "
                             + b"c" * 70_000 + b"\r\nContent-Length: 0\r\n\r\n")
        too_many = self._raw(b"POST " + GOOGLE.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                             + b"".join(b"X-Pad-%d: 1\r\n" % i for i in range(150)) + b"Content-Length: 0\r\n\r\n")
        return too_long, too_many

    def test_form_bodies_are_refused_before_odoo_parses_them(self):
        self.before = self._footprint()
        answers = [self._post(route, data={"value": "x" * 1000}) for route in (GOOGLE, GRAPH)]
        self.assertEqual([a.status_code for a in answers], [415, 415])
        self.assertRefused(answers, {"form body (not a notification)": 2})

    # -- sizes and time --------------------------------------------------------------------------
    def test_oversized_bodies_are_refused_with_413_also_while_chunked(self):
        self.before = self._footprint()
        announced = self._graph(b"x" * (300 * 1024))
        self.assertEqual(announced.status_code, 413)
        # chunked: no length to check up front; refused once 256 KiB have streamed in, the rest never read
        head = (b"POST " + GRAPH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
        chunked = self._raw(head, [piece] * 6)  # 384 KiB sent, no terminating chunk: a whole read would hang
        self.assertEqual(chunked, 413)
        google_chunked = self._raw(head.replace(GRAPH.encode(), GOOGLE.encode()), [piece] * 6)
        self.assertEqual(google_chunked, 413)
        self.assertRefused([announced, chunked, google_chunked], {"notification body too large": 3})

    def test_stalled_bodies_time_out(self):
        self.env["ir.config_parameter"].set_param(BODY_TIMEOUT_PARAM, "1")
        self.env.flush_all()
        self.before = self._footprint()
        head = (b"POST " + GRAPH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        started = time.monotonic()
        announced = self._raw(head + b"Content-Length: 1000\r\n\r\n", [b'{"value": ['])
        chunked = self._raw(head + b"Transfer-Encoding: chunked\r\n\r\n", [b"5\r\n{\"val\r\n"])
        google = self._raw(head.replace(GRAPH.encode(), GOOGLE.encode()) + b"Content-Length: 10\r\n\r\n", [b"x"])
        self.assertEqual((announced, chunked, google), (408, 408, 408))
        self.assertLess(time.monotonic() - started, 12, "each waited about the configured second, not forever")
        self.assertRefused([announced, chunked, google], {"notification body not sent in time": 3})

    # -- many items in one POST ----------------------------------------------------------------
    def test_a_post_full_of_items_for_one_subscription_makes_one_row_and_one_pull(self):
        self.before = self._footprint()
        items = [self._item(resource=f"Users/x/Events/{n}", resourceData={"@odata.etag": f'W/"{n}"'})
                 for n in range(10_000)]
        body = json.dumps({"value": items}, separators=(",", ":")).encode()
        if len(body) > 256 * 1024:  # as many as fit under the size limit
            items = items[: int(len(items) * 250 * 1024 / len(body))]
        started = time.monotonic()
        answer = self._graph({"value": items})
        self.assertEqual(answer.status_code, 202)
        self.assertLess(time.monotonic() - started, 10)
        after = self._footprint()
        self.assertEqual(after["inbox"] - self.before["inbox"], 1, "one row per subscription per POST")
        self.assertEqual(after["jobs"] - self.before["jobs"], 1, "one pull for the calendar")
        row = self.env["fieldops.calendar.notification"].search([], order="id desc", limit=1)
        self.assertEqual((row.channel_id, row.status, row.detail), (self.graph_channel, "accepted",
                                                                    f"updated x{len(items)}"))
        # Graph retries the same POST: acknowledged, recorded as a duplicate, no second pull
        self.assertEqual(self._graph({"value": items}).status_code, 202)
        again = self._footprint()
        self.assertEqual((again["inbox"] - after["inbox"], again["jobs"] - after["jobs"]), (1, 0))
        self.assertEqual(self.env["fieldops.calendar.notification"].search([], order="id desc", limit=1).status,
                         "duplicate")

    def test_thousands_of_forged_items_cost_one_query_and_no_row(self):
        self.before = self._footprint()
        forged = [{"subscriptionId": f"s{n}"} for n in range(8500)]
        forged += [{"subscriptionId": "sub-abuse", "clientState": "guess"}] * 500
        queries = self.env.cr.sql_log_count
        answer = self._graph({"value": forged})
        self.assertEqual(answer.status_code, 403)
        self.assertLess(self.env.cr.sql_log_count - queries, 40, "bounded by what the POST names, not its items")
        self.assertRefused([answer], {"unknown subscription": 8500, "clientState does not match": 500})
        # the ones naming our subscription are counted under its connection
        self.assertEqual(self.graph_connection._webhook_rejections(), {"clientState does not match": 500})

    def test_mixed_post_for_two_subscriptions_pulls_each_calendar_once(self):
        other = self._channel("sub-abuse-2", "me/events", "client-state-2", self.graph_connection)
        self.before = self._footprint()
        items = [self._item(resource=f"Users/x/Events/{n}") for n in range(50)]
        items += [self._item(subscriptionId="sub-abuse-2", clientState="client-state-2", changeType="deleted")] * 3
        items += [self._item(clientState="nope")] * 7
        self.assertEqual(self._graph({"value": items}).status_code, 202)
        after = self._footprint()
        rows = self.env["fieldops.calendar.notification"].search([], order="id desc", limit=2)
        self.assertEqual(set(rows.mapped("channel_id").ids), {self.graph_channel.id, other.id})
        self.assertEqual(after["inbox"] - self.before["inbox"], 2)
        self.assertEqual(after["jobs"] - self.before["jobs"], 1, "both subscriptions are one calendar's")
        self.assertEqual(self._rejected(), {"clientState does not match": 7})

    # -- the aggregate stays bounded ---------------------------------------------------------------
    def test_a_flood_of_forgeries_writes_a_few_aggregate_rows_per_source(self):
        # behind a proxy (proxy_mode), the source is the forwarded client address, as Odoo sees it
        self.patch(config, "options", dict(config.options, proxy_mode=True))
        tally_for(self.env.cr.dbname).flush_seconds = 3600  # as in production: counted first, written after
        self.before = self._footprint()
        for n in range(60):
            self._google(**{"X-Goog-Channel-ID": f"forged-{n}", "X-Forwarded-For": f"10.0.0.{n % 20}",
                            "X-Forwarded-Host": "odoo.example"})
        for _n in range(40):
            self._google(**{"X-Goog-Channel-ID": "forged", "X-Forwarded-For": "10.6.6.6",
                            "X-Forwarded-Host": "odoo.example"})
        self.assertFalse(self.env["fieldops.calendar.webhook.rejection"].search([]), "nothing written yet")
        self.env["fieldops.calendar.webhook.rejection"]._flush_tally(force=True)
        rows = self.env["fieldops.calendar.webhook.rejection"].search([])
        self.assertEqual(sum(rows.mapped("count")), 100)
        by_source = {}
        for row in rows:
            by_source[row.source] = by_source.get(row.source, 0) + row.count
        self.assertEqual(by_source.get("10.6.6.6"), 40, "the most frequent source keeps a row of its own")
        self.assertIn("other", by_source)
        self.assertLessEqual(len(rows), 2 * 6, "a minute keeps a few sources per reason (it may straddle two)")
        self.assertTrue(all(len((r.samples or "").splitlines()) <= 3 for r in rows))
        self.assertEqual(self._footprint(), self.before)


WAIT_FOR = """
(async () => {
    const end = Date.now() + 20000;
    while (Date.now() < end) {
        const error = document.querySelector(".o_error_dialog, .o_notification.border-danger");
        if (error) { console.error("error shown: " + error.innerText); return; }
        if (document.querySelector(%r)) { console.log("test successful"); return; }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.error("not shown: " + %r);
})();
"""


@tagged("post_install", "-at_install")
class TestWebhookScreens(HttpCase):
    """The Webhook Inbox and Rejected Webhooks screens open in the web client, graphs per hour included."""

    def setUp(self):
        super().setUp()
        tally = tally_for(self.env.cr.dbname)
        tally.drain()
        for reason in ("unknown channel", "channel token does not match"):
            tally.add("google", reason, "203.0.113.9", sample="chan=forged")
        self.env["fieldops.calendar.webhook.rejection"]._flush_tally(force=True)
        connection = self.env["fieldops.calendar.connection"].create({
            "name": "Screens", "provider": "google", "responsible_user_id": self.env.ref("base.user_admin").id})
        self.env["fieldops.calendar.notification"].create({
            "company_id": connection.company_id.id, "connection_id": connection.id, "provider": "google",
            "status": "accepted", "detail": "exists"})

    def _open(self, action, view_type, selector):
        code = WAIT_FOR % (selector, selector)
        self.browser_js(f"/odoo/action-fieldops_calendar_sync.{action}?view_type={view_type}", code, login="admin")

    def test_inbox_graph_per_hour_opens(self):
        self._open("action_calendar_notification", "graph", ".o_graph_renderer canvas")

    def test_rejected_webhooks_list_and_graph_open(self):
        self._open("action_webhook_rejection", "list", ".o_list_view .o_data_row td[name=reason]")
        self._open("action_webhook_rejection", "graph", ".o_graph_renderer canvas")
