"""Odoo 18's own microsoft_calendar, driven through its services against the Graph emulator.

Each test is one step of a person's day with Odoo's Outlook Calendar sync, and ends with both sides equal.
"""

from datetime import timedelta

from odoo.addons.microsoft_calendar.utils.microsoft_calendar import MicrosoftCalendarService
from odoo.tests import tagged

from .common import emulator_gap
from .microsoft_case import CALLBACK, MicrosoftClientCase


@tagged("post_install", "-at_install")
class TestMicrosoftConsent(MicrosoftClientCase):
    """microsoft_account's code flow: Odoo's consent URL, the identity platform's redirect, Odoo's callback."""

    seed_tokens = False

    def test_consent_through_odoo_callback(self):
        with self.transaction() as env:
            url = MicrosoftCalendarService(env["microsoft.service"])._microsoft_authentication_url(
                from_url="/odoo/calendar")
        consent = self.transport.browse(url, self.account)  # the person signs in on the emulator's page
        self.assertEqual(consent.status_code, 302, consent.text)
        back = consent.headers["Location"]
        self.assertTrue(back.startswith(self.base_url() + CALLBACK), back)
        self.authenticate("admin", "admin")
        landed = self.url_open(back, allow_redirects=False)
        self.assertEqual(landed.status_code, 303, landed.text[:500])
        self.assertServicesQuiet()
        self.assertTrue(self.user.sudo().microsoft_calendar_rtoken, "Odoo's callback stored the refresh token")
        # an hour later: Odoo renews the access token with the refresh token (refresh_token grant)
        first = self.user.sudo().microsoft_calendar_token
        self.user.sudo().microsoft_calendar_token_validity = self.user.microsoft_calendar_token_validity - \
            timedelta(hours=2)
        renewed = self.user._get_microsoft_calendar_token()
        self.assertServicesQuiet()
        self.assertTrue(renewed)
        self.assertNotEqual(renewed, first)


@tagged("post_install", "-at_install")
class TestMicrosoftPush(MicrosoftClientCase):
    """Odoo pushes what a person does in its calendar (microsoft_sync.MicrosoftSync.create / write / unlink).

    Series are made and changed in Outlook only: with Outlook sync on, Odoo 18 refuses to create, edit
    or archive a recurrence itself (calendar.event._forbid_recurrence_creation / _update, "Due to an
    Outlook Calendar limitation"), so Odoo's series come from the pull (TestMicrosoftPull).
    """

    def create_event(self, **values):
        start = values.pop("start", self.hour())
        with self.transaction() as env:
            event = env["calendar.event"].create({
                "name": "Boiler check", "start": start, "stop": start + timedelta(hours=1),
                "description": "<p>Bring the pressure gauge</p>", "location": "Plant room", **values})
            event_id = event.id
        return self.env["calendar.event"].browse(event_id)

    def test_create_event_in_odoo(self):
        event = self.create_event()
        self.assertTrue(event.microsoft_id, "Odoo's insert answered and Odoo stored the event's id")
        self.assertTrue(event.ms_universal_event_id, "and its iCalUId")
        self.assertBothSidesEqual()

    def test_edit_event_in_odoo(self):
        event = self.create_event()
        later = event.start + timedelta(days=1, hours=2)
        with self.transaction() as env:
            env["calendar.event"].browse(event.id).write({
                "name": "Boiler check (moved)", "description": "<p>Gauge and spare valve</p>",
                "start": later, "stop": later + timedelta(minutes=90)})
        self.assertFalse(event.need_sync_m, "Odoo's patch answered")
        self.assertBothSidesEqual()

    def test_delete_event_in_odoo(self):
        event = self.create_event()
        with self.transaction() as env:
            env["calendar.event"].browse(event.id).unlink()
        self.assertEqual(self.outlook_items(), [])
        self.assertBothSidesEqual()


@tagged("post_install", "-at_install")
class TestMicrosoftPull(MicrosoftClientCase):
    """Odoo's cron pulls what a person does in Outlook: a full calendarView delta, then delta tokens."""

    def sync(self, handled=()):
        self.run_cron("_sync_all_microsoft_calendar", handled)
        self.assertTrue(self.user.res_users_settings_id.sudo().microsoft_calendar_sync_token,
                        "the sync ended with a delta token to pull from next time")

    def person_event(self, title="Gas meter reading", days=2):
        start = self.hour(days=days, hour=13)
        return self.emulator.person_create(self.account, {
            "title": title, "start": start, "end": start + timedelta(hours=1),
            "description": "Meter in the basement"})

    def odoo_event(self, microsoft_id):
        return self.env["calendar.event"].with_context(active_test=False).search(
            [("microsoft_id", "=", microsoft_id)])

    def test_full_then_incremental_pull(self):
        first = self.person_event()
        self.sync()  # full sync
        self.assertEqual(self.odoo_event(first).name, "Gas meter reading")
        self.assertBothSidesEqual()
        second = self.person_event("Water meter reading", days=4)
        self.emulator.person_edit(first, {"title": "Gas meter reading (key at reception)"})
        self.sync()  # incremental: only the changes since the delta token
        self.assertEqual(self.odoo_event(first).name, "Gas meter reading (key at reception)")
        self.assertEqual(self.odoo_event(second).name, "Water meter reading")
        self.assertBothSidesEqual()
        self.emulator.person_delete(second)
        self.sync()
        self.assertFalse(self.odoo_event(second).filtered("active"), "the deletion reached Odoo")
        self.assertBothSidesEqual()

    def person_series(self):
        start = self.hour(days=3, hour=8)
        series = self.emulator.person_create_series(self.account, {
            "title": "Filter change", "start": start, "end": start + timedelta(hours=1),
            "description": "Three mornings"}, "FREQ=DAILY;COUNT=3")
        self.sync()
        recurrence = self.env["calendar.recurrence"].search([("microsoft_id", "=", series)])
        self.assertEqual(len(recurrence.calendar_event_ids), 3)
        self.assertEqual(recurrence.rrule_type, "daily")
        self.assertEqual((recurrence.end_type, recurrence.count), ("count", 3))
        self.assertBothSidesEqual()
        return series

    def test_series_from_outlook(self):
        self.person_series()

    def test_exception_from_outlook(self):
        series = self.person_series()
        second = self.emulator.occurrence_ids(series, self.account)[1]
        self.emulator.person_edit(second, {"title": "Filter change (bring the ladder)"})
        self.sync()
        self.assertEqual(self.odoo_event(second).name, "Filter change (bring the ladder)")
        self.assertBothSidesEqual()

    def test_cancelled_occurrence_from_outlook(self):
        series = self.person_series()
        third = self.emulator.occurrence_ids(series, self.account)[2]
        self.emulator.person_delete(third)
        self.sync()
        self.assertFalse(self.odoo_event(third).filtered("active"), "the cancelled occurrence left Odoo")
        self.assertBothSidesEqual()

    def test_expired_delta_token(self):
        first = self.person_event()
        self.sync()
        self.emulator.expire_sync_state(self.account)
        self.emulator.person_edit(first, {"title": "Gas meter reading (after the gap)"})
        self.sync(handled=["SyncStateNotFound"])  # 410: Odoo syncs in full, then keeps the new token
        self.assertEqual(self.odoo_event(first).name, "Gas meter reading (after the gap)")
        self.emulator.person_edit(first, {"title": "Gas meter reading (token works again)"})
        self.sync()
        self.assertEqual(self.odoo_event(first).name, "Gas meter reading (token works again)")
        self.assertBothSidesEqual()
