"""The provider contract and the live checks against a real Microsoft 365 test mailbox."""

from tests.live.checks import LiveChecks
from tests.provider_contract import ProviderContract

LIVE_PROVIDER = "microsoft"


class TestLiveMicrosoft(ProviderContract, LiveChecks):
    """Fixtures come from tests/live/fixtures.py; the account from FIELDOPS_LIVE_MICROSOFT_*."""
