"""Webhook receivers: verify, record, enqueue, answer at once. They never call a provider."""

import logging
import time
from datetime import timedelta

from odoo import fields, http
from odoo.http import request

from calsync.webhooks import (
    MAX_BODY_BYTES,
    MalformedNotification,
    graph_validation_token,
    parse_graph_body,
    verify_google,
    verify_graph_items,
)

_logger = logging.getLogger(__name__)
ROUTE = "/fieldops_calendar_sync/webhook"
# Graph validates a notification URL while our subscribe call is open; a subscription row is committed
# 'pending' just before that call, so a validation request with no recent pending row is not Graph's
VALIDATION_WINDOW = timedelta(minutes=10)


class CalendarWebhookController(http.Controller):
    # -- helpers -----------------------------------------------------------------
    def _env(self):
        return request.env(su=True)

    def _lookup(self, provider):
        Channel = self._env()["fieldops.calendar.channel"]

        def lookup(external_id):
            channel = Channel.search([("provider", "=", provider), ("external_id", "=", external_id)], limit=1)
            return channel._as_known_channel() if channel else None

        return lookup

    def _record(self, provider, verdict, kind, started):
        """One inbox row in the channel's company; a duplicate of an accepted one is marked as such."""
        env = self._env()
        channel = env["fieldops.calendar.channel"].browse(verdict.channel.key) if verdict.channel else None
        company = channel.company_id if channel else env.ref("base.main_company")
        vals = {
            "company_id": company.id,
            "connection_id": channel.connection_id.id if channel else False,
            "channel_id": channel.id if channel else False,
            "provider": provider,
            "kind": kind,
            "status": "accepted" if verdict.accepted else "rejected",
            "reason": verdict.reason or False,
            "dedupe_key": verdict.dedupe_key if verdict.accepted else False,
            "detail": (verdict.detail or "")[:64],
            "latency_ms": (time.monotonic() - started) * 1000,
        }
        Inbox = env["fieldops.calendar.notification"]
        if verdict.accepted and verdict.dedupe_key:
            return Inbox._record_once(vals)
        return Inbox.create(vals), verdict.accepted

    def _act(self, verdict):
        """What a verified notification asks for; always as the connection's user, in its company."""
        channel = self._env()["fieldops.calendar.channel"].browse(verdict.channel.key)
        connection = channel.connection_id
        if verdict.action == "pull":
            connection._enqueue_pull(from_webhook=True)
        elif verdict.action == "resync":
            connection._enqueue_pull(full=True, from_webhook=True)
        elif verdict.action in ("reauthorize", "recreate"):
            connection._enqueue_channel_repair(channel, verdict.action)

    @staticmethod
    def _too_large():
        length = request.httprequest.content_length
        return length is not None and length > MAX_BODY_BYTES

    # -- Google ----------------------------------------------------------------------
    @http.route(f"{ROUTE}/google", type="http", auth="none", methods=["POST"], csrf=False, save_session=False,
                readonly=False)
    def google(self, **_kwargs):
        started = time.monotonic()
        if self._too_large():
            return request.make_response("payload too large", status=413)
        verdict = verify_google(request.httprequest.headers, self._lookup("google"))
        state = request.httprequest.headers.get("X-Goog-Resource-State")
        _row, fresh = self._record("google", verdict, "sync" if state == "sync" else "change", started)
        if not verdict.accepted:
            _logger.info("rejected Google notification: %s", verdict.reason)
            return request.make_response(verdict.reason, status=403 if verdict.channel else 404)
        if fresh:
            self._act(verdict)
        return request.make_response("", status=200)

    # -- Microsoft ---------------------------------------------------------------------
    def _graph(self, lifecycle):
        started = time.monotonic()
        token = graph_validation_token(request.httprequest.args)
        if token is None and "validationToken" in request.httprequest.args:
            return self._refuse_validation(lifecycle, started, "validation token too long")
        if token is not None:
            if not self._subscription_being_created():
                return self._refuse_validation(lifecycle, started, "validation request while no subscription "
                                                                  "is being created")
            # the subscription handshake: echo the token as text/plain, nothing else, never sniffed as HTML
            return request.make_response(token, headers=[("Content-Type", "text/plain; charset=utf-8"),
                                                         ("X-Content-Type-Options", "nosniff")], status=200)
        if self._too_large():
            return request.make_response("payload too large", status=413)
        try:
            items = parse_graph_body(request.httprequest.get_data(cache=False),
                                     request.httprequest.headers.get("Content-Type"))
        except MalformedNotification as exc:
            self._env()["fieldops.calendar.notification"].create({
                "company_id": self._env().ref("base.main_company").id, "provider": "microsoft",
                "kind": "lifecycle" if lifecycle else "change", "status": "rejected", "reason": str(exc),
                "latency_ms": (time.monotonic() - started) * 1000,
            })
            return request.make_response(str(exc), status=400)
        verdicts = verify_graph_items(items, self._lookup("microsoft"), lifecycle=lifecycle)
        for verdict in verdicts:
            _row, fresh = self._record("microsoft", verdict, "lifecycle" if lifecycle else "change", started)
            if verdict.accepted and fresh:
                self._act(verdict)
            elif not verdict.accepted:
                _logger.info("rejected Graph notification item: %s", verdict.reason)
        if any(v.accepted for v in verdicts):
            return request.make_response("", status=202)
        return request.make_response("no verified notification", status=403)

    def _subscription_being_created(self):
        Channel = self._env()["fieldops.calendar.channel"]
        return bool(Channel.search_count([
            ("provider", "=", "microsoft"), ("state", "=", "pending"),
            ("create_date", ">=", fields.Datetime.now() - VALIDATION_WINDOW)], limit=1))

    def _refuse_validation(self, lifecycle, started, reason):
        """Someone else's 'validation': our server is not an echo service for arbitrary text."""
        self._env()["fieldops.calendar.notification"].create({
            "company_id": self._env().ref("base.main_company").id, "provider": "microsoft",
            "kind": "validation", "status": "rejected", "reason": reason,
            "detail": "lifecycle" if lifecycle else "notification",
            "latency_ms": (time.monotonic() - started) * 1000,
        })
        _logger.info("refused Graph validation request: %s", reason)
        return request.make_response(reason, headers=[("Content-Type", "text/plain; charset=utf-8"),
                                                      ("X-Content-Type-Options", "nosniff")], status=403)

    @http.route(f"{ROUTE}/microsoft", type="http", auth="none", methods=["POST"], csrf=False, save_session=False,
                readonly=False)
    def microsoft(self, **_kwargs):
        return self._graph(lifecycle=False)

    @http.route(f"{ROUTE}/microsoft/lifecycle", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def microsoft_lifecycle(self, **_kwargs):
        return self._graph(lifecycle=True)
