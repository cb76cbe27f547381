"""Preview sync: predicted job by job, nothing changed, and the real sync then does exactly that."""

from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .sandbox import SandboxCase, run_job

WRITES = ("POST", "PATCH", "PUT", "DELETE")


class PreviewTests:
    account_prefix = "preview"

    def _job(self, day):
        return self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": datetime(2027, 2, day, 9, 0), "scheduled_date_end": datetime(2027, 2, day, 11, 0),
            "description": "<p>Planned</p>"})

    def _busy_calendar(self):
        """Jobs to update, to take a calendar edit, in conflict, deleted there; then two new jobs."""
        jobs = [self._job(day) for day in (1, 2, 3, 4)]
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        event = {job: job.calendar_link_ids.event_id for job in jobs}
        jobs[0].write({"scheduled_date_start": datetime(2027, 2, 1, 13, 0),
                       "scheduled_date_end": datetime(2027, 2, 1, 15, 0)})
        self.emulator.person_edit(event[jobs[1]], {"description": "Gate code 4412"}, account=self.account)
        self.emulator.person_edit(event[jobs[2]], {"description": "Calendar notes"}, account=self.account)
        jobs[2].description = "<p>Job notes</p>"
        self.emulator.person_delete(event[jobs[3]], account=self.account)
        new = self._job(10) | self._job(11)
        return jobs, new

    def _writes(self, since):
        """Writes the provider accepted (a write refused with 412 changed nothing)."""
        return [r for r in self.emulator.requests_log()[since:] if r["method"] in WRITES and r.get("status", 0) < 300]

    def test_preview_lists_each_job_changes_nothing_and_predicts_the_real_sync(self):
        jobs, new = self._busy_calendar()
        links_before = {link.id: (link.state, link.remote_version, link.base_json)
                        for link in self.connection.link_ids}
        cursor, mark = self.connection.sync_cursor, len(self.emulator.requests_log())
        action = self.connection.action_preview_sync()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        lines = {(line.job_id, line.side, line.action) for line in wizard.line_ids}
        self.assertEqual(lines, {
            (new[0], "push", "create"), (new[1], "push", "create"),
            (jobs[0], "push", "update"),
            (jobs[1], "pull", "apply"),
            (jobs[2], "pull", "conflict"),
            (jobs[3], "pull", "review"),
        })
        self.assertIn("Update the job: 1", wizard.summary)
        # nothing changed: no provider write, links and cursor as they were
        self.assertEqual(self._writes(mark), [])
        self.env.invalidate_all()
        self.assertEqual({link.id: (link.state, link.remote_version, link.base_json)
                          for link in self.connection.link_ids}, links_before)
        self.assertEqual(self.connection.sync_cursor, cursor)
        # the real sync does what was predicted, as the provider saw it
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        writes = self._writes(mark)
        creates = [w for w in writes if w["method"] == "POST"]
        updates = [w for w in writes if w["method"] in ("PATCH", "PUT")]
        self.assertEqual(len(creates), 2)
        self.assertEqual(len(updates), 1)
        self.assertIn(jobs[0].calendar_link_ids.event_id, updates[0]["path"])
        self.assertIn("Gate code 4412", jobs[1].description)
        self.assertEqual(jobs[2].calendar_conflict_ids.filtered(lambda c: c.state == "open").kind, "fields")
        self.assertEqual(jobs[3].calendar_conflict_ids.filtered(lambda c: c.state == "open").kind, "deletion")

    def test_full_resync_preview_predicts_nothing_for_a_calendar_in_sync(self):
        self._job(5)
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        action = self.connection.action_preview_full_resync()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertTrue(wizard.full)
        self.assertFalse(wizard.line_ids)
        self.assertIn("agree", wizard.summary)

    def test_another_company_cannot_preview_this_calendar(self):
        other = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        outsider = new_test_user(self.env, "outsider", groups="fieldservice.group_fsm_dispatcher,base.group_user",
                                 company_id=other.id, company_ids=[other.id])
        with self.assertRaises(AccessError):
            self.connection.with_user(outsider).action_preview_sync()
        self.assertFalse(self.env["fieldops.calendar.sync.preview"].search([]).filtered(
            lambda w: w.create_uid == outsider))


@tagged("post_install", "-at_install")
class TestSyncPreviewGoogle(PreviewTests, SandboxCase):
    provider = "google"
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestSyncPreviewMicrosoft(PreviewTests, SandboxCase):
    provider = "microsoft"
    allow_inherited_tests_method = True
