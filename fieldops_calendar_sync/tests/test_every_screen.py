"""Every screen opens: Odoo's click bot over the Field Service app as the admin, the dispatcher and
the second company's user, then every window action and button-reached action in each view mode."""

from odoo.tests import HttpCase, tagged

from .sandbox import SandboxCase, run_job
from .screens import button_steps, click_everywhere, open_steps, window_action_steps

ADDONS = ("fieldops_calendar_sync",)


@tagged("post_install", "-at_install")
class TestClickEverywhere(HttpCase):
    """Not tagged out of default runs, unlike Odoo's own click-everywhere tests."""

    allow_end_on_form = True

    def test_click_everywhere_as_admin(self):
        click_everywhere(self, "admin")

    def test_click_everywhere_as_dispatcher(self):
        click_everywhere(self, "dispatcher")

    def test_click_everywhere_as_second_company_user(self):
        click_everywhere(self, "northwind")


@tagged("post_install", "-at_install")
class TestEveryAction(SandboxCase):
    """Every window action of the addon, and those reached from buttons, with records to show."""

    provider = "microsoft"
    account_prefix = "screens"

    def prepare_records(self):
        """The demo Outlook calendar connected and pulled: sync runs, links and the seed's open conflict."""
        self.sandbox.microsoft.seed_demo()
        demo = self.env.ref("fieldops_calendar_sync.connection_outlook_service")
        demo._demo_connect_sandbox()
        self.assertEqual(demo.state, "sandbox_connected", demo.last_error)
        run_job(self, demo, "_job_pull", full=True)
        run_job(self, demo, "_job_push")
        conflict = self.env["fieldops.calendar.conflict"].search(
            [("connection_id", "=", demo.id), ("state", "=", "open")], limit=1)
        self.assertTrue(conflict, "the seed's conflict-review slot")
        return demo, conflict

    def test_every_action_in_every_view_mode_opens(self):
        demo, conflict = self.prepare_records()
        job = conflict.job_id
        steps = window_action_steps(self.env, ADDONS)
        steps += button_steps(demo, ["action_view_sync_runs", "action_view_links", "action_view_pending",
                                     "action_view_conflicts", "action_view_failed_jobs", "action_preview_sync"])
        steps += button_steps(conflict, ["action_review"])
        steps += button_steps(job, ["action_view_calendar_links"])
        organization = self.env.ref("fieldops_calendar_sync.organization_google_technicians")
        steps += button_steps(organization, ["action_add_technicians", "action_view_technicians"])
        # the free-slot wizard needs a job with a worker and a duration
        slot_job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id,
            "person_id": self.env.ref("fieldservice.person_1").id,
            "scheduled_date_start": job.scheduled_date_start or "2030-01-07 09:00:00",
            "scheduled_date_end": job.scheduled_date_end or "2030-01-07 10:00:00"})
        steps += button_steps(slot_job, ["action_fieldops_find_free_slot"])
        # Field Service settings, where the Calendar Sync block (availability included) lives
        steps.append({"label": "fieldservice.action_fsm_config (form)", "xmlid": "fieldservice.action_fsm_config",
                      "view": "form"})
        self.assertIn("fieldops_calendar_sync.action_calendar_sync_run (graph)", [s["label"] for s in steps])
        self.assertIn("fieldops_calendar_sync.action_calendar_organization (form)", [s["label"] for s in steps])
        open_steps(self, steps)
