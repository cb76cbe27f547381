"""The hourly channel cron queues a renewal job only where one is due (``calsync.channel_renewal``).

It used to queue one for every connected calendar every hour (docs/performance.md, "What idle
connections cost"). The channel rows here are our own records, written as the renewal job leaves them;
that the job then renews at the provider is tested on committed data (test_real_channels).
"""

import uuid
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .sandbox import SandboxCase

WEEK = timedelta(days=7)  # a Google watch channel's life, as we ask for it


@tagged("post_install", "-at_install")
class TestChannelRenewalCron(SandboxCase):
    account_prefix = "renewal"

    def setUp(self):
        super().setUp()
        self.renewals().unlink()  # the one queued at connect, which opens the first channel
        self.Connection = self.env["fieldops.calendar.connection"]

    def renewals(self):
        return self.env["queue.job"].sudo().search([
            ("method_name", "=", "_job_keep_channels"), ("state", "=", "pending"),
            ("identity_key", "=", f"fieldops-calendar-channels-{self.connection.id}")])

    def live_channel(self, expires_in):
        return self.env["fieldops.calendar.channel"].sudo().create({
            "connection_id": self.connection.id, "external_id": uuid.uuid4().hex, "resource_id": "r",
            "state": "active", "expires_at": fields.Datetime.now() + expires_in})

    def test_a_fresh_channel_queues_nothing(self):
        self.live_channel(WEEK - timedelta(hours=1))
        self.Connection._cron_keep_channels_alive()
        self.assertFalse(self.renewals())

    def test_a_channel_past_half_life_queues_one_renewal(self):
        self.live_channel(WEEK / 2 - timedelta(minutes=1))
        self.Connection._cron_keep_channels_alive()
        self.Connection._cron_keep_channels_alive()  # the next hour, before a worker took the first
        self.assertEqual(len(self.renewals()), 1)

    def test_a_missing_channel_queues_one(self):
        self.assertFalse(self.connection.channel_ids)
        self.Connection._cron_keep_channels_alive()
        self.assertEqual(len(self.renewals()), 1)
        # a stopped channel is no channel: the calendar needs a live one opened
        self.renewals().unlink()
        self.live_channel(WEEK).state = "stopped"
        self.Connection._cron_keep_channels_alive()
        self.assertEqual(len(self.renewals()), 1)

    def test_nothing_is_queued_where_the_providers_would_not_push(self):
        self.env["ir.config_parameter"].sudo().set_param("fieldops_calendar_sync.public_base_url",
                                                         "http://erp.example.com")
        self.Connection._cron_keep_channels_alive()
        self.assertFalse(self.renewals())
