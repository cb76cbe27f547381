"""Issue 19 in the addon, against the sandbox emulators: direction rules (the 412 re-plan included),
one bad job never stopping its calendar, and a start written alone keeping the job's duration."""

from datetime import datetime, timedelta, timezone

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .sandbox import SandboxCase, run_job

START, END = datetime(2027, 5, 4, 9, 0), datetime(2027, 5, 4, 10, 0)


@tagged("post_install", "-at_install")
class TestSyncRules(SandboxCase):
    account_prefix = "rules"

    def setUp(self):
        super().setUp()
        self.job = self._job(START, END, "<p>Bring the ladder</p>")
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        self.link = self.job.calendar_link_ids
        self.assertEqual(self.link.state, "in_sync")

    def _job(self, start, end, description="<p>Job</p>"):
        return self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": start, "scheduled_date_end": end, "description": description})

    def _remote(self, link=None):
        return self.connection._make_client().get((link or self.link).event_id)

    @staticmethod
    def _utc(value):
        return value.replace(tzinfo=timezone.utc)

    # -- 1. direction ------------------------------------------------------------------------------------
    def test_push_only_412_replan_undoes_the_calendar_move_and_never_writes_the_job(self):
        self.connection.direction = "push_only"
        self.emulator.person_edit(self.link.event_id, {"start": "2027-05-04T15:00:00Z", "end": "2027-05-04T16:00:00Z"},
                                  account=self.account)
        self.job.description = "<p>Dispatcher notes</p>"  # the push meets the newer event: a 412 re-plan
        run_job(self, self.connection, "_job_push")
        self.assertEqual((self.job.scheduled_date_start, self.job.scheduled_date_end), (START, END))
        remote = self._remote()
        self.assertEqual(remote.data.start, self._utc(START), "the calendar's move is undone")
        self.assertTrue(remote.data.description.startswith("Dispatcher notes"))
        self.assertEqual(self.link.state, "in_sync")
        self.assertFalse(self.job.calendar_conflict_ids)
        self.assertTrue(any("start" in m.body.lower() and "restored" in m.body for m in self.job.message_ids),
                        "a chatter note says what the calendar had changed")

    def test_pull_only_keeps_the_dispatchers_edit_unsent_and_a_calendar_edit_opens_a_conflict(self):
        self.connection.direction = "pull_only"
        version = self._remote().version
        self.job.description = "<p>Dispatcher notes</p>"
        self.assertEqual(self.link.state, "pending_push", "kept in Odoo, marked as not sent")
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self._remote().version, version, "a pull-only connection never writes the calendar")
        self.emulator.person_edit(self.link.event_id, {"description": "Calendar notes"}, account=self.account)
        run_job(self, self.connection, "_job_pull")
        self.assertIn("Dispatcher notes", self.job.description)
        self.assertEqual(self.job.calendar_conflict_ids.filtered(lambda c: c.state == "open").kind, "fields")
        self.assertEqual(self._remote().data.description, "Calendar notes")

    # -- 3. one bad job never stops its calendar ---------------------------------------------------------------
    def test_a_job_ending_before_it_starts_is_an_error_on_its_link_and_the_calendar_goes_on(self):
        other = self._job(START + timedelta(days=1), END + timedelta(days=1))
        # a job saved before the check existed (the constraint refuses it now): written below the ORM
        self.env.cr.execute("UPDATE fsm_order SET scheduled_date_end = %s WHERE id = %s",
                            (START - timedelta(hours=1), self.job.id))
        self.job.invalidate_recordset()
        self.link.state = "pending_push"
        self.emulator.person_edit(self.link.event_id, {"description": "Calendar notes"}, account=self.account)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self.link.state, "error")
        self.assertIn(self.job.display_name, self.link.last_error)
        self.assertIn("end is not after its start", self.link.last_error)
        self.assertEqual(other.calendar_link_ids.state, "in_sync", "the other job synced")
        self.assertIn(self.connection.state, ("connected", "sandbox_connected"))
        self.assertEqual(self.connection.error_count, 1, "the health panel counts the failing job")

    # -- 4. start and end together ----------------------------------------------------------------------------
    def test_writing_only_the_start_keeps_the_duration_on_the_job_and_the_event(self):
        self.job.write({"scheduled_date_start": START + timedelta(hours=4)})
        self.assertEqual(self.job.scheduled_date_end, END + timedelta(hours=4))
        run_job(self, self.connection, "_job_push")
        remote = self._remote()
        self.assertEqual((remote.data.start, remote.data.end),
                         (self._utc(START + timedelta(hours=4)), self._utc(END + timedelta(hours=4))))
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.link.state, "in_sync")
        self.assertFalse(self.job.calendar_conflict_ids)

    def test_a_job_ending_at_or_before_its_start_is_refused_at_save(self):
        with self.assertRaisesRegex(ValidationError, "ends at or before its start"):
            self.job.write({"scheduled_date_start": START, "scheduled_date_end": START})
        with self.assertRaisesRegex(ValidationError, "ends at or before its start"):
            self._job(START, START - timedelta(hours=1))

    def test_a_calendar_edit_making_the_job_end_at_its_start_is_not_applied(self):
        self.emulator.person_edit(self.link.event_id, {"end": "2027-05-04T09:00:00Z"}, account=self.account)
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.job.scheduled_date_end, END)
        self.assertEqual(self.link.state, "error")
        self.assertIn(self.job.display_name, self.link.last_error)
        self.assertIn(self.connection.state, ("connected", "sandbox_connected"))
