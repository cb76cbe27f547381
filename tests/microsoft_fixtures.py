"""The Microsoft sandbox emulator and a Graph client connected to it through the real msal code flow."""

from __future__ import annotations

import itertools

import pytest

from calsync.microsoft import MicrosoftConfig
from calsync.microsoft import auth as ms_auth
from calsync.sandbox.microsoft import MicrosoftEmulator

from .sign_in_page import consent

REDIRECT = "https://odoo.example.test/fieldops_calendar_sync/oauth/microsoft/callback"
_accounts = itertools.count()


@pytest.fixture(scope="module")
def ms_emulator(tls):
    emu = MicrosoftEmulator(tls, enforce_limits=False, duplicate_notifications=0, allow_http_loopback=True).start()
    yield emu
    emu.stop()


@pytest.fixture
def ms_config(ms_emulator, tls):
    return MicrosoftConfig.sandbox(ms_emulator.base_url, tls.cert_path, client_id=ms_emulator.client_id,
                                   client_secret=ms_emulator.client_secret, consent_url=ms_emulator.consent_url)


def ms_sign_in(config, account, state="state-xyz"):
    """The code flow up to the callback: the sandbox's sign-in page as ``account`` (created there if new)."""
    flow = ms_auth.start_auth(config, REDIRECT, state, login_hint=account)
    return flow, consent(flow["auth_uri"], account, config.ca_certs)


@pytest.fixture
def ms_account():
    return f"mailbox{next(_accounts)}@example.test"


@pytest.fixture
def ms_cache(ms_config, ms_account):
    flow, params = ms_sign_in(ms_config, ms_account)
    cache, email = ms_auth.finish_auth(ms_config, flow, params)
    assert email == ms_account
    return cache


class MsBackdoor:
    def __init__(self, emulator, account):
        self.emulator, self.account = emulator, account

    def person_create(self, data):
        return self.emulator.person_create(self.account, {"title": data.title, "start": data.start, "end": data.end,
                                                          "description": data.description})

    def person_edit(self, event_id, **changes):
        self.emulator.person_edit(event_id, changes, account=self.account)

    def person_delete(self, event_id):
        self.emulator.person_delete(event_id, account=self.account)

    def expire_cursors(self):
        self.emulator.expire_sync_state(self.account)

    def live_count(self):
        return len(self.emulator.live_events(self.account))

    def inject(self, kind, count=1, **kw):
        self.emulator.inject_fault(kind, count=count, retry_after=kw.get("retry_after"), path_contains="/v1.0/")
