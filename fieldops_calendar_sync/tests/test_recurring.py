"""Jobs linked to occurrences of a recurring calendar event, with both providers' sandboxes."""

import json
from datetime import datetime, timedelta, timezone

from odoo.tests import tagged

from calsync.mapping import event_values, to_base

from .sandbox import SandboxCase, run_job

START = datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc)
WRITES = ("POST", "PATCH", "PUT", "DELETE")


class RecurringTests:
    """The tests, run once per provider by the classes at the end (a mixin, so not collected alone)."""

    account_prefix = "series"

    def setUp(self):
        super().setUp()
        self.series = self.emulator.person_create_series(self.account, {
            "title": "Cold room check", "start": START, "end": START + timedelta(hours=1),
            "description": "Check the cold room"}, "FREQ=DAILY;COUNT=4")
        self.occurrences = self.emulator.occurrence_ids(self.series, account=self.account)
        run_job(self, self.connection, "_job_pull", full=True)  # nothing of ours yet: the series is ignored
        listing = {e.id: e for e in self.connection._make_client().list_changes(None).events}
        self.jobs = self.env["fsm.order"]
        for event_id in self.occurrences[:3]:
            remote = listing[event_id]
            job = self.env["fsm.order"].create({
                "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
                "scheduled_date_start": remote.data.start.replace(tzinfo=None),
                "scheduled_date_end": remote.data.end.replace(tzinfo=None),
                "description": "<p>Check the cold room</p>"})
            # the job is linked to this one occurrence; the push then gives the occurrence the job's title
            job.calendar_link_ids.write({"event_id": event_id, "remote_version": remote.version,
                                         "state": "pending_push",
                                         "base_json": json.dumps(to_base(event_values(remote)))})
            self.jobs |= job
        run_job(self, self.connection, "_job_push")  # the agreed titles and locations go out once
        run_job(self, self.connection, "_job_pull")

    def events(self):
        return {e.id: e for e in self.connection._make_client().list_changes(None).events}

    def test_moving_an_occurrence_moves_its_job_and_a_job_edit_makes_an_exception(self):
        moved = START + timedelta(days=1, hours=6)
        self.emulator.person_edit(self.occurrences[1], {"start": moved, "end": moved + timedelta(hours=2)},
                                  account=self.account)
        run_job(self, self.connection, "_job_pull")
        job = self.jobs[1]
        self.assertEqual(job.scheduled_date_start, moved.replace(tzinfo=None))
        self.assertEqual(job.scheduled_date_end, (moved + timedelta(hours=2)).replace(tzinfo=None))
        self.assertIn("calendar changed", job.message_ids[0].body.lower())
        self.assertEqual(self.jobs[0].scheduled_date_start, START.replace(tzinfo=None))
        # the dispatcher edits another job of the series: only its occurrence changes, as an exception
        self.jobs[2].description = "<p>Also check the freezer</p>"
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_push")
        writes = [r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES]
        self.assertEqual(len(writes), 1, writes)
        self.assertIn(self.occurrences[2], writes[0]["path"])
        events = self.events()
        self.assertIn("Also check the freezer", events[self.occurrences[2]].data.description)
        self.assertEqual(events[self.occurrences[2]].series_id, self.series)
        self.assertNotIn("freezer", events[self.occurrences[0]].data.description)
        self.assertNotIn("freezer", events[self.occurrences[3]].data.description)
        self.assertEqual(len([e for e in events.values() if e.series_id == self.series]), 4)
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_pull")
        run_job(self, self.connection, "_job_push")
        self.assertEqual([r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES], [])

    def test_a_series_edit_updates_every_linked_job(self):
        self.emulator.person_edit(self.series, {"description": "Check the cold room and log the temperature"},
                                  account=self.account)
        run_job(self, self.connection, "_job_pull")
        for job in self.jobs:
            self.assertIn("log the temperature", job.description)
            self.assertEqual(job.calendar_link_ids.state, "in_sync", [m.body for m in job.message_ids[:3]])

    def test_cancelling_one_occurrence_opens_a_review_for_its_job_only(self):
        self.emulator.person_delete(self.occurrences[1], account=self.account)
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.connection.state, "sandbox_connected", "one occurrence of three trips no guard")
        conflict = self.jobs[1].calendar_conflict_ids
        self.assertEqual((len(conflict), conflict.kind, conflict.state), (1, "deletion", "open"))
        self.assertFalse(self.jobs.filtered("is_closed"), "a calendar deletion is reviewed, not applied")
        self.assertEqual(self.jobs[1].calendar_link_ids.state, "conflict")
        self.assertEqual(set((self.jobs[0] | self.jobs[2]).calendar_link_ids.mapped("state")), {"in_sync"})
        self.assertFalse((self.jobs[0] | self.jobs[2]).calendar_conflict_ids)
        events = self.events()
        self.assertEqual(len([e for e in events.values() if e.series_id == self.series]), 3,
                         "the other occurrences stay")

    def test_a_cancelled_occurrence_cancels_its_job_where_the_connection_allows_it(self):
        self.connection.allow_calendar_cancel = True
        self.emulator.person_delete(self.occurrences[0], account=self.account)
        run_job(self, self.connection, "_job_pull")
        cancelled = self.env.ref("fieldservice.fsm_stage_cancelled")
        self.assertEqual(self.jobs[0].stage_id, cancelled)
        self.assertFalse(self.jobs[0].calendar_conflict_ids)
        self.assertFalse((self.jobs[1] | self.jobs[2]).filtered(lambda j: j.stage_id == cancelled))
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_push")
        self.assertEqual([r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES], [],
                         "the job's cancellation came from the calendar: nothing to send back")

    def test_deleting_the_series_is_held_then_reviewed_never_applied(self):
        self.jobs[0].description = "<p>Bring the spare fan</p>"  # a local edit not yet pushed
        self.emulator.person_delete(self.series, account=self.account)
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.connection.state, "review", "every linked job would lose its event at once")
        self.assertFalse(self.jobs.filtered("is_closed"))
        run_job(self, self.connection, "_job_pull", confirmed_mass_deletion=True)
        conflicts = self.jobs.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        self.assertEqual(len(conflicts), 3)
        self.assertEqual(set(conflicts.mapped("kind")), {"deletion"})
        self.assertFalse(self.jobs.filtered("is_closed"), "a person decides: restore the events or cancel")
        self.assertIn("spare fan", self.jobs[0].description)


@tagged("post_install", "-at_install")
class TestRecurringGoogle(RecurringTests, SandboxCase):
    provider = "google"
    allow_inherited_tests_method = True  # Odoo's loader takes only methods defined on the class otherwise


@tagged("post_install", "-at_install")
class TestRecurringMicrosoft(RecurringTests, SandboxCase):
    provider = "microsoft"
    allow_inherited_tests_method = True
