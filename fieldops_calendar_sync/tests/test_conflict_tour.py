"""The demo conflict settled in a real browser, by the demo dispatcher, through the wizard."""

from odoo.tests import tagged

from .sandbox import SandboxCase, run_job


@tagged("post_install", "-at_install")
class TestConflictReviewTour(SandboxCase):
    provider = "microsoft"
    account_prefix = "tour"

    def test_demo_conflict_is_settled_in_the_browser(self):
        graph = self.sandbox.microsoft
        graph.seed_demo()
        demo = self.env.ref("fieldops_calendar_sync.connection_outlook_service")
        demo._demo_connect_sandbox()
        self.assertEqual(demo.state, "sandbox_connected", demo.last_error)
        run_job(self, demo, "_job_pull", full=True)
        link = self.env.ref("fieldops_calendar_sync.link_hvac_maintenance")
        conflict = link.job_id.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        self.assertEqual(conflict.line_ids.mapped("field_name"), ["notes"], "the seed's conflict-review slot")
        calendar_notes = conflict.line_ids.calendar_value
        self.assertNotIn(calendar_notes, link.job_id.description)

        self.start_tour("/odoo/calendar-conflicts", "fieldops_conflict_review", login="dispatcher")

        self.env.invalidate_all()
        dispatcher = self.env.ref("fieldops_calendar_sync.user_dispatcher")
        self.assertEqual(conflict.state, "resolved")
        self.assertEqual(conflict.resolved_by_id, dispatcher)
        self.assertIn(calendar_notes.splitlines()[0], link.job_id.description)
        self.assertIn("Dana Dispatcher", link.job_id.message_ids[0].body)
        run_job(self, demo, "_job_push")
        self.assertEqual(link.state, "in_sync")
        event = {e["id"]: e for e in graph.live_events(demo.account_email)}[link.event_id]
        self.assertIn(calendar_notes.splitlines()[0], event["body"]["content"])
