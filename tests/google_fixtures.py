"""The Google sandbox emulator and a client connected to it through the real OAuth code flow."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from calsync.google import GoogleCalendarClient, GoogleConfig
from calsync.google import oauth as google_oauth
from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.kernel.tls import make_tls_material

from .sign_in_page import consent

REDIRECT = "https://odoo.example.test/fieldops_calendar_sync/oauth/google/callback"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls_material(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="module")
def emulator(tls):
    emu = GoogleEmulator(tls, enforce_quotas=False, allow_http_loopback=True).start()
    yield emu
    emu.stop()


@pytest.fixture
def config(emulator, tls):
    return GoogleConfig.sandbox(emulator.base_url, tls.cert_path, client_id=emulator.client_id,
                                client_secret=emulator.client_secret, consent_url=emulator.consent_url)


def sign_in(config, account, scopes=None):
    """The code flow: the sandbox's sign-in page as ``account`` (created there if new); the token JSON."""
    url, verifier = google_oauth.authorization_url(config, REDIRECT, "state-123", scopes=scopes, login_hint=account)
    params = consent(url, account, config.ca_certs)
    assert params["state"] == "state-123"
    signed_in = google_oauth.exchange_code(config, REDIRECT, params["code"], verifier, scopes=scopes)
    assert signed_in.account_email == account
    return signed_in.token


class Backdoor:
    """The contract suite's view of the emulator: a person in the calendar UI, and fault injection."""

    def __init__(self, emulator, account):
        self.emulator, self.account = emulator, account

    def person_create(self, data):
        return self.emulator.person_create(self.account, {"title": data.title, "start": data.start,
                                                          "end": data.end, "description": data.description})

    def person_edit(self, event_id, **changes):
        self.emulator.person_edit(event_id, changes, account=self.account)

    def person_delete(self, event_id):
        self.emulator.person_delete(event_id, account=self.account)

    def expire_cursors(self):
        self.emulator.expire_sync_state(self.account)

    def live_count(self):
        return len(self.emulator.live_events(self.account))

    def inject(self, kind, count=1, **kw):
        self.emulator.inject_fault(kind, count=count, retry_after=kw.get("retry_after"),
                                   path_contains="/calendar/v3/")


_accounts = iter(range(10**6))


@pytest.fixture
def account():
    return f"tech{next(_accounts)}-{datetime.now(timezone.utc).timestamp():.0f}@example.test"


@pytest.fixture
def token(config, account):
    return sign_in(config, account)


@pytest.fixture
def provider(config, token):
    return GoogleCalendarClient(config, token, sleep=lambda s: None)


@pytest.fixture
def backdoor(emulator, account, provider):
    return Backdoor(emulator, account)
