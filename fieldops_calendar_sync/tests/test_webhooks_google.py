"""Google push notifications: verified, recorded, deduplicated, tenant-bound, and acting only when genuine."""

import time
from datetime import datetime, timedelta

from odoo import fields, sql_db
from odoo.tests import tagged

from ..models.calendar_webhook_rejection import tally_for
from .sandbox import SandboxCase, run_job

ROUTE = "/fieldops_calendar_sync/webhook/google"


@tagged("post_install", "-at_install")
class TestGoogleWebhooks(SandboxCase):
    account_prefix = "hooks"

    def setUp(self):
        super().setUp()
        self.channel = self.env["fieldops.calendar.channel"].create({
            "connection_id": self.connection.id, "external_id": "chan-known", "resource_id": "res-known",
            "state": "active", "expires_at": datetime(2030, 1, 1)})
        self.channel._set_token("the-channel-token")
        # the first full pull that connecting enqueued has run
        self._pull_jobs().write({"state": "done"})
        # rejections are written at every answer here, not every few seconds, so the test can read them
        tally = tally_for(self.env.cr.dbname)
        self.patch(tally, "flush_seconds", 0)
        tally.drain()

    def _wait_for(self, condition, seconds=10):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            # the server's request threads share this test's database connection: take turns with them
            with self.registry.test_lock:
                self.env.invalidate_all()
                if condition():
                    return
            time.sleep(0.1)
        self.fail("the notification did not arrive")

    def _post(self, **headers):
        base = {"X-Goog-Channel-ID": "chan-known", "X-Goog-Resource-ID": "res-known",
                "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": "5",
                "X-Goog-Channel-Token": "the-channel-token"}
        base.update(headers)
        self.env.flush_all()
        return self.opener.post(self.base_url() + ROUTE, data=b"", timeout=10,
                                headers={k: v for k, v in base.items() if v is not None})

    def _pull_jobs(self):
        return self.env["queue.job"].search([("identity_key", "=", f"fieldops-calendar-pull-{self.connection.id}"),
                                             ("state", "=", "pending")])

    def _inbox(self):
        return self.env["fieldops.calendar.notification"].search([], order="id")

    def test_genuine_notification_records_and_enqueues_one_pull_as_the_connection_user(self):
        before = self._pull_jobs()
        started = time.monotonic()
        answer = self._post()
        self.assertEqual(answer.status_code, 200)
        self.assertLess(time.monotonic() - started, 2.0)
        self.env.invalidate_all()
        jobs = self._pull_jobs() - before
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs.user_id, self.connection.responsible_user_id)
        self.assertEqual(jobs.company_id, self.connection.company_id)
        row = self._inbox()[-1]
        self.assertEqual((row.status, row.channel_id, row.company_id), ("accepted", self.channel,
                                                                          self.connection.company_id))
        # the provider retries the same message: acknowledged, recorded as duplicate, no second pull
        again = self._post()
        self.assertEqual(again.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(self._inbox()[-1].status, "duplicate")
        self.assertEqual(len(self._pull_jobs() - before), 1)

    def test_a_notification_pulls_at_once_on_a_quiet_calendar_and_waits_for_the_burst_during_a_sync(self):
        before = self._pull_jobs()
        self.assertEqual(self._post(**{"X-Goog-Message-Number": "11"}).status_code, 200)
        self.env.invalidate_all()
        quiet = self._pull_jobs() - before
        self.assertEqual(len(quiet), 1)
        self.assertFalse(quiet.eta, "a lone calendar edit is pulled at once")
        quiet.write({"state": "done"})
        # a worker of another session runs a sync of this calendar: it holds the connection's lock
        worker = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            worker.execute("SELECT pg_advisory_lock(%s)", (self.connection._lock_key(),))
            asked = datetime.now()
            self.assertEqual(self._post(**{"X-Goog-Message-Number": "12"}).status_code, 200)
            for number in ("13", "14", "15"):  # the rest of the burst: our own writes coming back
                self.assertEqual(self._post(**{"X-Goog-Message-Number": number}).status_code, 200)
            self.env.invalidate_all()
            burst = self._pull_jobs() - before
            self.assertEqual(len(burst), 1, "one pull reads the whole burst")
            self.assertGreater(burst.eta, asked + timedelta(seconds=1))
            self.assertLess(burst.eta, asked + timedelta(seconds=4))
            self.assertEqual(len(self._inbox().filtered(lambda r: r.status == "accepted")), 5, "each is recorded")
        finally:
            worker.execute("SELECT pg_advisory_unlock(%s)", (self.connection._lock_key(),))
            worker.close()

    def test_notifications_just_after_a_push_wait_for_the_rest_of_the_echo(self):
        before = self._pull_jobs()
        self.connection.sudo().last_push_at = fields.Datetime.now() - timedelta(seconds=1)
        self.env.flush_all()
        asked = datetime.now()
        for number in ("21", "22", "23"):  # each created event notified on its own, as Graph does
            self.assertEqual(self._post(**{"X-Goog-Message-Number": number}).status_code, 200)
        self.env.invalidate_all()
        echo = self._pull_jobs() - before
        self.assertEqual(len(echo), 1, "one pull reads the echo of the whole push")
        self.assertGreater(echo.eta, asked + timedelta(seconds=1))
        echo.write({"state": "done"})
        # a minute later the calendar is quiet again: a person's edit is pulled at once
        self.connection.sudo().last_push_at = fields.Datetime.now() - timedelta(minutes=1)
        self.env.flush_all()
        self.assertEqual(self._post(**{"X-Goog-Message-Number": "24"}).status_code, 200)
        self.env.invalidate_all()
        self.assertFalse((self._pull_jobs() - before - echo).eta)

    def test_sync_message_is_acknowledged_without_a_pull(self):
        before = self._pull_jobs()
        answer = self._post(**{"X-Goog-Resource-State": "sync", "X-Goog-Message-Number": "1"})
        self.assertEqual(answer.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(self._pull_jobs(), before)

    def test_forgeries_are_refused_and_change_nothing_else(self):
        cases = [
            ({"X-Goog-Channel-ID": "forged"}, 404),
            ({"X-Goog-Channel-Token": "guessed"}, 403),
            ({"X-Goog-Channel-Token": None}, 403),
            ({"X-Goog-Resource-ID": "other-resource"}, 403),
            ({"X-Goog-Resource-State": "nonsense"}, 404),
            ({"X-Goog-Message-Number": "1 OR 1=1"}, 404),
        ]
        jobs_before = self.env["queue.job"].search_count([])
        links_before = self.env["fieldops.calendar.link"].search_count([])
        for headers, status in cases:
            answer = self._post(**headers)
            self.assertEqual(answer.status_code, status, headers)
            self.assertNotIn("Traceback", answer.text)
        self.env.invalidate_all()
        self.assertEqual(self.env["queue.job"].search_count([]), jobs_before)
        self.assertEqual(self.env["fieldops.calendar.link"].search_count([]), links_before)
        self.assertFalse(self._inbox(), "a rejected request costs no inbox row")
        # counted per reason in the aggregate; the ones naming our channel also under its connection
        counts = self.env["fieldops.calendar.webhook.rejection"].search([])
        self.assertEqual(sum(counts.mapped("count")), len(cases))
        self.assertEqual(set(counts.mapped("source")), {"127.0.0.1"})
        self.assertEqual(self.connection._webhook_rejections(), {
            "channel token does not match": 2, "resource id does not match the channel": 1})
        self.assertEqual(self.connection.webhook_rejected_24h, 3)

    def test_get_and_oversized_requests_are_refused(self):
        self.assertEqual(self.url_open(ROUTE).status_code, 405)
        self.env.flush_all()
        answer = self.url_open(ROUTE, data=b"x" * (300 * 1024), headers={"X-Goog-Channel-ID": "chan-known"})
        self.assertEqual(answer.status_code, 413)

    def test_expired_channel_is_refused(self):
        self.channel.expires_at = datetime(2020, 1, 1)
        self.assertEqual(self._post().status_code, 403)

    def test_calendar_edit_reaches_the_job_through_a_real_notification(self):
        job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": datetime(2026, 12, 20, 9, 0), "scheduled_date_end": datetime(2026, 12, 20, 10, 0),
        })
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        # a real watch channel, opened the way the product opens it (row committed first)
        with self.registry.cursor() as cr:
            from odoo import api

            env = api.Environment(cr, self.connection.responsible_user_id.id, {})
            env["fieldops.calendar.connection"].browse(self.connection.id)._job_env()._open_channel()
        with self.registry.test_lock:  # Google's 'sync' message may be in the server right now
            self.env.invalidate_all()
            channel = self.connection.channel_ids.filtered(
                lambda c: c.state == "active" and c.external_id != "chan-known")
        # Google's 'sync' message is on its way: let the server record it before going on
        self._wait_for(lambda: self.env["fieldops.calendar.notification"].search_count(
            [("channel_id", "=", channel.id)]) >= 1)
        self.assertTrue(channel.resource_id)
        event_id = job.calendar_link_ids.event_id
        before = len(self._inbox())
        self.emulator.person_edit(event_id, {"description": "Gate code 4412"})
        self._wait_for(lambda: len(self._inbox()) > before)
        rows = self._inbox()[before:]
        self.assertIn("accepted", rows.mapped("status"))
        self.assertEqual(set(rows.mapped("channel_id").ids), set(channel.ids))
        pulls = self._pull_jobs()
        self.assertTrue(pulls)
        run_job(self, self.connection, "_job_pull")
        self.assertIn("Gate code 4412", job.description)
