"""The ``side`` fixture of the series tests: a client of each provider, with its emulator and account."""

import pytest

from calsync.google import GoogleCalendarClient
from calsync.microsoft import GraphCalendarClient


@pytest.fixture(params=["google", "microsoft"])
def side(request, emulator, config, account, ms_emulator, ms_config, ms_cache, ms_account):
    if request.param == "google":
        from tests.google_fixtures import sign_in

        return GoogleCalendarClient(config, sign_in(config, account), sleep=lambda s: None), emulator, account
    return GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None), \
        ms_emulator, ms_account
