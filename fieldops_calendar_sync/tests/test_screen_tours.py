"""Tours of the screens people act on: the health board, the job form's calendar hint, and the review
wizard's bulk choice and highlights. Each ends with checks of what the clicks really changed."""

from datetime import datetime, time, timedelta, timezone

from odoo import fields
from odoo.tests import tagged

from calsync.google import client as google_client

from .sandbox import SandboxCase, run_job
from .test_dispatcher_health import make_jobs


class DemoOutlookMixin:
    provider = "microsoft"

    def connect_demo_outlook(self):
        self.sandbox.microsoft.seed_demo()
        demo = self.env.ref("fieldops_calendar_sync.connection_outlook_service")
        demo._demo_connect_sandbox()
        self.assertEqual(demo.state, "sandbox_connected", demo.last_error)
        run_job(self, demo, "_job_pull", full=True)
        return demo


@tagged("post_install", "-at_install")
class TestHealthBoardTour(DemoOutlookMixin, SandboxCase):
    account_prefix = "board"

    def test_the_health_board_reads_at_a_glance(self):
        demo = self.connect_demo_outlook()
        demo.invalidate_recordset()
        self.assertEqual(demo.health, "warning", demo.health_summary)
        for never_connected in ("connection_google_ops", "connection_google_northwind"):
            self.assertEqual(self.env.ref(f"fieldops_calendar_sync.{never_connected}").health, "idle")
        self.start_tour("/odoo/calendar-health", "fieldops_health_board", login="admin")


@tagged("post_install", "-at_install")
class TestHealthFigures(SandboxCase):
    """Judged from the current state; repeated clicks fold into the waiting work."""

    account_prefix = "figures"

    def test_failures_before_the_last_success_no_longer_paint_the_card_red(self):
        make_jobs(self, 2)
        run_job(self, self.connection, "_job_push")
        # the push queued when it connected fails after that push went through (queue_job lets no one write
        # date_created through the ORM)
        key = f"fieldops-calendar-push-{self.connection.id}"
        self.env.flush_all()
        self.env.cr.execute("UPDATE queue_job SET state = 'failed', date_created = %s WHERE identity_key = %s",
                            (fields.Datetime.now() + timedelta(seconds=1), key))
        self.env["queue.job"].invalidate_model()
        failed = self.env["queue.job"].sudo().search([("identity_key", "=", key)])
        self.assertEqual(len(failed), 1)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.health, "problem", self.connection.health_summary)
        self.assertEqual(self.connection.failed_job_count, 1)
        # the failure is followed by a push that went through: the board turns back
        self.connection.sudo().last_push_at = fields.Datetime.now() + timedelta(seconds=2)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.failed_job_count, 0)
        self.assertEqual(self.connection.health, "ok", self.connection.health_summary)
        self.assertEqual(failed.state, "failed", "the job itself stays listed for whoever wants to look")
        self.assertEqual(self.connection.push_lag_text, "nothing waiting")
        self.assertIn("of 600 per 60 s", self.connection.quota_text)
        self.assertGreater(int(self.connection.quota_peak_text.split()[0]), 0, "the push used quota today")

    def test_six_clicks_on_sync_now_queue_one_pull_and_one_push(self):
        Job = self.env["queue.job"].sudo()
        mine = [("identity_key", "like", f"fieldops-calendar-%-{self.connection.id}")]
        Job.search(mine).write({"state": "done"})  # what connecting queued has run
        before = Job.search_count(mine)
        results = [self.connection.action_sync_now() for _click in range(6)]
        self.assertEqual(Job.search_count(mine) - before, 2)
        # a running pull counts as waiting work too: the next click joins it
        Job.search(mine).write({"state": "started"})
        again = self.connection.action_sync_now()
        self.assertEqual(Job.search_count(mine) - before, 2)
        self.assertEqual(results[0]["tag"], "display_notification")
        self.assertIn("queued", results[0]["params"]["message"])
        self.assertIn("joins it", again["params"]["message"])


@tagged("post_install", "-at_install")
class TestProgressAndMessages(SandboxCase):
    """Long steps show how far they got; the chatter says what really happened."""

    account_prefix = "progress"

    def test_removing_events_counts_against_the_links_and_the_chatter_says_they_were_removed(self):
        make_jobs(self, 3)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(len(self.emulator.live_events(self.account)), 3)
        answer = self.connection.action_disconnect_remove_events()
        self.assertEqual(answer["tag"], "display_notification")
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.progress_label, "Removing events: 0 of 3")
        run_job(self, self.connection, "_job_remove_events_and_disconnect")
        self.connection.invalidate_recordset()
        self.assertFalse(self.connection.progress_label, "the step is over")
        self.assertEqual(self.emulator.live_events(self.account), [])
        self.assertEqual(self.connection.state, "disconnected")
        notes = " ".join(str(body) for body in self.connection.message_ids.mapped("body"))
        self.assertIn("3 job events removed from the calendar, then disconnected.", notes)
        self.assertNotIn("left in place", notes)

    def test_a_full_resync_shows_the_events_read_so_far(self):
        make_jobs(self, 5)
        run_job(self, self.connection, "_job_push")
        Connection = type(self.connection)
        original = Connection._report_progress
        labels = []

        def report_and_read(connection, kind, done, total=0):
            original(connection, kind, done, total)
            connection.invalidate_recordset(["progress_label"])
            labels.append(connection.progress_label)

        self.patch(Connection, "_report_progress", report_and_read)
        self.patch(google_client, "PAGE_SIZE", 2)  # pages of two events, so the read takes three pages
        answer = self.connection.action_full_resync()
        self.assertIn("Full resync queued", answer["params"]["message"])
        run_job(self, self.connection, "_job_pull", full=True)
        self.assertEqual(labels, [f"Full resync: {n} events read so far" for n in (2, 4, 5)])
        self.connection.invalidate_recordset()
        self.assertFalse(self.connection.progress_label)


@tagged("post_install", "-at_install")
class TestJobCalendarHintTour(SandboxCase):
    account_prefix = "hint"

    def test_the_dispatchers_new_job_names_its_calendar_before_and_after_saving(self):
        ops = self.env.ref("fieldops_calendar_sync.connection_google_ops")
        before = self.env["fsm.order"].search([]).ids
        self.start_tour("/odoo/action-fieldservice.action_fsm_operation_order/new", "fieldops_job_calendar_hint",
                        login="dispatcher")
        job = self.env["fsm.order"].search([("id", "not in", before)])
        self.assertEqual(len(job), 1)
        self.assertEqual(job.calendar_link_ids.connection_id, ops, "the first new job reaches a calendar")
        self.assertIn(ops.name, job.calendar_target_text)

    def test_why_a_job_reaches_no_calendar(self):
        team = self.env["fsm.team"].create({"name": "Nobody's team"})
        job = self.env["fsm.order"].new({"team_id": team.id, "location_id": self.env.ref("fieldservice.location_1").id})
        self.assertFalse(job.calendar_target_found)
        self.assertIn("Neither its team (Nobody's team)", job.calendar_target_text)
        self.connection.job_domain = "[('priority', '=', '3')]"
        job = self.env["fsm.order"].new({"team_id": self.team.id, "priority": "0",
                                         "location_id": self.env.ref("fieldservice.location_1").id})
        self.assertIn("job filter leaves this job out", job.calendar_target_text)
        self.connection.write({"job_domain": "[]", "direction": "pull_only"})
        job = self.env["fsm.order"].new({"team_id": self.team.id,
                                         "location_id": self.env.ref("fieldservice.location_1").id})
        self.assertIn("calendar to jobs only", job.calendar_target_text)


@tagged("post_install", "-at_install")
class TestConflictBulkTour(DemoOutlookMixin, SandboxCase):
    account_prefix = "bulk"

    def test_bulk_choice_keeps_the_comparison_and_one_note_is_written(self):
        demo = self.connect_demo_outlook()
        conflict = self.env["fieldops.calendar.conflict"].search(
            [("connection_id", "=", demo.id), ("state", "=", "open")])
        job = conflict.job_id
        dispatcher = self.env.ref("fieldops_calendar_sync.user_dispatcher")
        notes_before = len(job.message_ids)
        self.start_tour("/odoo/calendar-conflicts", "fieldops_conflict_bulk", login="dispatcher")
        self.env.invalidate_all()
        self.assertEqual((conflict.state, conflict.resolved_by_id), ("resolved", dispatcher))
        new_notes = job.message_ids[: len(job.message_ids) - notes_before]
        settled = new_notes.filtered(lambda m: "Dana Dispatcher" in (m.body or ""))
        self.assertEqual(len(settled), 1, new_notes.mapped("body"))


@tagged("post_install", "-at_install")
class TestBusyWarningTour(SandboxCase):
    account_prefix = "busytour"

    def test_the_dispatcher_sees_the_busy_warning_and_can_still_save(self):
        person = self.env["fsm.person"].create({"name": "Sam Busytour"})
        self.connection.person_ids = [(6, 0, person.ids)]
        start = datetime.combine(datetime.now(timezone.utc).date() + timedelta(days=2), time(13))
        self.emulator.person_create(self.account, {"title": "Private", "start": start.replace(tzinfo=timezone.utc),
                                                   "end": (start + timedelta(hours=1)).replace(tzinfo=timezone.utc)})
        self.connection._refresh_busy_times()
        job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "scheduled_date_start": start,
            "scheduled_date_end": start + timedelta(hours=2)})
        self.start_tour(f"/odoo/action-fieldservice.action_fsm_operation_order/{job.id}", "fieldops_busy_warning",
                        login="dispatcher")
        self.assertEqual(job.person_id, person, "saved despite the warning")
