"""Two-way sync with Google through queue-job methods, against the Google sandbox emulator."""

from datetime import datetime

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tests import tagged

from .sandbox import SandboxCase, run_job

WRITES = ("POST", "PATCH", "PUT", "DELETE")


@tagged("post_install", "-at_install")
class TestGoogleSync(SandboxCase):
    account_prefix = "crew"

    def setUp(self):
        super().setUp()
        self.other_team = self.env["fsm.team"].create({"name": "Night crew"})
        self.location = self.env.ref("fieldservice.location_1")

    def _connection(self, name, team, account):
        return self.connect(name, team, account)

    def _job(self, **vals):
        values = {"location_id": self.location.id, "team_id": self.team.id,
                  "scheduled_date_start": datetime(2026, 12, 14, 9, 0),
                  "scheduled_date_end": datetime(2026, 12, 14, 11, 0), "description": "<p>Fix the boiler</p>"}
        values.update(vals)
        return self.env["fsm.order"].create(values)

    def _events(self, account=None):
        return {e["id"]: e for e in self.emulator.live_events(account or self.account)}

    def _writes_since(self, mark):
        return [r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES]

    def push(self, connection=None):
        return run_job(self, connection or self.connection, "_job_push")

    def push_expecting(self, exception_class):
        """Like queue_job: the job's own commits stay (Odoo's assertRaises would roll them back)."""
        try:
            self.push()
        except exception_class as exc:
            return exc
        self.fail(f"the push did not raise {exception_class.__name__}")

    def pull(self, connection=None, **kw):
        return run_job(self, connection or self.connection, "_job_pull", **kw)

    # -- job -> calendar ---------------------------------------------------------------
    def test_create_reschedule_cancel_round_trip(self):
        job = self._job()
        link = job.calendar_link_ids
        self.assertEqual(link.state, "pending_push")
        self.push()
        self.assertEqual(link.state, "in_sync")
        (event,) = self._events().values()
        self.assertEqual(event["id"], link.event_id)
        self.assertIn(job.name, event["summary"])
        self.assertEqual(event["description"].splitlines()[0], "Fix the boiler")
        self.assertEqual(job.calendar_sync_status, "synced")

        job.write({"scheduled_date_start": datetime(2026, 12, 15, 13, 0),
                   "scheduled_date_end": datetime(2026, 12, 15, 14, 30)})
        self.assertEqual(link.state, "pending_push")
        self.push()
        event = self._events()[link.event_id]
        self.assertEqual(event["start"]["timeZone"], "Europe/Brussels")  # the responsible user's zone
        self.assertTrue(event["start"]["dateTime"].startswith("2026-12-15T14:00:00+01:00"))

        job.action_cancel()
        self.push()
        self.assertEqual(link.state, "tombstone")
        self.assertFalse(self._events())

    def test_twenty_edits_cost_one_write_and_idle_syncs_write_nothing(self):
        job = self._job()
        self.push()
        self.pull()
        mark = len(self.emulator.requests_log())
        for n in range(20):
            job.description = f"<p>note {n}</p>"
        self.push()
        self.assertEqual(len(self._writes_since(mark)), 1)
        mark = len(self.emulator.requests_log())
        messages = len(job.message_ids)
        write_date = job.write_date
        self.pull()
        self.push()
        self.pull()
        self.assertEqual(self._writes_since(mark), [], "an echo or idle sync wrote to the calendar")
        self.assertEqual(len(job.message_ids), messages)
        self.assertEqual(job.write_date, write_date, "an echo wrote to the job")

    def test_deleting_a_job_deletes_its_event_and_keeps_a_tombstone(self):
        job = self._job()
        self.push()
        link = job.calendar_link_ids
        job.unlink()
        self.assertEqual(link.state, "pending_push")
        self.push()
        self.assertEqual(link.state, "tombstone")
        self.assertFalse(self._events())
        self.pull()  # the cancelled event coming back recreates nothing
        self.assertEqual(link.state, "tombstone")

    def test_reassignment_moves_the_event_to_the_other_calendar(self):
        other_account = self.account.replace("crew-", "night-")
        night = self._connection("Night calendar", self.other_team, other_account)
        job = self._job()
        self.push()
        old_link = job.calendar_link_ids
        job.team_id = self.other_team
        new_link = job.calendar_link_ids.filtered(lambda link: link.connection_id == night)
        self.assertTrue(new_link)
        self.push()
        self.push(night)
        self.assertEqual(old_link.state, "tombstone")
        self.assertFalse(self._events())
        self.assertEqual(len(self._events(other_account)), 1)
        self.assertEqual(new_link.state, "in_sync")

    # -- calendar -> job ---------------------------------------------------------------
    def test_calendar_edit_reaches_the_job_with_a_chatter_note(self):
        job = self._job()
        self.push()
        self.pull()
        self.emulator.person_edit(job.calendar_link_ids.event_id, {
            "start": "2026-12-14T10:00:00Z", "end": "2026-12-14T12:30:00Z"})
        mark = len(self.emulator.requests_log())
        self.pull()
        self.assertEqual(job.scheduled_date_start, datetime(2026, 12, 14, 10, 0))
        self.assertEqual(job.scheduled_date_end, datetime(2026, 12, 14, 12, 30))
        self.assertIn("The calendar changed this job", job.message_ids[0].body)
        self.assertEqual(job.calendar_link_ids.state, "in_sync")
        self.push()
        self.assertEqual(self._writes_since(mark), [], "the applied change was pushed back")

    def test_both_sides_changed_opens_a_conflict_and_overwrites_nothing(self):
        job = self._job()
        self.push()
        self.pull()
        self.emulator.person_edit(job.calendar_link_ids.event_id, {"description": "Calendar says bring a ladder"})
        job.description = "<p>Job says bring a torch</p>"
        self.push()  # 412: re-planned with the three-way rules
        link = job.calendar_link_ids
        self.assertEqual(link.state, "conflict")
        conflict = job.calendar_conflict_ids
        self.assertEqual(conflict.state, "open")
        self.assertEqual(conflict.line_ids.field_name, "notes")
        self.assertEqual(conflict.line_ids.calendar_value, "Calendar says bring a ladder")
        self.assertEqual(conflict.line_ids.job_value, "Job says bring a torch")
        self.assertIn("torch", job.description)
        self.assertEqual(self._events()[link.event_id]["description"], "Calendar says bring a ladder")
        self.assertEqual(job.calendar_sync_status, "conflict")
        self.assertTrue(conflict.activity_ids)

    def test_calendar_deletion_opens_a_review(self):
        job = self._job()
        self.push()
        self.pull()
        self.emulator.person_delete(job.calendar_link_ids.event_id)
        self.pull()
        self.assertEqual(job.calendar_conflict_ids.kind, "deletion")
        self.assertFalse(job.stage_id.is_closed)

    def test_expired_sync_token_resyncs_without_duplicates(self):
        jobs = self._job() | self._job(scheduled_date_start=datetime(2026, 12, 16, 9, 0),
                                       scheduled_date_end=datetime(2026, 12, 16, 10, 0))
        self.push()
        self.pull()
        self.emulator.expire_sync_state(self.account)
        self.pull()
        self.assertEqual(len(self._events()), 2)
        self.assertEqual(set(jobs.calendar_link_ids.mapped("state")), {"in_sync"})
        self.assertEqual(len(self.env["fsm.order"].search([("id", "in", jobs.ids)])), 2)

    def test_crash_after_the_provider_acted_leaves_exactly_one_event(self):
        job = self._job()
        self.emulator.inject_fault("apply_then_fail", count=1, path_contains="/events")
        self.emulator.inject_fault("server_error", count=5, path_contains="/events")
        self.push_expecting(RetryableJobError)
        self.assertEqual(job.calendar_link_ids.state, "pending_push")
        self.assertEqual(len(self._events()), 1, "the provider did create the event")
        self.emulator.faults.clear()
        self.push()
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(job.calendar_link_ids.state, "in_sync")

    def test_throttling_waits_without_spending_attempts(self):
        self._job()
        self.emulator.inject_fault("rate_limit", retry_after=120, path_contains="/events")
        error = self.push_expecting(RetryableJobError)
        self.assertTrue(error.ignore_retry)
        self.assertEqual(error.seconds, 120)
        self.assertEqual(self.connection.state, "throttled")
        self.push()
        self.assertEqual(self.connection.state, "sandbox_connected")

    def test_revoked_consent_needs_reauth_and_keeps_owed_work(self):
        job = self._job()
        self.emulator.revoke_consent(self.account)
        self.push()
        self.assertEqual(self.connection.state, "needs_reauth")
        self.assertEqual(job.calendar_link_ids.state, "pending_push")
        self.assertTrue(self.connection.activity_ids)
        self.assertIn("Reconnect", self.connection.last_error)

    def test_mass_deletion_is_held_for_review(self):
        jobs = self.env["fsm.order"]
        for day in range(5):
            jobs |= self._job(scheduled_date_start=datetime(2026, 12, 14 + day, 9, 0),
                              scheduled_date_end=datetime(2026, 12, 14 + day, 10, 0))
        self.push()
        self.pull()
        for event_id in jobs.calendar_link_ids.mapped("event_id"):
            self.emulator.person_delete(event_id)
        self.pull()
        self.assertEqual(self.connection.state, "review")
        self.assertFalse(self.env["fieldops.calendar.conflict"].search([("job_id", "in", jobs.ids)]))
        self.assertEqual(set(jobs.calendar_link_ids.mapped("state")), {"in_sync"})
        self.connection.action_discard_held_pull()
        run_job(self, self.connection, "_job_restore_deleted_events")
        self.push()
        self.assertEqual(len(self._events()), 5, "discarding the held deletions restored the events")

    # -- operating it --------------------------------------------------------------------
    def test_disconnect_leaves_events_unless_asked_to_remove_them(self):
        self._job()
        self.push()
        self.connection.action_disconnect()
        self.assertEqual(self.connection.state, "disconnected")
        self.assertFalse(self.connection.sudo().token_encrypted)
        self.assertEqual(len(self._events()), 1, "a plain disconnect leaves the events in place")
        other = self._connection("Removed calendar", self.other_team, self.account.replace("crew-", "gone-"))
        self._job(team_id=self.other_team.id)
        self.push(other)
        self.assertEqual(len(self._events(other.account_email)), 1)
        other.action_disconnect_remove_events()
        run_job(self, other, "_job_remove_events_and_disconnect")
        self.assertEqual(other.state, "disconnected")
        self.assertFalse(self._events(other.account_email))
        self.assertEqual(set(other.link_ids.mapped("state")), {"tombstone"})

    def test_key_rotation_reencrypts_every_secret(self):
        from odoo.tools import config

        from calsync.crypto import TokenCipher, generate_key

        old_key = config.get("fieldops_calendar_sync_key")
        token_blob = self.connection.sudo().token_encrypted
        new_key = generate_key()
        config["fieldops_calendar_sync_key"] = f"{new_key},{old_key}"
        try:
            self.env["res.config.settings"].create({}).action_fieldops_reencrypt_secrets()
            rotated = self.connection.sudo().token_encrypted
            self.assertNotEqual(rotated, token_blob)
            self.assertTrue(TokenCipher.from_keys([new_key]).decrypt(rotated))
            config["fieldops_calendar_sync_key"] = new_key  # the old key can now go
            self._job()
            self.push()
            self.assertEqual(len(self._events()), 1)
        finally:
            config["fieldops_calendar_sync_key"] = old_key
