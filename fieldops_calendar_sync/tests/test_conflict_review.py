"""Conflict review: each choice, stale reviews refused, the audit trail, and tenancy."""

from datetime import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .sandbox import SandboxCase, run_job


@tagged("post_install", "-at_install")
class TestConflictReview(SandboxCase):
    account_prefix = "review"

    def setUp(self):
        super().setUp()
        self.reviewer = new_test_user(self.env, "reviewer", groups="fieldservice.group_fsm_dispatcher,base.group_user",
                                      email="reviewer@example.test")
        self.job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": datetime(2026, 12, 21, 9, 0), "scheduled_date_end": datetime(2026, 12, 21, 10, 0),
            "description": "<p>Original notes</p>"})
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        self.link = self.job.calendar_link_ids

    def _make_notes_conflict(self):
        self.emulator.person_edit(self.link.event_id, {"description": "Calendar notes"})
        self.job.description = "<p>Job notes</p>"
        run_job(self, self.connection, "_job_pull")
        conflict = self.job.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        self.assertEqual(conflict.line_ids.field_name, "notes")
        return conflict

    def _review(self, conflict, user=None):
        action = conflict.with_user(user or self.reviewer).action_review()
        return Form(self.env[action["res_model"]].with_user(user or self.reviewer).with_context(**action["context"]))

    def _event(self):
        return {e["id"]: e for e in self.emulator.live_events(self.account)}[self.link.event_id]

    def test_take_the_calendar_value(self):
        conflict = self._make_notes_conflict()
        form = self._review(conflict)
        with form.line_ids.edit(0) as line:
            line.choice = "calendar"
        form.save().action_confirm()
        self.assertEqual(conflict.state, "resolved")
        self.assertEqual(conflict.resolved_by_id, self.reviewer)
        self.assertIn("Calendar notes", self.job.description)
        self.assertIn("reviewer", self.job.message_ids[0].body.lower() + self.job.message_ids[1].body.lower())
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self.link.state, "in_sync")
        self.assertEqual(self._event()["description"].splitlines()[0], "Calendar notes")

    def test_a_job_edited_to_the_calendar_value_settles_the_conflict_by_itself(self):
        conflict = self._make_notes_conflict()
        mark = len(self.emulator.requests_log())
        self.job.description = "<p>Calendar notes</p>"
        self.assertEqual(conflict.state, "resolved")
        self.assertFalse(conflict.resolved_by_id)
        self.assertIn("same values", conflict.resolution)
        self.assertFalse(self.link.held_json)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self.link.state, "in_sync")
        writes = [r for r in self.emulator.requests_log()[mark:] if r["method"] in ("POST", "PATCH", "PUT", "DELETE")]
        self.assertEqual(writes, [])  # the calendar already holds it
        self.assertEqual(self.job.calendar_history_ids[:1].action, "resolve")

    def test_a_job_edited_to_a_third_value_keeps_the_conflict_open(self):
        conflict = self._make_notes_conflict()
        self.job.description = "<p>Something else</p>"
        self.assertEqual(conflict.state, "open")
        self.assertEqual(conflict.line_ids.job_value, "Something else")

    def test_keep_the_job_value(self):
        conflict = self._make_notes_conflict()
        self._review(conflict).save().action_confirm()  # 'job' is the default choice
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self._event()["description"].splitlines()[0], "Job notes")
        self.assertIn("Job notes", self.job.description)
        self.assertEqual(self.job.calendar_sync_status, "synced")

    def test_enter_a_value_for_a_time(self):
        self.emulator.person_edit(self.link.event_id, {"start": "2026-12-21T11:00:00Z", "end": "2026-12-21T12:00:00Z"})
        self.job.write({"scheduled_date_start": datetime(2026, 12, 21, 7, 0),
                        "scheduled_date_end": datetime(2026, 12, 21, 8, 0)})
        run_job(self, self.connection, "_job_pull")
        conflict = self.job.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        self.assertEqual(set(conflict.line_ids.mapped("field_name")), {"start", "end"})
        form = self._review(conflict)
        for index in range(2):
            with form.line_ids.edit(index) as line:
                line.choice = "custom"
                line.custom_datetime = datetime(2026, 12, 21, 14 if line.field_name == "start" else 15, 0)
        form.save().action_confirm()
        self.assertEqual(self.job.scheduled_date_start, datetime(2026, 12, 21, 14, 0))
        self.assertEqual(self.job.scheduled_date_end, datetime(2026, 12, 21, 15, 0))
        run_job(self, self.connection, "_job_push")
        self.assertTrue(self._event()["start"]["dateTime"].endswith("15:00:00+01:00"))

    def test_stale_review_is_refused(self):
        conflict = self._make_notes_conflict()
        wizard = self._review(conflict).save()
        self.job.description = "<p>Job changed again while the reviewer looked</p>"
        with self.assertRaisesRegex(UserError, "changed while you were reviewing"):
            wizard.action_confirm()
        self.assertEqual(conflict.state, "open")
        self.assertIn("changed again", conflict.line_ids.job_value)

    def test_deletion_restore_the_event(self):
        self.emulator.person_delete(self.link.event_id)
        run_job(self, self.connection, "_job_pull")
        conflict = self.job.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        self.assertEqual(conflict.kind, "deletion")
        form = self._review(conflict)
        form.deletion_choice = "restore"
        form.save().action_confirm()
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self.link.state, "in_sync")
        self.assertEqual(self._event()["status"], "confirmed")

    def test_deletion_cancel_the_job(self):
        self.emulator.person_delete(self.link.event_id)
        run_job(self, self.connection, "_job_pull")
        conflict = self.job.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        form = self._review(conflict)
        form.deletion_choice = "cancel"
        form.save().action_confirm()
        self.assertEqual(self.job.stage_id, self.env.ref("fieldservice.fsm_stage_cancelled"))
        self.assertEqual(self.link.state, "tombstone")

    def test_other_company_reviewer_cannot_see_or_resolve(self):
        conflict = self._make_notes_conflict()
        other = self.env["res.company"].create({"name": "Elsewhere Ltd"})
        outsider = new_test_user(self.env, "outsider", groups="fieldservice.group_fsm_dispatcher,base.group_user",
                                 company_id=other.id, company_ids=[other.id])
        with self.assertRaises(AccessError):
            conflict.with_user(outsider).read(["state"])
        self.assertFalse(self.env["fieldops.calendar.conflict"].with_user(outsider).search([]))
        # and by URL: the JSON-RPC read the web client would do is refused
        self.authenticate("outsider", "outsider")
        with self.assertRaises(Exception):  # noqa: B017 - the RPC answers with an access error
            self.make_jsonrpc_request("/web/dataset/call_kw/fieldops.calendar.conflict/read", {
                "model": "fieldops.calendar.conflict", "method": "read", "args": [[conflict.id], ["state"]],
                "kwargs": {}})

    def test_bulk_take_the_calendar_values_settles_field_conflicts_and_leaves_deletions(self):
        conflict = self._make_notes_conflict()
        other = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": datetime(2026, 12, 22, 9, 0), "scheduled_date_end": datetime(2026, 12, 22, 10, 0)})
        run_job(self, self.connection, "_job_push")
        self.emulator.person_delete(other.calendar_link_ids.event_id)
        run_job(self, self.connection, "_job_pull")
        deletion = other.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        self.assertEqual(deletion.kind, "deletion")
        selected = (conflict | deletion).with_user(self.reviewer)
        answer = selected.action_bulk_take_calendar()
        self.assertIn("1 left for review", answer["params"]["message"])
        self.assertEqual((conflict.state, deletion.state), ("resolved", "open"))
        self.assertEqual(conflict.resolved_by_id, self.reviewer)
        self.assertIn("Calendar notes", self.job.description)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self._event()["description"].splitlines()[0], "Calendar notes")

    def test_bulk_keep_the_job_values(self):
        conflict = self._make_notes_conflict()
        conflict.with_user(self.reviewer).action_bulk_keep_job()
        self.assertEqual(conflict.state, "resolved")
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self._event()["description"].splitlines()[0], "Job notes")

    def test_bulk_action_with_nothing_simple_selected_says_so(self):
        self.emulator.person_delete(self.link.event_id)
        run_job(self, self.connection, "_job_pull")
        deletion = self.job.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        with self.assertRaisesRegex(UserError, "one by one"):
            deletion.with_user(self.reviewer).action_bulk_keep_job()
        self.assertEqual(deletion.state, "open")
