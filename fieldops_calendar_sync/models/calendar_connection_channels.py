"""Keeping push channels alive: open, renew before expiry, repair after lifecycle events, stop.

A channel row is committed before the provider call, because Google may send
its 'sync' message and Graph its validation request before the call returns.
"""

import logging
import secrets
import uuid
from datetime import timedelta, timezone

from odoo import _, api, fields, models

from calsync.channel_renewal import channels_need_work, renewal_due
from calsync.errors import SyncError
from calsync.events import Channel
from calsync.microsoft.client import MAX_SUBSCRIPTION

from ..adapters import providers
from ..tools.odoo_time import naive
from .calendar_retention import prune

_logger = logging.getLogger(__name__)

GOOGLE_TTL = timedelta(days=7)
GRAPH_TTL = MAX_SUBSCRIPTION  # 10,080 minutes for Outlook events; the client asks a little less
WEBHOOK_PATHS = {
    "google": "/fieldops_calendar_sync/webhook/google",
    "microsoft": "/fieldops_calendar_sync/webhook/microsoft",
}
LIFECYCLE_PATH = "/fieldops_calendar_sync/webhook/microsoft/lifecycle"


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    def _channel_ttl(self):
        return GOOGLE_TTL if self.provider == "google" else GRAPH_TTL

    def _open_channel(self, client=None):
        """Commit a pending channel row, then ask the provider to watch; returns the channel row.

        Without an https public base URL the providers would refuse the address: no channel is opened
        (an empty recordset comes back) and the safety-net pull carries the calendar's changes.
        """
        self.ensure_one()
        if providers.push_refusal(self.env):
            _logger.info("No push channel for calendar connection %s: the public base URL is not https", self.id)
            return self.env["fieldops.calendar.channel"]
        base = providers.public_base_url(self.env)
        token = secrets.token_urlsafe(32)
        row = self.env["fieldops.calendar.channel"].sudo().create(
            {"connection_id": self.id, "external_id": uuid.uuid4().hex, "state": "pending"}
        )
        row._set_token(token)
        # pylint: disable-next=invalid-commit; the channel row must exist before the provider can call back
        self.env.cr.commit()  # the provider may call us back before watch() returns
        client = client or self._make_client()
        try:
            channel = client.watch(
                base + WEBHOOK_PATHS[self.provider], token, row.external_id, self._channel_ttl(),
                lifecycle_address=base + LIFECYCLE_PATH if self.provider == "microsoft" else None,
            )
        except SyncError as exc:
            row.write({"state": "failed", "last_error": str(exc)})
            # pylint: disable-next=invalid-commit; the failed channel stays recorded though the job raises
            self.env.cr.commit()
            raise
        row.write({"external_id": channel.id, "resource_id": channel.resource_id,
                   "expires_at": naive(channel.expires_at), "state": "active"})
        return row

    def _renew_channels(self):
        """Renew channels past half their life: Graph in place, Google by an overlapping new channel."""
        self.ensure_one()
        if providers.push_refusal(self.env):
            return  # nothing to open or renew: the providers push only to https (see _open_channel)
        now = fields.Datetime.now()
        client = self._make_client()
        active = self.channel_ids.filtered(lambda c: c.state == "active")
        if not active:
            self._open_channel(client)
            return
        for row in active:
            if not renewal_due(row.expires_at, self._channel_ttl(), now):
                continue
            if client.renews_in_place:
                renewed = client.renew(row._as_provider_channel(), self._channel_ttl())
                row.write({"expires_at": naive(renewed.expires_at), "last_error": False})
            else:
                self._open_channel(client)
                self._stop_channel(row, client)

    def _stop_channel(self, row, client):
        try:
            client.unwatch(row._as_provider_channel())
            row.write({"state": "stopped"})
        except SyncError as exc:
            row.write({"state": "stopped", "last_error": str(exc)})

    def _enqueue_channel_repair(self, channel, action):
        """A Graph lifecycle event: reauthorize (renew) or recreate the subscription, then resync."""
        self.ensure_one()
        self._job_env().with_delay(
            channel="root.fieldops_calendar",
            identity_key=f"fieldops-calendar-channel-{self.id}-{action}",
            description=_("Repair push channel of %s", self.name),
        )._job_repair_channel(channel.id, action)

    def _job_repair_channel(self, channel_id, action):
        self.ensure_one()
        row = self.env["fieldops.calendar.channel"].browse(channel_id).exists()
        with self._provider_job():
            client = self._make_client()
            if action == "reauthorize" and row and client.renews_in_place:
                renewed = client.renew(row._as_provider_channel(), self._channel_ttl())
                row.write({"expires_at": naive(renewed.expires_at), "state": "active"})
            else:
                if row:
                    row.write({"state": "stopped"})
                self._open_channel(client)
        # notifications may have been missed meanwhile
        self._enqueue_pull(full=action == "recreate")
        return True

    def _job_keep_channels(self):
        self.ensure_one()
        with self._provider_job():
            self._renew_channels()
        return True

    def _enqueue_keep_channels(self):
        for connection in self:
            connection._job_env().with_delay(
                channel="root.fieldops_calendar",
                identity_key=f"fieldops-calendar-channels-{connection.id}",
                description=_("Keep push channels of %s alive", connection.name),
            )._job_keep_channels()

    def _after_connect(self):
        """A new connection hears of calendar edits at once, not at the next run of the channel cron."""
        self._enqueue_keep_channels()
        return super()._after_connect()

    @api.model
    def _cron_keep_channels_alive(self):
        """Queue the renewal job only for connected calendars it would act on (``calsync.channel_renewal``).

        A job per connection per hour, due or not, was most of an idle connection's queue traffic
        (docs/performance.md); one query reads every live channel's expiry instead.
        """
        if providers.push_refusal(self.env):
            return  # the job would open and renew nothing (see _open_channel)
        self._channels_due()._enqueue_keep_channels()

    @api.model
    def _channels_due(self):
        """The connected calendars without a live channel, or with one past half its life."""
        connections = self.sudo().search([("state", "in", ("connected", "sandbox_connected"))])
        expiries = {connection.id: [] for connection in connections}
        for row in self.env["fieldops.calendar.channel"].sudo().search_read(
                [("connection_id", "in", connections.ids), ("state", "=", "active")],
                ["connection_id", "expires_at"]):
            expiries[row["connection_id"][0]].append(row["expires_at"] or None)
        now = fields.Datetime.now()
        return connections.filtered(lambda c: channels_need_work(expiries[c.id], c._channel_ttl(), now))

    @api.model
    def _cron_purge_inbox(self, days=None):
        """Drop inbox rows past their retention (``calendar_retention``), and channels long stopped."""
        prune(self.env, "inbox")
        limit = fields.Datetime.now() - timedelta(days=days or 30)
        self.env["fieldops.calendar.channel"].sudo().search(
            [("state", "in", ("stopped", "failed")), ("write_date", "<", limit)]
        ).unlink()


class CalendarChannel(models.Model):
    _inherit = "fieldops.calendar.channel"

    def _as_provider_channel(self):
        self.ensure_one()
        expires = self.expires_at.replace(tzinfo=timezone.utc) if self.expires_at else None
        return Channel(id=self.external_id, resource_id=self.resource_id or "", expires_at=expires)
