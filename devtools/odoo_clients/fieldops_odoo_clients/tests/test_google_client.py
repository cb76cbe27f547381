"""Odoo 18's own google_calendar, driven through its services against the Google emulator."""

from datetime import timedelta

from odoo.tests import tagged

from .google_case import GoogleClientCase


@tagged("post_install", "-at_install")
class TestGooglePush(GoogleClientCase):
    """Odoo pushes what a person does in its calendar (google_sync.GoogleSync.create / write / unlink)."""

    def test_create_event_in_odoo(self):
        start = self.hour()
        with self.transaction() as env:
            event = env["calendar.event"].create({
                "name": "Boiler check", "start": start, "stop": start + timedelta(hours=1),
                "description": "<p>Bring the pressure gauge</p>"})
            event_id = event.id
        event = self.env["calendar.event"].browse(event_id)
        self.assertTrue(event.google_id, "Odoo's insert answered and Odoo stored the event's Google id")
        self.assertFalse(event.need_sync)
        self.assertSameEvent(event, self.google_event(event.google_id))
        self.assertBothSidesEqual()
