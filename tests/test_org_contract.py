"""The organization clients pass the same provider contract as the per-user ones, over real HTTPS.

A technician reached through the organization's grant (Google domain-wide delegation, Graph app-only
for a mailbox) must behave exactly like one who signed in: same reads, writes, cursors and errors.
"""

import pytest

from calsync.google.delegation import DelegatedCalendarClient
from calsync.microsoft.app_only import app_only_client
from tests.google_fixtures import Backdoor
from tests.microsoft_fixtures import MsBackdoor
from tests.org_fixtures import technician
from tests.provider_contract import ProviderContract


class TestDelegatedGoogleContract(ProviderContract):
    @pytest.fixture
    def subject(self):
        return technician()

    @pytest.fixture
    def provider(self, config, delegation, subject):
        return DelegatedCalendarClient(config, delegation, subject, sleep=lambda s: None)

    @pytest.fixture
    def backdoor(self, emulator, subject, provider):
        provider.list_changes()  # the first token makes the Workspace user known to the sandbox
        return Backdoor(emulator, subject)


class TestAppOnlyGraphContract(ProviderContract):
    @pytest.fixture
    def provider(self, org_config, tenant):
        return app_only_client(org_config, tenant[0], sleep=lambda s: None)

    @pytest.fixture
    def backdoor(self, ms_emulator, tenant, provider):
        return MsBackdoor(ms_emulator, tenant[0])
