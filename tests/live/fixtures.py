"""Fixtures of the live contract run: the real client on the test account, and a person beside it.

Loaded by ``tests/live/conftest.py`` (and with ``-p tests.live.fixtures`` by the run's own check). The
provider is named by the test module's ``LIVE_PROVIDER``; its account by the environment
(``tests/live/variables.py``). Before and after each test, whatever its outcome, every event the run
made is deleted, and so is every event in the test calendar inside the contract's window (leftovers of a
run that was killed): a failed run leaves nothing behind.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from calsync.google import GoogleCalendarClient, GoogleConfig
from calsync.google.config import SCOPE_EVENTS
from calsync.google.oauth import token_json
from calsync.microsoft import GraphCalendarClient, MicrosoftConfig
from calsync.microsoft.auth import make_app
from calsync.microsoft.config import SCOPES
from tests.live import variables
from tests.live.plain_clients import PlainGoogle, PlainGraph
from tests.provider_contract import T0

# the contract writes its events around T0; the cleanup clears this window of the test calendar
WINDOW = (T0 - timedelta(days=2), T0 + timedelta(days=5))
CANNOT_BE_MADE_LIVE = "cannot be made live: {what} (the sandbox run covers it)"


class Recorded:
    """The client under test, noting the id of every event it creates, so the cleanup finds them all."""

    def __init__(self, client, created: set):
        self._client, self._created = client, created

    def __getattr__(self, name):
        return getattr(self._client, name)

    def create(self, identity, data):
        return self._note(self._client.create(identity, data))

    def create_series(self, identity, data, recurrence):
        return self._note(self._client.create_series(identity, data, recurrence))

    def apply(self, ops):
        results = self._client.apply(ops)
        for result in results:
            if result.ok and result.event is not None:
                self._note(result.event)
        return results

    def _note(self, event):
        self._created.add(event.id)
        return event


class LiveTarget:
    """One provider's test account: builds the client under test and the plain client beside it."""

    def __init__(self, provider: str):
        self.name = provider
        reason = variables.skip_reason(provider)
        if reason:
            pytest.skip(reason)
        value = variables.value
        self.ca_certs = value("CA_CERTS")
        self.created = set()
        if provider == "google":
            base = value("GOOGLE_BASE_URL")
            client_id, secret = value("GOOGLE_CLIENT_ID"), value("GOOGLE_CLIENT_SECRET")
            self.config = (GoogleConfig.sandbox(base, self.ca_certs, client_id=client_id, client_secret=secret)
                           if base else GoogleConfig.production(client_id, secret))
            self.refresh_token = value("GOOGLE_REFRESH_TOKEN")
            self.calendar_id = value("GOOGLE_CALENDAR_ID")
            self.plain = PlainGoogle(client_id, secret, self.refresh_token, self.calendar_id, base, self.ca_certs)
        else:
            base, tenant = value("MICROSOFT_BASE_URL"), value("MICROSOFT_TENANT")
            client_id, secret = value("MICROSOFT_CLIENT_ID"), value("MICROSOFT_CLIENT_SECRET")
            self.config = (MicrosoftConfig.sandbox(base, self.ca_certs, tenant=tenant, client_id=client_id,
                                                   client_secret=secret)
                           if base else MicrosoftConfig.production(client_id, secret, tenant))
            self.refresh_token = value("MICROSOFT_REFRESH_TOKEN")
            self.calendar_id = value("MICROSOFT_CALENDAR_ID")
            self.plain = PlainGraph(client_id, secret, tenant, self.refresh_token, self.calendar_id, base,
                                    self.ca_certs)
            self._cache = None

    def client(self, stale_access_token: bool = False):
        """The client under test, as the addon builds it from a stored grant.

        ``stale_access_token``: the stored access token is one the provider no longer accepts, so the
        first request must renew it with the refresh token.
        """
        if self.name == "google":
            access, expires = ("stale-access-token", 4102444800) if stale_access_token else (None, None)
            token = token_json(access, self.refresh_token, expires, [SCOPE_EVENTS])
            return Recorded(GoogleCalendarClient(self.config, token, calendar_id=self.calendar_id), self.created)
        cache = self._token_cache()
        if stale_access_token:
            state = json.loads(cache)
            for entry in state.get("AccessToken", {}).values():
                entry["expires_on"] = entry["extended_expires_on"] = "1"
            cache = json.dumps(state)
        return Recorded(GraphCalendarClient(self.config, cache, calendar_id=self.calendar_id), self.created)

    def _token_cache(self) -> str:
        """An msal token cache made from the refresh token, as the addon's sign-in would have stored it."""
        if self._cache is None:
            app, cache = make_app(self.config, None)
            result = app.acquire_token_by_refresh_token(self.refresh_token, scopes=SCOPES)
            if "access_token" not in result:
                pytest.fail(f"Microsoft refused the test account's refresh token: {result.get('error')}: "
                            f"{result.get('error_description', '')[:300]}")
            self._cache = cache.serialize()
        return self._cache

    def sweep(self) -> None:
        for event_id in {*self.plain.live_ids(*WINDOW), *self.created}:
            self.plain.person_delete(event_id)
        self.created.clear()


class LiveBackdoor:
    """The contract's person in the calendar, through the plain client; what no API offers is skipped."""

    def __init__(self, target: LiveTarget):
        self.target = target

    def person_create(self, data):
        event_id = self.target.plain.person_create({"title": data.title, "start": data.start, "end": data.end,
                                                    "description": data.description})
        self.target.created.add(event_id)
        return event_id

    def person_edit(self, event_id, **changes):
        self.target.plain.person_edit(event_id, changes)

    def person_delete(self, event_id):
        self.target.plain.person_delete(event_id)

    def live_count(self):
        return len(self.target.plain.live_ids(*WINDOW))

    def expire_cursors(self):
        pytest.skip(CANNOT_BE_MADE_LIVE.format(what="neither provider expires a sync token on demand"))

    def inject(self, kind, count=1, **kw):
        pytest.skip(CANNOT_BE_MADE_LIVE.format(what=f"a provider fault ({kind}) on demand"))


@pytest.fixture(scope="module")
def live_target(request):
    return LiveTarget(request.module.LIVE_PROVIDER)


@pytest.fixture(autouse=True)
def clean_calendar(live_target):
    """The test calendar's window is empty before each test and again after it, also after a failure."""
    live_target.sweep()
    yield
    live_target.sweep()


@pytest.fixture
def provider(live_target):
    return live_target.client()


@pytest.fixture
def backdoor(live_target):
    return LiveBackdoor(live_target)
