"""Odoo's ``microsoft_calendar`` against the Graph emulator: the case and its comparisons."""

import urllib.parse
from datetime import timezone

import requests
from dateutil.parser import isoparse
from odoo.addons.microsoft_account.models import microsoft_service
from odoo.tools import html2plaintext

from calsync.sandbox import demo
from calsync.sandbox.microsoft import MicrosoftEmulator

from .common import OdooClientCase
from .redirect import sign_in

CALLBACK = "/microsoft_account/authentication"
SCOPE = "offline_access openid Calendars.ReadWrite"  # what microsoft_account asks for


class MicrosoftClientCase(OdooClientCase):
    provider = "microsoft"
    service_modules = (microsoft_service,)
    # microsoft_account: DEFAULT_MICROSOFT_GRAPH_ENDPOINT, DEFAULT_MICROSOFT_AUTH_ENDPOINT and
    # DEFAULT_MICROSOFT_TOKEN_ENDPOINT (login.microsoftonline.com/common/oauth2/v2.0/...)
    provider_origins = ("https://graph.microsoft.com", "https://login.microsoftonline.com")
    account = demo.MICROSOFT_ACCOUNT  # Odoo's consent URL names no login_hint: the emulator's default mailbox

    def start_emulator(self):
        return MicrosoftEmulator(self.tls, enforce_limits=False, duplicate_notifications=0).start()

    def client_parameters(self):
        return {"microsoft_calendar_client_id": self.emulator.client_id,
                "microsoft_calendar_client_secret": self.emulator.client_secret}

    def setUp(self):
        super().setUp()
        if getattr(self, "seed_tokens", True):
            self.seed_tokens()

    def seed_tokens(self):
        """Tokens from the emulator's identity platform (its sandbox client id and secret, the code flow a
        person's consent starts), stored the way Odoo's callback stores them
        (``res.users._set_microsoft_auth_tokens``). The callback itself is tested on its own, in
        test_microsoft_client.TestMicrosoftConsent, through Odoo's controller."""
        redirect_uri = self.base_url() + CALLBACK
        base = self.emulator.base_url + "/common/oauth2/v2.0"
        consent = sign_in(base + "/authorize", self.account, self.tls.cert_path,
                          params={"client_id": self.emulator.client_id, "redirect_uri": redirect_uri,
                                  "response_type": "code", "scope": SCOPE})
        self.assertEqual(consent.status_code, 302, consent.text)
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(consent.headers["Location"]).query)["code"][0]
        answer = requests.post(base + "/token", timeout=10, verify=self.tls.cert_path, data={
            "code": code, "client_id": self.emulator.client_id, "client_secret": self.emulator.client_secret,
            "grant_type": "authorization_code", "redirect_uri": redirect_uri, "scope": SCOPE})
        self.assertEqual(answer.status_code, 200, answer.text)
        tokens = answer.json()
        self.user._set_microsoft_auth_tokens(tokens["access_token"], tokens["refresh_token"], tokens["expires_in"])

    # -- the Outlook side ---------------------------------------------------------------------------------
    def graph_token(self):
        return self.user.sudo().microsoft_calendar_token

    def outlook_items(self):
        """The mailbox's events and series masters (the emulator's store), occurrences left out."""
        return [e for e in self.emulator.live_events(self.account) if e.get("type") != "occurrence"]

    def outlook_instances(self, master_id, start, end):
        """A series' occurrences and exceptions through the API (GET /me/events/{id}/instances)."""
        data = self.emulator_get(f"/v1.0/me/events/{master_id}/instances", self.graph_token(),
                                 startDateTime=start.strftime("%Y-%m-%dT00:00:00Z"),
                                 endDateTime=end.strftime("%Y-%m-%dT23:59:59Z"))
        return data["value"]

    # -- comparing ----------------------------------------------------------------------------------------
    @staticmethod
    def graph_times(item):
        """(start, end) of a Graph event as Odoo stores them: naive UTC."""
        def moment(side):
            value = isoparse(side["dateTime"][:26])
            if value.tzinfo is None:
                from zoneinfo import ZoneInfo

                value = value.replace(tzinfo=ZoneInfo(side.get("timeZone") or "UTC"))
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return moment(item["start"]), moment(item["end"])

    def assertSameEvent(self, odoo_event, item):
        """One Odoo event and one Outlook event, field by field: title, times, description."""
        self.assertEqual(item.get("subject"), odoo_event.name)
        self.assertEqual(self.graph_times(item), (odoo_event.start, odoo_event.stop))
        self.assertEqual(html2plaintext((item.get("body") or {}).get("content") or "").strip(),
                         html2plaintext(odoo_event.description or "").strip())

    def assertBothSidesEqual(self):
        """Odoo's active events (the database has no others than the test's) and Outlook's events and
        occurrences, one to one by their ids and field by field. Returns Odoo's events."""
        odoo_events = self.env["calendar.event"].search([])
        items = {i["id"]: i for i in self.outlook_items()}
        expected = set()
        for master in [i for i in items.values() if i.get("type") == "seriesMaster"]:
            series = odoo_events.filtered(lambda e, m=master: e.recurrence_id.microsoft_id == m["id"])
            self.assertTrue(series, f"Odoo has the series {master['subject']}")
            instances = self.outlook_instances(master["id"], min(series.mapped("start")),
                                               max(series.mapped("stop")))
            self.assertEqual(sorted(i["id"] for i in instances), sorted(series.mapped("microsoft_id")))
            for instance in instances:
                self.assertSameEvent(series.filtered(lambda e, i=instance: e.microsoft_id == i["id"]), instance)
            expected |= set(series.ids)
        singles = odoo_events.filtered(lambda e: not e.recurrence_id)
        self.assertEqual(sorted(singles.mapped("microsoft_id")),
                         sorted(i for i, item in items.items() if item.get("type") == "singleInstance"))
        for event in singles:
            self.assertSameEvent(event, items[event.microsoft_id])
        expected |= set(singles.ids)
        self.assertEqual(expected, set(odoo_events.ids), "every Odoo event has its Outlook counterpart")
        return odoo_events
