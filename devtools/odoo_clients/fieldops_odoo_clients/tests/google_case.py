"""Odoo's ``google_calendar`` against the Google emulator: the case and its comparisons."""

import urllib.parse
from datetime import timedelta, timezone

import requests
from dateutil.parser import isoparse
from odoo.addons.google_account.models import google_service
from odoo.addons.google_calendar.utils.google_calendar import GoogleCalendarService
from odoo.tools import html2plaintext

from calsync.sandbox import demo
from calsync.sandbox.google import GoogleEmulator

from .common import OdooClientCase
from .redirect import sign_in

CALLBACK = "/google_account/authentication"


def rule_parts(text):
    """The parts of an RRULE (the last one in ``text``), an UNTIL read as UTC either way."""
    rule = text.split("RRULE:")[-1].strip()
    return {part.rstrip("Z") if part.startswith("UNTIL=") else part for part in rule.split(";")}


class GoogleClientCase(OdooClientCase):
    provider = "google"
    service_modules = (google_service,)
    # google_account: GOOGLE_API_BASE_URL, GOOGLE_AUTH_ENDPOINT and GOOGLE_TOKEN_ENDPOINT (accounts.google.com)
    provider_origins = ("https://www.googleapis.com", "https://accounts.google.com")
    account = demo.GOOGLE_ACCOUNT  # Odoo's consent URL names no login_hint: the emulator's default account

    def start_emulator(self):
        return GoogleEmulator(self.tls, enforce_quotas=False).start()

    def client_parameters(self):
        return {"google_calendar_client_id": self.emulator.client_id,
                "google_calendar_client_secret": self.emulator.client_secret}

    def setUp(self):
        super().setUp()
        self.service = GoogleCalendarService(self.env["google.service"])
        if getattr(self, "seed_tokens", True):
            self.seed_tokens()

    def seed_tokens(self):
        """Tokens from the emulator's OAuth server (its sandbox client id and secret, the code flow a
        person's consent starts), stored the way Odoo's callback stores them
        (``res.users.settings._set_google_auth_tokens``). The callback itself is tested on its own, in
        test_google_client.TestGoogleConsent, through Odoo's controller."""
        redirect_uri = self.base_url() + CALLBACK
        consent = sign_in(self.emulator.base_url + "/o/oauth2/auth", self.account, self.tls.cert_path, params={
            "client_id": self.emulator.client_id, "redirect_uri": redirect_uri,
            "response_type": "code", "scope": self.service._get_calendar_scope(), "access_type": "offline"})
        self.assertEqual(consent.status_code, 302, consent.text)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(consent.headers["Location"]).query)["code"][0]
        answer = requests.post(self.emulator.base_url + "/token", timeout=10, verify=self.tls.cert_path, data={
            "code": code, "client_id": self.emulator.client_id, "client_secret": self.emulator.client_secret,
            "grant_type": "authorization_code", "redirect_uri": redirect_uri})
        self.assertEqual(answer.status_code, 200, answer.text)
        tokens = answer.json()
        self.user.res_users_settings_id._set_google_auth_tokens(
            tokens["access_token"], tokens["refresh_token"], tokens["expires_in"])

    # -- the Google side, read through the API ------------------------------------------------------------
    def google_token(self):
        return self.user.res_users_settings_id.sudo().google_calendar_token

    def google_events(self, single_events=True, show_deleted=False):
        params = {"singleEvents": "true" if single_events else "false",
                  "showDeleted": "true" if show_deleted else "false", "maxResults": 2500}
        data = self.emulator_get("/calendar/v3/calendars/primary/events", self.google_token(), **params)
        items = data.get("items", [])
        while data.get("nextPageToken"):
            data = self.emulator_get("/calendar/v3/calendars/primary/events", self.google_token(),
                                     pageToken=data["nextPageToken"], **params)
            items += data.get("items", [])
        return items

    def google_event(self, event_id):
        return self.emulator_get(f"/calendar/v3/calendars/primary/events/{event_id}", self.google_token())

    # -- comparing ----------------------------------------------------------------------------------------
    @staticmethod
    def google_times(item):
        """(start, end) of a Google event as Odoo stores them: naive UTC."""
        def moment(side):
            return isoparse(side["dateTime"]).astimezone(timezone.utc).replace(tzinfo=None)
        return moment(item["start"]), moment(item["end"])

    def assertSameEvent(self, odoo_event, item):
        """One Odoo event and one Google event, field by field: title, times, description, status."""
        self.assertEqual(item["id"], odoo_event.google_id)
        self.assertEqual(item.get("summary"), odoo_event.name)
        if odoo_event.allday:  # Google's end date is the day after the last (exclusive)
            self.assertEqual((item["start"].get("date"), item["end"].get("date")),
                             (str(odoo_event.start_date), str(odoo_event.stop_date + timedelta(days=1))))
        else:
            self.assertEqual(self.google_times(item), (odoo_event.start, odoo_event.stop))
        self.assertEqual(html2plaintext(item.get("description") or ""),
                         html2plaintext(odoo_event._get_customer_description()))
        self.assertEqual(item.get("status", "confirmed"), "confirmed" if odoo_event.active else "cancelled")

    def assertBothSidesEqual(self):
        """Odoo's active events (the database has no others than the test's) and Google's live events
        (occurrences expanded), one to one. Returns Odoo's events."""
        odoo_events = self.env["calendar.event"].search([])
        items = self.google_events()
        self.assertEqual(sorted(e.google_id or "" for e in odoo_events), sorted(i["id"] for i in items),
                         "the same events on both sides")
        by_id = {i["id"]: i for i in items}
        for event in odoo_events:
            self.assertSameEvent(event, by_id[event.google_id])
        return odoo_events

    def assertSameRecurrence(self, recurrence):
        """Odoo's recurrence and Google's series master: the same rule, and one event per occurrence."""
        master = self.google_event(recurrence.google_id)
        rules = [line for line in master.get("recurrence", []) if line.startswith("RRULE:")]
        self.assertEqual(len(rules), 1, master.get("recurrence"))
        # the same parts in any order (Odoo drops its DTSTART line and marks UNTIL as UTC when it sends)
        self.assertEqual(rule_parts(rules[0]), rule_parts(recurrence.rrule))
        instances = [i for i in self.google_events() if i.get("recurringEventId") == recurrence.google_id]
        self.assertEqual(sorted(i["id"] for i in instances),
                         sorted(recurrence.calendar_event_ids.filtered("active").mapped("google_id")))
