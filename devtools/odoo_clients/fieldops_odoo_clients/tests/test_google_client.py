"""Odoo 18's own google_calendar, driven through its services against the Google emulator.

Each test is one step of a person's day with Odoo's Google Calendar sync, and ends with both sides equal.
"""

from datetime import timedelta

from odoo.addons.google_calendar.utils.google_calendar import GoogleCalendarService
from odoo.tests import tagged

from .google_case import CALLBACK, GoogleClientCase


@tagged("post_install", "-at_install")
class TestGoogleConsent(GoogleClientCase):
    """google_account's code flow: Odoo's consent URL, the provider's redirect, Odoo's own callback."""

    seed_tokens = False

    def test_consent_through_odoo_callback(self):
        with self.transaction() as env:
            url = GoogleCalendarService(env["google.service"])._google_authentication_url(from_url="/odoo/calendar")
        consent = self.transport.browse(url, self.account)  # the person signs in on the emulator's page
        self.assertEqual(consent.status_code, 302, consent.text)
        back = consent.headers["Location"]
        self.assertTrue(back.startswith(self.base_url() + CALLBACK), back)
        self.authenticate("admin", "admin")
        landed = self.url_open(back, allow_redirects=False)
        self.assertEqual(landed.status_code, 303, landed.text[:500])
        self.assertServicesQuiet()
        settings = self.user.res_users_settings_id.sudo()
        self.assertTrue(settings.google_calendar_rtoken, "Odoo's callback stored the refresh token")
        self.assertTrue(settings._is_google_calendar_valid())
        # an hour later: Odoo renews the access token with the refresh token (refresh_token grant)
        first = settings.google_calendar_token
        settings.google_calendar_token_validity = settings.google_calendar_token_validity - timedelta(hours=2)
        renewed = self.user._get_google_calendar_token()
        self.assertServicesQuiet()
        self.assertTrue(renewed)
        self.assertNotEqual(renewed, first)
        self.assertEqual(self.google_events(), [], "the renewed token opens the calendar")


@tagged("post_install", "-at_install")
class TestGooglePush(GoogleClientCase):
    """Odoo pushes what a person does in its calendar (google_sync.GoogleSync.create / write / unlink)."""

    def create_event(self, **values):
        start = values.pop("start", self.hour())
        with self.transaction() as env:
            event = env["calendar.event"].create({
                "name": "Boiler check", "start": start, "stop": start + timedelta(hours=1),
                "description": "<p>Bring the pressure gauge</p>", **values})
            event_id = event.id
        return self.env["calendar.event"].browse(event_id)

    def test_create_event_in_odoo(self):
        event = self.create_event()
        self.assertTrue(event.google_id, "Odoo's insert answered and Odoo stored the event's Google id")
        self.assertFalse(event.need_sync)
        self.assertSameEvent(event, self.google_event(event.google_id))
        self.assertBothSidesEqual()

    def test_edit_event_in_odoo(self):
        event = self.create_event()
        later = event.start + timedelta(days=1, hours=2)
        with self.transaction() as env:
            env["calendar.event"].browse(event.id).write({
                "name": "Boiler check (moved)", "description": "<p>Gauge and spare valve</p>",
                "start": later, "stop": later + timedelta(minutes=90)})
        self.assertFalse(event.need_sync, "Odoo's patch answered")
        self.assertEqual(self.google_event(event.google_id)["summary"], "Boiler check (moved)")
        self.assertBothSidesEqual()

    def test_delete_event_in_odoo(self):
        event = self.create_event()
        google_id = event.google_id
        with self.transaction() as env:
            env["calendar.event"].browse(event.id).unlink()  # Odoo archives a synced event and deletes it on Google
        self.assertEqual(self.google_event(google_id).get("status"), "cancelled")
        self.assertBothSidesEqual()

    def create_series(self, count=3):
        start = self.hour(days=3)
        with self.transaction() as env:
            event = env["calendar.event"].create({
                "name": "Pump round", "start": start, "stop": start + timedelta(hours=1),
                "description": "<p>Every morning</p>", "recurrency": True, "rrule_type": "daily",
                "interval": 1, "end_type": "count", "count": count})
            recurrence_id = event.recurrence_id.id
        return self.env["calendar.recurrence"].browse(recurrence_id)

    def test_recurring_series_in_odoo(self):
        recurrence = self.create_series()
        self.assertTrue(recurrence.google_id, "Odoo's insert of the series answered")
        self.assertEqual(len(recurrence.calendar_event_ids), 3)
        self.assertSameRecurrence(recurrence)
        self.assertBothSidesEqual()

    def test_all_day_event_in_odoo(self):
        day = self.hour(days=6).date()
        with self.transaction() as env:
            event = env["calendar.event"].create({
                "name": "Site closed", "allday": True, "start_date": day, "stop_date": day + timedelta(days=1)})
            event_id = event.id
        event = self.env["calendar.event"].browse(event_id)
        self.assertTrue(event.google_id)
        self.assertBothSidesEqual()

    def test_weekly_series_on_weekdays_in_odoo(self):
        start = self.hour(days=3)
        start += timedelta(days=(7 - start.weekday()) % 7)  # a Monday: the first occurrence follows the rule
        with self.transaction() as env:
            event = env["calendar.event"].create({
                "name": "Valve inspection", "start": start, "stop": start + timedelta(hours=1),
                "recurrency": True, "rrule_type": "weekly", "interval": 1, "end_type": "count", "count": 4,
                "mon": True, "wed": True, "fri": False, "tue": False, "thu": False, "sat": False, "sun": False})
            recurrence_id = event.recurrence_id.id
        recurrence = self.env["calendar.recurrence"].browse(recurrence_id)
        self.assertIn("BYDAY=MO,WE", recurrence.rrule)
        self.assertEqual(len(recurrence.calendar_event_ids), 4)
        self.assertSameRecurrence(recurrence)
        self.assertBothSidesEqual()

    def test_edit_whole_series_in_odoo(self):
        """Odoo rewrites a series edited as "all events" (calendar.event._rewrite_recurrence): it deletes the
        old series on Google and inserts a new one."""
        recurrence = self.create_series()
        old_google_id = recurrence.google_id
        first = recurrence.calendar_event_ids.sorted("start")[0]
        with self.transaction() as env:
            env["calendar.event"].browse(first.id).write({"name": "Pump round (all pumps)",
                                                          "recurrence_update": "all_events"})
        renewed = first.recurrence_id
        self.assertTrue(renewed.google_id)
        self.assertNotEqual(renewed.google_id, old_google_id)
        self.assertEqual(self.google_event(old_google_id).get("status"), "cancelled")
        self.assertEqual(self.google_event(renewed.google_id)["summary"], "Pump round (all pumps)")
        self.assertEqual(set(renewed.calendar_event_ids.mapped("name")), {"Pump round (all pumps)"})
        self.assertSameRecurrence(renewed)
        self.assertBothSidesEqual()

    def test_exception_in_odoo(self):
        recurrence = self.create_series()
        second = recurrence.calendar_event_ids.sorted("start")[1]
        with self.transaction() as env:
            env["calendar.event"].browse(second.id).write({"name": "Pump round (with the new seal)",
                                                           "recurrence_update": "self_only"})
        self.assertEqual(self.google_event(second.google_id)["summary"], "Pump round (with the new seal)")
        self.assertSameRecurrence(recurrence)
        self.assertBothSidesEqual()

    def test_cancel_occurrence_in_odoo(self):
        recurrence = self.create_series()
        second = recurrence.calendar_event_ids.sorted("start")[1]
        google_id = second.google_id
        with self.transaction() as env:
            env["calendar.event"].browse(second.id).action_mass_archive("self_only")
        self.assertEqual(self.google_event(google_id).get("status"), "cancelled")
        self.assertBothSidesEqual()


@tagged("post_install", "-at_install")
class TestGooglePull(GoogleClientCase):
    """Odoo's cron pulls what a person does in Google Calendar: a full sync, then sync tokens."""

    def sync(self, handled=()):
        self.run_cron("_sync_all_google_calendar", handled)
        self.assertTrue(self.user.res_users_settings_id.sudo().google_calendar_sync_token,
                        "the sync ended with a sync token to pull from next time")

    def person_event(self, title="Gas meter reading", days=2):
        start = self.hour(days=days, hour=13)
        return self.emulator.person_create(self.account, {
            "title": title, "start": start, "end": start + timedelta(hours=1),
            "description": "Meter in the basement"})

    def odoo_event(self, google_id):
        return self.env["calendar.event"].with_context(active_test=False).search([("google_id", "=", google_id)])

    def test_full_then_incremental_pull(self):
        first = self.person_event()
        self.sync()  # full sync
        self.assertEqual(self.odoo_event(first).name, "Gas meter reading")
        self.assertBothSidesEqual()
        second = self.person_event("Water meter reading", days=4)
        self.emulator.person_edit(first, {"title": "Gas meter reading (key at reception)"})
        self.sync()  # incremental: only the changes since the token
        self.assertEqual(self.odoo_event(first).name, "Gas meter reading (key at reception)")
        self.assertEqual(self.odoo_event(second).name, "Water meter reading")
        self.assertBothSidesEqual()
        self.emulator.person_delete(second)
        self.sync()
        self.assertFalse(self.odoo_event(second).filtered("active"), "the deletion reached Odoo")
        self.assertBothSidesEqual()

    def test_series_with_exceptions_from_google(self):
        start = self.hour(days=3, hour=8)
        series = self.emulator.person_create_series(self.account, {
            "title": "Filter change", "start": start, "end": start + timedelta(hours=1),
            "description": "Three mornings"}, "FREQ=DAILY;COUNT=3")
        self.sync()
        recurrence = self.env["calendar.recurrence"].search([("google_id", "=", series)])
        self.assertEqual(len(recurrence.calendar_event_ids), 3)
        self.assertSameRecurrence(recurrence)
        self.assertBothSidesEqual()
        second, third = self.emulator.occurrence_ids(series, self.account)[1:3]
        self.emulator.person_edit(second, {"title": "Filter change (bring the ladder)"})
        self.emulator.person_delete(third)
        self.sync()
        self.assertEqual(self.odoo_event(second).name, "Filter change (bring the ladder)")
        self.assertFalse(self.odoo_event(third).filtered("active"), "the cancelled occurrence left Odoo")
        self.assertBothSidesEqual()

    def test_expired_sync_token(self):
        first = self.person_event()
        self.sync()
        self.emulator.expire_sync_state(self.account)
        self.emulator.person_edit(first, {"title": "Gas meter reading (after the gap)"})
        self.sync(handled=["fullSyncRequired"])  # 410: Odoo syncs in full, then keeps the new token
        self.assertEqual(self.odoo_event(first).name, "Gas meter reading (after the gap)")
        self.emulator.person_edit(first, {"title": "Gas meter reading (token works again)"})
        self.sync()
        self.assertEqual(self.odoo_event(first).name, "Gas meter reading (token works again)")
        self.assertBothSidesEqual()

    def test_odoo_and_google_both_change(self):
        mine = self.person_event()
        self.sync()
        start = self.hour(days=5)
        with self.transaction() as env:
            env["calendar.event"].create({"name": "Valve swap", "start": start, "stop": start + timedelta(hours=2)})
        self.emulator.person_edit(mine, {"description": "Meter behind the blue door"})
        self.sync()
        self.assertEqual(self.odoo_event(mine).description, "<p>Meter behind the blue door</p>")
        self.assertBothSidesEqual()
