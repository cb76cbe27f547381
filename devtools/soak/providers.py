"""One provider's sandbox as the soak drives it: the emulator, OAuth connects, a person's edits, faults.

The two emulators have slightly different control methods; this module hides
that, so the soak's loop is the same for Google and Microsoft. Everything goes
through what the tests use too: the emulators' in-process controls and the real
clients with the real OAuth code flows.
"""

from __future__ import annotations

import urllib.parse

import requests

from calsync.errors import InvalidEvent
from calsync.google import GoogleCalendarClient, GoogleConfig
from calsync.google import oauth as google_oauth
from calsync.google import parse as google_parse
from calsync.mapping import event_values
from calsync.microsoft import GraphCalendarClient, MicrosoftConfig
from calsync.microsoft import auth as ms_auth
from calsync.microsoft import parse as ms_parse
from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.microsoft import MicrosoftEmulator

GOOGLE_REDIRECT = "https://odoo.example.test/fieldops_calendar_sync/oauth/google/callback"
MS_REDIRECT = "https://odoo.example.test/fieldops_calendar_sync/oauth/microsoft/callback"
# a request slower than this counts as timed out; the emulator's "slow" fault waits TIMEOUT_DELAY
CLIENT_TIMEOUT = 0.4
TIMEOUT_DELAY = 0.7


def _follow(url, ca_certs, account):
    """The browser's part of a code flow: the sandbox's sign-in page as ``account``, the code off the redirect."""
    session = requests.Session()
    session.trust_env = False
    page = session.get(url, verify=ca_certs, timeout=10)
    answer = session.post(page.url, data={"account": account, "decision": "allow"}, allow_redirects=False,
                          timeout=10)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:200]}")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer.headers["Location"]).query))


class ProviderKit:
    """What differs between the providers; subclasses fill it in."""

    name = ""
    api_path = ""  # faults hit API requests whose path contains this

    def __init__(self, tls):
        self.tls = tls
        self.emulator = None
        self.quota_refusals = 0  # requests the emulator's own quota or concurrency limit refused

    def _count_refusals(self, method_name):
        """Count what the emulator's enforced limits refuse (not our injected faults)."""
        original = getattr(self.emulator, method_name)

        def guarded(account):
            try:
                return original(account)
            except Exception:
                self.quota_refusals += 1
                raise

        setattr(self.emulator, method_name, guarded)

    def stop(self):
        self.emulator.stop()

    # -- a person in the calendar's own UI (both emulators take the same calls) ---------
    def person_edit(self, account, event_id, fields):
        self.emulator.person_edit(event_id, fields, account=account)

    def person_delete(self, account, event_id):
        self.emulator.person_delete(event_id, account=account)

    def raw_events(self, account):
        with self.emulator.lock:
            return [dict(e) for e in self.emulator.live_events(account)]

    # -- time -------------------------------------------------------------------------
    def advance(self, seconds):
        """Honour a Retry-After without sleeping: the emulator's quota clock moves on."""
        self.emulator.advance_clock(seconds or 1)

    # -- faults -----------------------------------------------------------------------
    def inject(self, kind, retry_after=None, delay=None):
        self.emulator.inject_fault(kind, retry_after=retry_after, delay=delay, path_contains=self.api_path)

    def pending_faults(self) -> list[str]:
        with self.emulator.faults._lock:
            return [f["kind"] for f in self.emulator.faults._faults]

    def clear_faults(self):
        self.emulator.faults.clear()

    # -- the provider side as it really is ----------------------------------------------------
    def events(self, account) -> list[tuple[object, dict | None]]:
        """Every live event of the account's calendar: (RemoteEvent, synced values or None if unreadable)."""
        out = []
        for raw in list(self.raw_events(account)):
            remote = self.parse(raw)
            try:
                values = event_values(remote)
            except InvalidEvent:
                values = None
            out.append((remote, values))
        return out

    def event(self, account, event_id):
        """(RemoteEvent, values) of one live event, or None when it is gone."""
        raw = self.raw_event(account, event_id)
        if raw is None:
            return None
        remote = self.parse(raw)
        try:
            return remote, event_values(remote)
        except InvalidEvent:
            return remote, None


class GoogleKit(ProviderKit):
    name = "google"
    api_path = "/calendar/v3/"

    def start(self):
        self.emulator = GoogleEmulator(self.tls, enforce_quotas=True, allow_http_loopback=True).start()
        self._count_refusals("_charge")
        self.config = GoogleConfig.sandbox(self.emulator.base_url, self.tls.cert_path,
                                           client_id=self.emulator.client_id,
                                           client_secret=self.emulator.client_secret)
        return self

    def connect(self, account):
        """A fresh OAuth connect (the admin's Connect / Reconnect button) and a client on its token."""
        url, verifier = google_oauth.authorization_url(self.config, GOOGLE_REDIRECT, "soak", login_hint=account)
        params = _follow(url, self.config.ca_certs, account)
        token = google_oauth.exchange_code(self.config, GOOGLE_REDIRECT, params["code"], verifier).token
        return GoogleCalendarClient(self.config, token, sleep=self.advance, timeout=CLIENT_TIMEOUT)

    def revoke(self, account):
        self.emulator.revoke_consent(account)

    def expire_cursors(self, account):
        self.emulator.expire_sync_state(account)

    def raw_event(self, account, event_id):
        with self.emulator.lock:
            cal = self.emulator.calendars.get(account)
            raw = cal.events.get(event_id) if cal else None
            return dict(raw) if raw and raw.get("status") != "cancelled" else None

    def parse(self, raw):
        return google_parse.parse_event(raw)


class MicrosoftKit(ProviderKit):
    name = "microsoft"
    api_path = "/v1.0/"

    def start(self):
        self.emulator = MicrosoftEmulator(self.tls, enforce_limits=True, allow_http_loopback=True).start()
        self._count_refusals("_enter")
        self.config = MicrosoftConfig.sandbox(self.emulator.base_url, self.tls.cert_path,
                                              client_id=self.emulator.client_id,
                                              client_secret=self.emulator.client_secret)
        return self

    def connect(self, account):
        flow = ms_auth.start_auth(self.config, MS_REDIRECT, "soak", login_hint=account)
        params = _follow(flow["auth_uri"], self.config.ca_certs, account)
        cache, _email = ms_auth.finish_auth(self.config, flow, params)
        return GraphCalendarClient(self.config, cache, account_email=account, sleep=self.advance,
                                   timeout=CLIENT_TIMEOUT)

    def revoke(self, account):
        self.emulator.revoke_consent(account)

    def expire_cursors(self, account):
        self.emulator.expire_sync_state(account)

    def raw_event(self, account, event_id):
        with self.emulator.lock:
            raw = self.emulator.mailboxes.get(account, {}).get(event_id)
            return dict(raw) if raw and not raw.get("@deleted") else None

    def parse(self, raw):
        return ms_parse.parse_event(raw)


KITS = {"google": GoogleKit, "microsoft": MicrosoftKit}
