"""Notes both sides added lines to are merged, not sent to review (issue #24), against both sandbox emulators.

The dispatcher appends a line to the job's description in Odoo, the technician appends one at the end of the
event; the pull merges them, the push sends the merged text, and no conflict opens. A clash of the same line
still opens a conflict, whose review offers the merged text as a choice.
"""

from datetime import datetime

from odoo.tests import tagged

from calsync.mapping import normalise_notes

from .sandbox import SandboxCase, run_job

WRITES = ("POST", "PATCH", "PUT", "DELETE")
NOTES = "<p>Service the chiller<br>Gate code 4411</p><p>Call the site manager first</p>"


class NotesMergeCases:
    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own test methods otherwise
    def _job(self):
        return self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_2").id, "team_id": self.team.id,
            "scheduled_date_start": datetime(2026, 12, 14, 9, 0), "scheduled_date_end": datetime(2026, 12, 14, 11, 0),
            "description": NOTES,
        })

    def _event(self, link):
        return {e["id"]: e for e in self.emulator.live_events(self.account)}[link.event_id]

    def _synced_job(self):
        job = self._job()
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(job.calendar_link_ids.state, "in_sync")
        return job

    def _writes_since(self, mark):
        return [r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES]

    def test_both_appends_are_merged_pushed_once_and_no_conflict_opens(self):
        job = self._synced_job()
        link = job.calendar_link_ids
        self.technician_appends(link, "Technician: the side gate is locked")
        job.description = NOTES + "<p>Dispatcher: customer prefers mornings</p>"
        merged = ("Service the chiller\nGate code 4411\nCall the site manager first\n"
                  "Dispatcher: customer prefers mornings\nTechnician: the side gate is locked")

        run_job(self, self.connection, "_job_pull")
        self.assertFalse(job.calendar_conflict_ids, "appends on both sides went to review")
        self.assertEqual(normalise_notes(job.description), merged)
        self.assertEqual(link.state, "pending_push")
        merge_rows = job.calendar_history_ids.filtered(lambda h: h.action == "merge")
        self.assertEqual(len(merge_rows), 1)
        self.assertIn("job added: Dispatcher: customer prefers mornings", merge_rows.detail)
        self.assertIn("calendar added: Technician: the side gate is locked", merge_rows.detail)

        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_push")
        self.assertEqual(len(self._writes_since(mark)), 1, "the merged text is sent in one write")
        self.assertEqual(link.state, "in_sync")
        self.assertEqual(self.event_notes(self._event(link)), merged)

        # no echo: the next pull and push write nothing, the job keeps its merged notes
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_pull")
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self._writes_since(mark), [])
        self.assertEqual(normalise_notes(job.description), merged)
        self.assertFalse(job.calendar_conflict_ids)

    def test_a_clash_of_the_same_line_opens_a_review_offering_the_merged_text(self):
        job = self._synced_job()
        link = job.calendar_link_ids
        self.technician_replaces(link, "Gate code 4411", "Gate code 1234")
        job.description = NOTES.replace("4411", "9999")
        run_job(self, self.connection, "_job_pull")
        conflict = job.calendar_conflict_ids
        self.assertEqual(conflict.state, "open")
        line = conflict.line_ids
        self.assertEqual(line.field_name, "notes")
        self.assertEqual(line.merged_value, "Service the chiller\nGate code 9999\nGate code 1234\n"
                                            "Call the site manager first")
        review = self.env["fieldops.calendar.conflict.review"].with_context(
            default_conflict_id=conflict.id).create({})
        shown = review.line_ids.merged_diff
        self.assertIn('o_fieldops_clash_job', shown)
        self.assertIn('o_fieldops_clash_calendar', shown)
        self.assertIn("Gate code 1234", shown)
        review.line_ids.choice = "merged"
        review.action_confirm()
        self.assertEqual(conflict.state, "resolved")
        self.assertEqual(normalise_notes(job.description), line.merged_value)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self.event_notes(self._event(link)), line.merged_value)
        self.assertEqual(link.state, "in_sync")

    def test_a_job_owned_notes_field_is_not_merged(self):
        self.connection.owner_notes = "job"
        job = self._synced_job()
        link = job.calendar_link_ids
        self.technician_appends(link, "Technician line")
        job.description = NOTES + "<p>Dispatcher line</p>"
        run_job(self, self.connection, "_job_pull")
        run_job(self, self.connection, "_job_push")
        self.assertNotIn("Technician line", job.description)
        self.assertNotIn("Technician line", self.event_notes(self._event(link)))
        self.assertFalse(self.env["fieldops.calendar.sync.history"].search(
            [("job_id", "=", job.id), ("action", "=", "merge")]))


@tagged("post_install", "-at_install")
class TestNotesMergeGoogle(NotesMergeCases, SandboxCase):
    provider = "google"
    account_prefix = "notesg"

    def event_notes(self, event):
        text = normalise_notes(event.get("description") or "")
        return text.rpartition("\n\nFieldOps crew: ")[0] if "\n\nFieldOps crew: " in text else text

    def technician_appends(self, link, line):
        # typed in Google Calendar at the very end of the description, on a new line
        description = self._event(link).get("description") or ""
        self.emulator.person_edit(link.event_id, {"description": f"{description}\n{line}"})

    def technician_replaces(self, link, old, new):
        description = self._event(link).get("description") or ""
        self.emulator.person_edit(link.event_id, {"description": description.replace(old, new)})


@tagged("post_install", "-at_install")
class TestNotesMergeMicrosoft(NotesMergeCases, SandboxCase):
    provider = "microsoft"
    account_prefix = "notesm"

    def event_notes(self, event):
        text = normalise_notes((event.get("body") or {}).get("content") or "")
        return text.rpartition("\n\nFieldOps crew: ")[0] if "\n\nFieldOps crew: " in text else text

    def _body_lines(self, link):
        return normalise_notes((self._event(link).get("body") or {}).get("content") or "").split("\n")

    def technician_appends(self, link, line):
        # Outlook keeps the body as HTML: the technician's new line is one more line break at the end
        self.emulator.person_edit(link.event_id, {"description": "<br>".join([*self._body_lines(link), line])})

    def technician_replaces(self, link, old, new):
        lines = [text.replace(old, new) for text in self._body_lines(link)]
        self.emulator.person_edit(link.event_id, {"description": "<br>".join(lines)})


@tagged("post_install", "-at_install")
class TestNotesMergeTour(SandboxCase):
    """The demo conflict (the same line of the notes edited on both sides) settled with the merged notes."""

    provider = "microsoft"
    account_prefix = "notestour"

    def test_the_review_offers_the_merged_notes_in_the_browser(self):
        graph = self.sandbox.microsoft
        graph.seed_demo()
        demo = self.env.ref("fieldops_calendar_sync.connection_outlook_service")
        demo._demo_connect_sandbox()
        run_job(self, demo, "_job_pull", full=True)
        link = self.env.ref("fieldops_calendar_sync.link_hvac_maintenance")
        conflict = link.job_id.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        line = conflict.line_ids
        self.assertEqual(line.mapped("field_name"), ["notes"])
        merged = line.merged_value
        self.assertIn("Bring the new G4 filters", merged)
        self.assertIn("Site asks to start after lunch", merged)

        self.start_tour("/odoo/calendar-conflicts", "fieldops_conflict_merged_notes", login="dispatcher")

        self.env.invalidate_all()
        self.assertEqual(conflict.state, "resolved")
        self.assertEqual(normalise_notes(link.job_id.description), merged)
        run_job(self, demo, "_job_push")
        self.assertEqual(link.state, "in_sync")
        event = {e["id"]: e for e in graph.live_events(demo.account_email)}[link.event_id]
        self.assertIn("Site asks to start after lunch", event["body"]["content"])
        self.assertIn("Bring the new G4 filters", event["body"]["content"])
