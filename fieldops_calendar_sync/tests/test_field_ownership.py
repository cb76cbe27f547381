"""Field ownership per connection: an owned field edited on the wrong side."""

from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .sandbox import SandboxCase, run_job


@tagged("post_install", "-at_install")
class TestFieldOwnership(SandboxCase):
    account_prefix = "owner"

    def setUp(self):
        super().setUp()
        self.job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": datetime(2027, 4, 6, 9, 0), "scheduled_date_end": datetime(2027, 4, 6, 10, 0),
            "description": "<p>Bring the ladder</p>"})
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        self.link = self.job.calendar_link_ids

    def _event(self):
        return {e["id"]: e for e in self.emulator.live_events(self.account)}[self.link.event_id]

    def test_a_job_owned_field_edited_in_the_calendar_is_undone_with_a_note(self):
        self.connection.owner_notes = "job"
        self.emulator.person_edit(self.link.event_id, {"description": "Someone's calendar note"},
                                  account=self.account)
        run_job(self, self.connection, "_job_pull")
        self.assertIn("Bring the ladder", self.job.description)
        self.assertIn("the job owns", self.job.message_ids[0].body)
        run_job(self, self.connection, "_job_push")
        self.assertTrue(self._event()["description"].startswith("Bring the ladder"))
        self.assertEqual(self.link.state, "in_sync")
        self.assertFalse(self.job.calendar_conflict_ids)

    def test_a_calendar_owned_field_is_refused_on_the_job_and_follows_the_calendar(self):
        self.connection.owner_schedule = "calendar"
        with self.assertRaisesRegex(UserError, "owned by the calendar"):
            self.job.write({"scheduled_date_start": datetime(2027, 4, 6, 13, 0),
                            "scheduled_date_end": datetime(2027, 4, 6, 14, 0)})
        self.job.description = "<p>Notes stay shared</p>"  # a field both own still flows
        self.emulator.person_edit(self.link.event_id, {"start": "2027-04-06T15:00:00Z", "end": "2027-04-06T16:00:00Z"},
                                  account=self.account)
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.job.scheduled_date_start, datetime(2027, 4, 6, 15, 0))
        self.assertIn("Notes stay shared", self._event()["description"])

    def test_both_is_the_default_and_keeps_the_review(self):
        self.assertEqual((self.connection.owner_schedule, self.connection.owner_notes), ("both", "both"))
        self.emulator.person_edit(self.link.event_id, {"description": "Calendar notes"}, account=self.account)
        self.job.description = "<p>Job notes</p>"
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.job.calendar_conflict_ids.filtered(lambda c: c.state == "open").kind, "fields")
