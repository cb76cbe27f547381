"""Dispatcher control: quota backpressure, the health panel, expiry activities, the per-job timeline,
and the preview before a new connection's first sync. All against the sandbox emulators."""

import time
from datetime import datetime, timedelta

from odoo import fields
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .sandbox import SandboxCase, run_job

WRITES = ("POST", "PATCH", "PUT", "DELETE")


def make_jobs(case, count, day=1):
    location = case.env.ref("fieldservice.location_1").id
    start = datetime(2027, 4, day, 6, 0)
    return case.env["fsm.order"].create([{
        "location_id": location, "team_id": case.team.id,
        "scheduled_date_start": start + timedelta(minutes=15 * n),
        "scheduled_date_end": start + timedelta(minutes=15 * n + 30),
        "description": f"<p>Job {n}</p>"} for n in range(count)])


class BackpressureTests:
    """A burst of 2,000 changes with the emulator enforcing the provider's quota (shrunk to 2-second windows)."""

    account_prefix = "burst"
    burst = 2000
    units, window = 300, 2.0

    def setUp(self):
        super().setUp()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(f"fieldops_calendar_sync.{self.provider}_quota_units", self.units)
        params.set_param(f"fieldops_calendar_sync.{self.provider}_quota_window", self.window)
        self.emulator.set_quota(per_window=self.units, window=self.window, enforce=True)
        self.addCleanup(self.emulator.set_quota, enforce=False)

    def test_a_burst_of_2000_changes_is_paced_under_the_quota_never_throttled(self):
        make_jobs(self, self.burst)
        mark = len(self.emulator.requests_log())
        for _attempt in range(200):
            try:
                run_job(self, self.connection, "_job_push")
            except RetryableJobError as exc:  # what queue_job does: wait, run again, no attempt spent
                time.sleep(exc.seconds)
                continue
            if not self.connection._owes_push():
                break
        answers = self.emulator.requests_log()[mark:]
        throttled = [a for a in answers if a.get("status") in (403, 429)]
        self.assertEqual(throttled, [], "the provider had to throttle us")
        self.assertEqual(len(self.emulator.live_events(self.account)), self.burst)
        self.assertEqual(set(self.connection.link_ids.mapped("state")), {"in_sync"})
        runs = self.env["fieldops.calendar.sync.run"].search([("connection_id", "=", self.connection.id),
                                                              ("kind", "=", "push")])
        # every write went through the meter (whether it had to wait depends on how fast this machine is:
        # the engine's quota tests show the waits with the same meter)
        self.assertGreaterEqual(sum(runs.mapped("quota_units")), self.burst)
        # the health panel shows the quota in use, against the configured limit
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.quota_limit, self.units)


@tagged("post_install", "-at_install")
class TestBackpressureGoogle(BackpressureTests, SandboxCase):
    provider = "google"
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestBackpressureMicrosoft(BackpressureTests, SandboxCase):
    provider = "microsoft"
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestHealthPanel(SandboxCase):
    provider = "google"
    account_prefix = "health"

    def test_health_figures_of_a_connection(self):
        jobs = make_jobs(self, 3)
        run_job(self, self.connection, "_job_push")
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.health, "ok", self.connection.health_summary)
        self.assertGreaterEqual(self.connection.quota_used, 1)
        self.assertEqual((self.connection.quota_limit, self.connection.quota_window_label), (600, "60 s"))
        self.assertTrue(self.connection.token_expires_at and self.connection.token_expires_in)
        self.assertEqual(self.connection.push_lag_seconds, 0)
        # an access token past its hour is routine (the refresh token renews it): no alarm
        expires_at = self.connection.token_expires_at
        self.connection.sudo().token_expires_at = fields.Datetime.now() - timedelta(minutes=5)
        self.assertEqual(self.connection.token_expires_in, "renewed at the next sync")
        self.assertEqual(self.connection.health, "ok", self.connection.health_summary)
        self.connection.sudo().token_expires_at = expires_at
        runs = self.connection.sync_run_ids
        self.assertEqual((runs.kind, runs.outcome, runs.changes), ("push", "done", 3))

        # a change waiting for 20 minutes, and a failed job: the panel says so
        jobs[0].description = "<p>Changed</p>"
        link = jobs[0].calendar_link_ids
        self.assertEqual(link.state, "pending_push")
        link.pending_since = fields.Datetime.now() - timedelta(minutes=20)
        jobs[1].description = "<p>Changed too</p>"  # a second change does not reset the oldest's age
        self.assertEqual(link.state, "pending_push")
        # the push waiting since then fails (after the last push that went through)
        # (queue_job lets no one write date_created through the ORM)
        self.env["queue.job"].flush_model()
        self.env.cr.execute("UPDATE queue_job SET state = 'failed', date_created = %s WHERE identity_key = %s",
                            (fields.Datetime.now(), f"fieldops-calendar-push-{self.connection.id}"))
        self.env["queue.job"].invalidate_model()
        self.connection.invalidate_recordset()
        self.assertGreaterEqual(self.connection.push_lag_seconds, 20 * 60)
        self.assertEqual(self.connection.failed_job_count, 1)
        self.assertEqual(self.connection.health, "problem")
        self.assertIn("failed sync jobs since the last success: 1", self.connection.health_summary)
        self.assertIn("waited 20 minutes", self.connection.health_summary)
        action = self.connection.action_view_failed_jobs()
        self.assertEqual(self.env["queue.job"].search_count(action["domain"]), 1)

    def test_admins_get_activities_before_a_channel_or_client_secret_expires(self):
        Channel = self.env["fieldops.calendar.channel"]
        channel = Channel.search([("connection_id", "=", self.connection.id)], limit=1) or Channel.create({
            "connection_id": self.connection.id, "external_id": "chan-health", "state": "active"})
        channel.write({"state": "active", "expires_at": fields.Datetime.now() + timedelta(hours=3)})
        settings = self.env["res.config.settings"].create({
            "fieldops_google_secret_expires_on": fields.Datetime.now() + timedelta(days=5)})
        settings.execute()
        Connection = self.env["fieldops.calendar.connection"]
        Connection._cron_warn_before_expiry()
        Connection._cron_warn_before_expiry()  # twice: still one activity each
        summaries = self.connection.activity_ids.mapped("summary")
        self.assertEqual(summaries.count(f"Push channel of {self.connection.name} expires soon"), 1)
        self.assertEqual(summaries.count("Google Calendar client secret expires soon"), 1, summaries)
        self.assertEqual(self.connection.activity_ids.user_id, self.admin)

    def test_another_company_sees_none_of_the_health_data(self):
        make_jobs(self, 2)
        run_job(self, self.connection, "_job_push")
        other = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        outsider = new_test_user(self.env, "health_outsider", company_id=other.id, company_ids=[other.id],
                                 groups="fieldservice.group_fsm_manager,base.group_user")
        for model in ("fieldops.calendar.sync.run", "fieldops.calendar.sync.history",
                      "fieldops.calendar.quota.use"):
            self.assertTrue(self.env[model].search_count([("connection_id", "=", self.connection.id)]), model)
            self.assertFalse(self.env[model].with_user(outsider).search([]), model)
        action = self.env["ir.actions.act_window"]._for_xml_id("fieldops_calendar_sync.action_calendar_health")
        self.assertFalse(self.env[action["res_model"]].with_user(outsider).search([]))
        for method in ("action_view_sync_runs", "action_view_failed_jobs"):
            with self.assertRaises(AccessError):
                getattr(self.connection.with_user(outsider), method)()
        with self.assertRaises(AccessError):
            self.connection.with_user(outsider).read(["quota_used", "health_summary"])


@tagged("post_install", "-at_install")
class TestJobTimeline(SandboxCase):
    provider = "microsoft"
    account_prefix = "timeline"

    def test_every_step_on_a_job_is_on_its_timeline(self):
        job = make_jobs(self, 1)
        run_job(self, self.connection, "_job_push")
        event_id = job.calendar_link_ids.event_id
        self.emulator.person_edit(event_id, {"description": "Dog on site"}, account=self.account)
        run_job(self, self.connection, "_job_pull")
        job.description = "<p>Job side</p>"
        self.emulator.person_edit(event_id, {"description": "Calendar side"}, account=self.account)
        run_job(self, self.connection, "_job_pull")
        conflict = job.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        reviewer = new_test_user(self.env, "timeline_reviewer", groups="fieldservice.group_fsm_dispatcher")
        action = conflict.with_user(reviewer).action_review()
        form = Form(self.env[action["res_model"]].with_user(reviewer).with_context(action["context"]))
        with form.line_ids.edit(0) as line:
            line.choice = "calendar"
        form.save().action_confirm()

        steps = job.calendar_history_ids.sorted(lambda h: (h.at, h.id))
        self.assertEqual([(h.direction, h.action, h.outcome) for h in steps], [
            ("to_calendar", "create", "done"),
            ("from_calendar", "apply", "done"),
            ("from_calendar", "conflict", "review"),
            ("review", "resolve", "resolved"),
        ])
        create, apply, opened, resolved = steps
        self.assertTrue(create.remote_version)
        self.assertIn("notes: (empty) → Job 0", create.changes)
        self.assertEqual(apply.changes, "notes: Job 0 → Dog on site")
        self.assertEqual(opened.changes, "notes: Job side → Calendar side")
        self.assertEqual(resolved.user_id, reviewer)
        self.assertIn("calendar", resolved.changes.lower())
        # a dispatcher of another company sees none of it
        other = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        outsider = new_test_user(self.env, "timeline_outsider", company_id=other.id, company_ids=[other.id],
                                 groups="fieldservice.group_fsm_dispatcher,base.group_user")
        self.assertFalse(self.env["fieldops.calendar.sync.history"].with_user(outsider).search([]))


@tagged("post_install", "-at_install")
class TestFirstSyncPreview(SandboxCase):
    provider = "google"
    account_prefix = "first"

    def test_a_new_connection_shows_its_first_sync_before_doing_it(self):
        team = self.env["fsm.team"].create({"name": "Night crew"})
        self.team = team
        jobs = make_jobs(self, 3, day=9)
        done = make_jobs(self, 1, day=9)
        done.with_context(bypass_order_completed_stage=True).stage_id = self.env.ref(
            "fieldservice.fsm_stage_completed")
        account = "night-crew@example.test"
        connection = self.env["fieldops.calendar.connection"].create({
            "name": "Night crew calendar", "provider": "google", "account_email": account,
            "team_ids": [(6, 0, team.ids)], "responsible_user_id": self.admin.id})
        mark = len(self.emulator.requests_log())
        connection._demo_connect_sandbox(review_first_sync=True)
        self.assertEqual(connection.state, "sandbox_connected")
        self.assertTrue(connection.first_sync_pending)
        # the jobs planned before the connection are adopted (the completed one is not) but nothing moves
        self.assertEqual(connection.link_ids.job_id, jobs)
        queued = self.env["queue.job"].search([("identity_key", "in", [
            f"fieldops-calendar-push-{connection.id}", f"fieldops-calendar-pull-full-{connection.id}"])])
        self.assertFalse(queued)
        jobs[0].description = "<p>Edited before the first sync</p>"
        self.assertFalse(self.env["queue.job"].search([("identity_key", "=",
                                                        f"fieldops-calendar-push-{connection.id}")]))
        action = connection.action_preview_first_sync()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertTrue(wizard.first_sync)
        self.assertEqual({(line.job_id, line.action) for line in wizard.line_ids},
                         {(job, "create") for job in jobs})
        writes = [r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES
                  and "/events" in r["path"] and "watch" not in r["path"]]
        self.assertEqual(writes, [])

        wizard.action_sync_now()
        self.assertFalse(connection.first_sync_pending)
        run_job(self, connection, "_job_pull", full=True)
        run_job(self, connection, "_job_push")
        self.assertEqual(len(self.emulator.live_events(account)), 3)
        self.assertEqual(set(connection.link_ids.mapped("state")), {"in_sync"})

    def test_a_crew_added_to_a_calendar_brings_its_planned_jobs_and_a_removed_one_takes_them_away(self):
        extra = self.env["fsm.team"].create({"name": "Day crew"})
        base = make_jobs(self, 1, day=12)
        self.team = extra
        planned = make_jobs(self, 2, day=14)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(len(self.emulator.live_events(self.account)), 1)
        self.connection.team_ids = [(4, extra.id)]
        self.assertEqual(self.connection.link_ids.filtered(lambda link: link.state != "tombstone").job_id,
                         base | planned)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(len(self.emulator.live_events(self.account)), 3)
        self.connection.team_ids = [(3, extra.id)]
        run_job(self, self.connection, "_job_push")
        self.assertEqual(len(self.emulator.live_events(self.account)), 1)
        self.assertEqual(set(planned.calendar_link_ids.mapped("state")), {"tombstone"})

    def test_another_company_cannot_start_or_preview_a_first_sync(self):
        other = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        outsider = new_test_user(self.env, "first_outsider", company_id=other.id, company_ids=[other.id],
                                 groups="fieldservice.group_fsm_manager,base.group_user")
        self.connection.sudo().first_sync_pending = True
        for method in ("action_start_first_sync", "action_preview_first_sync"):
            with self.assertRaises(AccessError):
                getattr(self.connection.with_user(outsider), method)()
        self.assertTrue(self.connection.first_sync_pending)
