"""The Graph client passes the provider contract against the emulator, over real HTTPS with msal."""

import pytest

from calsync.microsoft import GraphCalendarClient
from tests.microsoft_fixtures import MsBackdoor
from tests.provider_contract import ProviderContract


class TestMicrosoftContract(ProviderContract):
    @pytest.fixture
    def provider(self, ms_config, ms_cache, ms_account):
        return GraphCalendarClient(ms_config, ms_cache, account_email=ms_account, sleep=lambda s: None)

    @pytest.fixture
    def backdoor(self, ms_emulator, ms_account, provider):
        return MsBackdoor(ms_emulator, ms_account)
