"""Busy times (issue #26) in Odoo: refreshed from the emulators, private details never stored, purged on
disconnect, per company, and the dispatcher's warning before double-booking a crew."""

from datetime import datetime, time, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

from odoo.modules.neutralize import neutralize_database
from odoo.tests import Form, new_test_user, tagged

from calsync.google import oauth as google_oauth
from calsync.google.config import SCOPE_EVENTS

from ..adapters import providers
from .common import TwoCompaniesCase
from .sandbox import SandboxCase, run_job

SECRET_TITLE, SECRET_PLACE = "Dentist appointment of Sam", "12 Private Lane"


def day_after_tomorrow(hour):
    """A naive UTC datetime inside the refreshed window (which starts now)."""
    day = datetime.now(timezone.utc).date() + timedelta(days=2)
    return datetime.combine(day, time(hour))


def aware(moment):
    return moment.replace(tzinfo=timezone.utc)


@tagged("post_install", "-at_install")
class TestAvailability(SandboxCase):
    account_prefix = "busy"

    def setUp(self):
        super().setUp()
        self.dispatcher = new_test_user(self.env, "busy_dispatcher", email="busy_dispatcher@example.test",
                                        groups="fieldservice.group_fsm_dispatcher,base.group_user")
        self.job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": day_after_tomorrow(9), "scheduled_date_end": day_after_tomorrow(10)})
        run_job(self, self.connection, "_job_push")
        self.assertTrue(self.job.calendar_link_ids.event_id, "the job has its event in the calendar")
        self.private_event = self.person_busy(day_after_tomorrow(13), day_after_tomorrow(14))

    def person_busy(self, start, end):
        """The technician books something personal in their own calendar."""
        return self.emulator.person_create(self.account, {"title": SECRET_TITLE, "location": SECRET_PLACE,
                                                          "start": aware(start), "end": aware(end)})

    def blocks(self):
        return self.env["fieldops.calendar.busy"].search([("connection_id", "=", self.connection.id)])

    def test_refresh_stores_the_person_busy_not_our_job(self):
        self.assertTrue(self.connection._refresh_busy_times())
        blocks = self.blocks()
        self.assertEqual([(b.start, b.end, b.status) for b in blocks],
                         [(day_after_tomorrow(13), day_after_tomorrow(14), "busy")],
                         "the personal event is busy; our own job's event is not")
        self.assertEqual(blocks.company_id, self.connection.company_id)
        # a second refresh replaces, never adds
        self.person_busy(day_after_tomorrow(16), day_after_tomorrow(17))
        self.connection._refresh_busy_times()
        self.assertEqual(len(self.blocks()), 2)

    def test_nothing_private_is_stored(self):
        self.connection._refresh_busy_times()
        self.assertTrue(self.blocks())
        stored = set(self.env["fieldops.calendar.busy"]._fields)
        self.assertFalse(stored & {"name", "title", "summary", "subject", "location", "description", "attendee_ids"})
        self.env.flush_all()
        self.env.cr.execute("SELECT * FROM fieldops_calendar_busy")
        rows = repr(self.env.cr.fetchall())
        self.assertNotIn(SECRET_TITLE, rows)
        self.assertNotIn(SECRET_PLACE, rows)

    def test_disconnect_purges_and_removal_cascades(self):
        self.connection._refresh_busy_times()
        self.assertTrue(self.blocks())
        self.connection.action_disconnect()
        self.assertFalse(self.blocks())
        # removing a connection takes its rows with it
        other = self.connect("busy other", self.env["fsm.team"].create({"name": "other team"}),
                             f"other-{self.account}")
        self.emulator.person_create(f"other-{self.account}", {"title": SECRET_TITLE, "start": aware(
            day_after_tomorrow(13)), "end": aware(day_after_tomorrow(14))})
        other._refresh_busy_times()
        self.assertTrue(other.busy_ids)
        ids = other.busy_ids.ids
        other.unlink()
        self.assertFalse(self.env["fieldops.calendar.busy"].browse(ids).exists())

    def test_cron_refreshes_and_one_failure_does_not_stop_the_others(self):
        broken = self.connect("busy broken", self.env["fsm.team"].create({"name": "broken team"}),
                              f"broken-{self.account}")
        broken.sudo().token_encrypted = "not a token"  # its refresh fails: decryption
        broken.invalidate_recordset()
        self.env["fieldops.calendar.connection"]._cron_refresh_busy_times()
        self.assertEqual(len(self.blocks()), 1)
        self.assertTrue(self.connection.busy_refreshed_at)
        self.assertFalse(broken.busy_refreshed_at)

    def test_a_token_without_freebusy_says_reconnect_once(self):
        # a connection made before availability: signed in for calendar.events only
        config = providers.provider_config(self.env, "google")
        redirect = providers.redirect_uri(self.env, "google")
        scopes = [SCOPE_EVENTS, "openid", "email"]
        url, verifier = google_oauth.authorization_url(config, redirect, "state-x", scopes=scopes,
                                                       login_hint=self.account)
        code = dict(parse_qsl(urlsplit(self.sign_in_page(url, self.account)).query))["code"]
        self.connection._store_token(google_oauth.exchange_code(config, redirect, code, verifier,
                                                                scopes=scopes).token)
        self.env["fieldops.calendar.connection"]._cron_refresh_busy_times()
        self.env["fieldops.calendar.connection"]._cron_refresh_busy_times()
        self.assertTrue(self.connection.busy_needs_reconnect)
        notes = self.connection.message_ids.filtered(lambda m: "reconnect the calendar to see availability"
                                                     in (m.body or ""))
        self.assertEqual(len(notes), 1, "said once, not at every refresh")
        self.assertEqual(self.connection.state, "sandbox_connected", "the sync itself goes on")
        # the sync still works with that token
        self.job.scheduled_date_start = day_after_tomorrow(8)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self.job.calendar_link_ids.state, "in_sync")

    def test_the_dispatcher_is_warned_and_can_still_save(self):
        self.connection._refresh_busy_times()
        job = self.env["fsm.order"].with_user(self.dispatcher).browse(self.job.id)
        # the job's form, as the dispatcher edits it: the end follows the duration there
        with self.assertLogs("odoo.tests.form.onchange", "WARNING") as logged, Form(job) as form:
            form.scheduled_date_start = day_after_tomorrow(12)
            form.scheduled_duration = 3
        message = "\n".join(logged.output)
        self.assertIn("The crew is busy then", message)
        self.assertIn(self.connection.name, message)
        self.assertNotIn(SECRET_TITLE, message)
        warning = job.new({"scheduled_date_start": day_after_tomorrow(12),
                           "scheduled_date_end": day_after_tomorrow(15), "team_id": self.team.id,
                           "company_id": job.company_id.id})._onchange_fieldops_busy_warning()
        self.assertIn("is busy from", warning["warning"]["message"])
        self.assertEqual(job.scheduled_date_start, day_after_tomorrow(12), "saved despite the warning")
        # the job at its own time, free otherwise: no warning
        quiet = job.new({"scheduled_date_start": day_after_tomorrow(9), "scheduled_date_end": day_after_tomorrow(10),
                         "team_id": self.team.id, "company_id": job.company_id.id})
        self.assertFalse(quiet._onchange_fieldops_busy_warning())

    def test_the_warning_names_the_technician(self):
        person = self.env["fsm.person"].create({"name": "Sam Technician"})
        self.connection.person_ids = [(6, 0, person.ids)]
        self.connection._refresh_busy_times()
        self.assertEqual(self.blocks().person_id, person)
        job = self.env["fsm.order"].new({"scheduled_date_start": day_after_tomorrow(13),
                                         "scheduled_date_end": day_after_tomorrow(15), "person_id": person.id,
                                         "company_id": self.env.company.id})
        self.assertIn("Sam Technician", job._onchange_fieldops_busy_warning()["warning"]["message"])


@tagged("post_install", "-at_install")
class TestAvailabilityMicrosoft(SandboxCase):
    provider = "microsoft"
    account_prefix = "busyms"

    def test_graph_statuses_are_kept_and_no_subject(self):
        for hour, show_as in ((9, "busy"), (11, "tentative"), (13, "oof"), (15, "free")):
            self.emulator.person_create(self.account, {
                "title": SECRET_TITLE, "location": SECRET_PLACE, "show_as": show_as,
                "start": aware(day_after_tomorrow(hour)), "end": aware(day_after_tomorrow(hour + 1))})
        self.connection._refresh_busy_times()
        self.assertEqual([(b.start.hour, b.status) for b in self.connection.busy_ids],
                         [(9, "busy"), (11, "tentative"), (13, "oof")])
        self.env.flush_all()
        self.env.cr.execute("SELECT * FROM fieldops_calendar_busy")
        self.assertNotIn(SECRET_TITLE, repr(self.env.cr.fetchall()))


@tagged("post_install", "-at_install")
class TestAvailabilityTenancy(TwoCompaniesCase):
    def test_a_company_sees_only_its_busy_times(self):
        Busy = self.env["fieldops.calendar.busy"].sudo()
        for setup in (self.setup_a, self.setup_b):
            Busy.create({"connection_id": setup["connection"].id, "start": "2026-12-20 09:00:00",
                         "end": "2026-12-20 10:00:00", "status": "busy"})
        seen_by_b = self.env["fieldops.calendar.busy"].with_user(self.manager_b).search([])
        self.assertEqual(seen_by_b.connection_id, self.setup_b["connection"])
        seen_by_a = self.env["fieldops.calendar.busy"].with_user(self.dispatcher_a).search([])
        self.assertEqual(seen_by_a.company_id, self.company_a)
        self.assertFalse(self.env["fieldops.calendar.busy"].with_user(self.dispatcher_a).has_access("create"),
                         "busy times come from the calendar only")

    def test_a_neutralized_copy_keeps_no_busy_times(self):
        self.env["fieldops.calendar.busy"].sudo().create({
            "connection_id": self.setup_a["connection"].id, "start": "2026-12-20 09:00:00",
            "end": "2026-12-20 10:00:00", "status": "oof"})
        self.env.flush_all()
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        self.assertFalse(self.env["fieldops.calendar.busy"].sudo().search([]))
