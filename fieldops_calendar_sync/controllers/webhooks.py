"""Webhook receivers: verify, record, enqueue, answer at once. They never call a provider.

The work per request is bounded by what it names, not by what it carries: one
indexed query finds every channel a request names, an accepted notification is
one inbox row (for Graph, one per subscription per POST), at most one pull is
enqueued per calendar, and a rejected request is only counted in memory, written
in aggregate at most every few seconds (``fieldops.calendar.webhook.rejection``).
"""

import logging
import time
from datetime import timedelta, timezone

from odoo import fields, http
from odoo.http import request

from calsync.webhooks import (
    MAX_BODY_BYTES,
    KnownChannel,
    MalformedNotification,
    graph_subscription_ids,
    graph_validation_token,
    group_graph_verdicts,
    parse_graph_body,
    verify_google,
    verify_graph_items,
    well_formed,
)

from ..models.calendar_webhook_rejection import count_rejection
from ..models.ir_http import FORM_TYPES
from ..tools.request_body import BodyRefused, has_body, read_body

_logger = logging.getLogger(__name__)
ROUTE = "/fieldops_calendar_sync/webhook"
# Graph validates a notification URL while our subscribe call is open; a subscription row is committed
# 'pending' just before that call, so a validation request with no recent pending row is not Graph's
VALIDATION_WINDOW = timedelta(minutes=10)
BODY_TIMEOUT_PARAM = "fieldops_calendar_sync.webhook_body_timeout"
DEFAULT_BODY_TIMEOUT = 10.0
TEXT = [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")]
# one query, on the (provider, external_id) unique index, for every channel a request names
CHANNELS = """
    SELECT id, external_id, resource_id, token_hash, expires_at, state, connection_id, company_id
      FROM fieldops_calendar_channel
     WHERE provider = %s AND external_id = ANY(%s)
"""


class CalendarWebhookController(http.Controller):
    # -- helpers -----------------------------------------------------------------
    def _env(self):
        return request.env(su=True)

    def _channels(self, provider, external_ids):
        """{external id: KnownChannel} and {row id: (company id, connection id)}, in one indexed query."""
        if not external_ids:
            return {}, {}
        self._env()["fieldops.calendar.channel"].flush_model()
        self._env().cr.execute(CHANNELS, (provider, list(external_ids)))
        known, owners = {}, {}
        for row_id, ext, resource, token_hash, expires, state, connection_id, company_id in self._env().cr.fetchall():
            known[ext] = KnownChannel(key=row_id, external_id=ext, resource_id=resource or "",
                                      token_hash=token_hash or "",
                                      expires_at=expires.replace(tzinfo=timezone.utc) if expires else None,
                                      active=state in ("pending", "active"))
            owners[row_id] = (company_id, connection_id)
        return known, owners

    def _reject(self, provider, reason, status, owners=None, channel=None, sample="", count=1, close=False):
        """Count the rejection in the aggregate (nothing else is written) and answer a 4xx."""
        company, connection = (owners or {}).get(channel.key, (None, None)) if channel else (None, None)
        count_rejection(provider, reason, sample, company=company, connection=connection, count=count)
        _logger.info("rejected %s webhook: %s", provider, reason)
        return self._answer(reason, status, close=close)

    def _answer(self, text, status, close=False):
        headers = list(TEXT)
        if close:  # the body was not read to its end: this connection cannot carry another request
            headers.append(("Connection", "close"))
        self._flush_rejections()
        return request.make_response(text, headers=headers, status=status)

    def _flush_rejections(self):
        try:
            self._env()["fieldops.calendar.webhook.rejection"]._flush_tally()
        except Exception:  # counting must never break an answer; the counts stay in memory for the next try
            _logger.warning("could not write the rejected-webhook counts", exc_info=True)

    def _form_refused(self, provider):
        """A form body (left unparsed by ``ir.http``): no provider sends one. An empty one is harmless (HTTP
        clients label an empty POST as a form by default)."""
        if request.httprequest.mimetype in FORM_TYPES and has_body(request.httprequest):
            return self._reject(provider, "form body (not a notification)", 415, close=True)
        return None

    def _body(self):
        timeout = float(self._env()["ir.config_parameter"].get_param(BODY_TIMEOUT_PARAM) or DEFAULT_BODY_TIMEOUT)
        return read_body(request.httprequest, MAX_BODY_BYTES, timeout)

    def _record(self, provider, channel, owners, kind, started, *, dedupe_key, detail):
        """One inbox row for an accepted notification; a provider's retry of it is marked duplicate."""
        company_id, connection_id = owners[channel.key]
        vals = {
            "company_id": company_id, "connection_id": connection_id, "channel_id": channel.key,
            "provider": provider, "kind": kind, "status": "accepted", "dedupe_key": dedupe_key or False,
            "detail": (detail or "")[:64], "latency_ms": (time.monotonic() - started) * 1000,
        }
        Inbox = self._env()["fieldops.calendar.notification"]
        if dedupe_key:
            return Inbox._record_once(vals)[1]
        Inbox.create(vals)
        return True

    def _act(self, todo):
        """What verified notifications ask for, each (channel, action) once, at most one pull per calendar."""
        Channel = self._env()["fieldops.calendar.channel"]
        pulls = {}
        for channel_id, action in todo:
            channel = Channel.browse(channel_id)
            if action in ("pull", "resync"):
                full = pulls.get(channel.connection_id, False) or action == "resync"
                pulls[channel.connection_id] = full
            elif action in ("reauthorize", "recreate"):
                channel.connection_id._enqueue_channel_repair(channel, action)
        for connection, full in pulls.items():
            connection._enqueue_pull(full=full, from_webhook=True)

    # -- Google ----------------------------------------------------------------------
    @http.route(f"{ROUTE}/google", type="http", auth="none", methods=["POST"], csrf=False, save_session=False,
                readonly=False)
    def google(self, **_kwargs):
        started = time.monotonic()
        headers = request.httprequest.headers
        refused = self._form_refused("google")
        if refused:
            return refused
        if has_body(request.httprequest):
            # Google's notifications carry headers only; whatever is sent is read within bounds and ignored
            try:
                self._body()
            except BodyRefused as refused:
                return self._reject("google", refused.reason, refused.status, close=True)
        channel_id = headers.get("X-Goog-Channel-ID")
        known, owners = self._channels("google", [channel_id] if well_formed(channel_id) else [])
        verdict = verify_google(headers, known.get)
        if not verdict.accepted:
            return self._reject("google", verdict.reason, 403 if verdict.channel else 404, owners, verdict.channel,
                                sample=verdict.detail)
        state = headers.get("X-Goog-Resource-State")
        fresh = self._record("google", verdict.channel, owners, "sync" if state == "sync" else "change", started,
                             dedupe_key=verdict.dedupe_key, detail=verdict.detail)
        if fresh and verdict.action != "none":
            self._act([(verdict.channel.key, verdict.action)])
        return self._answer("", 200)

    # -- Microsoft ---------------------------------------------------------------------
    def _graph(self, lifecycle):
        started = time.monotonic()
        args = request.httprequest.args
        token = graph_validation_token(args)
        if token is None and "validationToken" in args:
            return self._refuse_validation("validation token too long")
        if token is not None:
            if not self._subscription_being_created():
                return self._refuse_validation("validation request while no subscription is being created")
            # the subscription handshake: echo the token as text/plain, nothing else, never sniffed as HTML
            return request.make_response(token, headers=TEXT, status=200)
        refused = self._form_refused("microsoft")
        if refused:
            return refused
        try:
            body = self._body()
        except BodyRefused as refused:
            return self._reject("microsoft", refused.reason, refused.status, close=True)
        try:
            items = parse_graph_body(body, request.httprequest.headers.get("Content-Type"))
        except MalformedNotification as exc:
            return self._reject("microsoft", str(exc), 400)
        known, owners = self._channels("microsoft", graph_subscription_ids(items))
        groups, rejected = group_graph_verdicts(verify_graph_items(items, known.get, lifecycle=lifecycle))
        for verdict, count in rejected:
            company, connection = owners.get(verdict.channel.key, (None, None)) if verdict.channel else (None, None)
            count_rejection("microsoft", verdict.reason, verdict.detail, company=company, connection=connection,
                            count=count)
        todo = []
        for group in groups:
            fresh = self._record("microsoft", group.channel, owners, "lifecycle" if lifecycle else "change", started,
                                 dedupe_key=group.dedupe_key, detail=group.detail)
            if fresh:
                todo.extend((group.channel.key, action) for action in group.actions)
        self._act(todo)
        if groups:
            return self._answer("", 202)
        _logger.info("rejected Graph notification: no verified item")
        return self._answer("no verified notification", 403)

    def _subscription_being_created(self):
        Channel = self._env()["fieldops.calendar.channel"]
        return bool(Channel.search_count([
            ("provider", "=", "microsoft"), ("state", "=", "pending"),
            ("create_date", ">=", fields.Datetime.now() - VALIDATION_WINDOW)], limit=1))

    def _refuse_validation(self, reason):
        """Someone else's 'validation': our server is not an echo service for arbitrary text."""
        return self._reject("microsoft", reason, 403)

    @http.route(f"{ROUTE}/microsoft", type="http", auth="none", methods=["POST"], csrf=False, save_session=False,
                readonly=False)
    def microsoft(self, **_kwargs):
        return self._graph(lifecycle=False)

    @http.route(f"{ROUTE}/microsoft/lifecycle", type="http", auth="none", methods=["POST"], csrf=False,
                save_session=False, readonly=False)
    def microsoft_lifecycle(self, **_kwargs):
        return self._graph(lifecycle=True)
