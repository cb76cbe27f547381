"""What a provider failure does to a sync job and its connection, as the engine's ``decide`` rules it.

Each case runs the real push job against the Google sandbox with the failure injected there, inside a
real queue job record, so the attempt number comes from queue_job as it does in production.
"""

from datetime import datetime, timedelta

from odoo import api, fields
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tests import tagged

from calsync.errors import QuotaExhausted, RateLimited, TransientError

from .sandbox import SandboxCase


@tagged("post_install", "-at_install")
class TestProviderErrors(SandboxCase):
    account_prefix = "errors"

    def setUp(self):
        super().setUp()
        self.job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": datetime(2026, 12, 14, 9, 0), "scheduled_date_end": datetime(2026, 12, 14, 11, 0),
            "description": "<p>Fix the boiler</p>"})

    def push_as_attempt(self, attempt):
        """The push job as queue_job runs it on its ``attempt``-th try (of the job's 5)."""
        queued = self.env["queue.job"].search([("uuid", "=", self.connection.with_delay(
            max_retries=5)._job_push().uuid)])
        queued.retry = attempt - 1
        self.env.flush_all()
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, self.connection.responsible_user_id.id, {"job_uuid": queued.uuid})
                env[self.connection._name].browse(self.connection.id)._job_env()._job_push()
        except Exception as exc:  # the test reads what the job raised, as queue_job would
            return exc
        finally:
            self.env.invalidate_all()
        return None

    def test_a_server_error_retries_with_a_growing_wait_then_stops_visibly_on_the_last_attempt(self):
        self.emulator.inject_fault("server_error", count=50, path_contains="/events")
        first = self.push_as_attempt(1)
        self.assertIsInstance(first, RetryableJobError)
        self.assertFalse(first.ignore_retry, "a provider failure uses up one of the job's attempts")
        self.assertEqual(first.seconds, 20)
        self.assertEqual(self.push_as_attempt(3).seconds, 80)
        self.assertEqual(self.connection.last_error_kind, "transient")
        self.assertEqual(self.connection.state, "sandbox_connected", "retrying is not an error yet")
        last = self.push_as_attempt(5)
        self.assertIsInstance(last, TransientError)
        self.assertEqual(self.connection.state, "error")
        self.assertIn("after 5 attempts", self.connection.last_error)
        self.assertTrue(self.connection.activity_ids.filtered(lambda a: "stopped" in a.summary))
        self.assertEqual(self.job.calendar_link_ids.state, "pending_push", "the owed push is kept")
        self.emulator.faults.clear()
        self.connection.action_sync_now()
        self.assertIsNone(self.push_as_attempt(1))
        self.assertEqual(self.job.calendar_link_ids.state, "in_sync")

    def test_throttling_for_over_an_hour_stops_and_says_what_to_do(self):
        self.connection.sudo().write({"state": "throttled",
                                      "throttled_since": fields.Datetime.now() - timedelta(minutes=59)})
        self.emulator.inject_fault("rate_limit", retry_after=120, path_contains="/events")
        error = self.push_as_attempt(1)
        self.assertIsInstance(error, RateLimited)
        self.assertEqual(self.connection.state, "error")
        self.assertIn("over an hour", self.connection.last_error)
        self.assertFalse(self.connection.throttled_since)

    def test_a_used_up_daily_quota_stops_at_once_and_keeps_the_owed_push(self):
        self.emulator.inject_fault("quota_exceeded", path_contains="/events")
        error = self.push_as_attempt(1)
        self.assertIsInstance(error, QuotaExhausted)
        self.assertEqual((self.connection.state, self.connection.last_error_kind), ("error", "quota"))
        self.assertIn("quota", self.connection.last_error)
        self.assertEqual(self.job.calendar_link_ids.state, "pending_push")
