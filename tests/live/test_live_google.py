"""The provider contract and the live checks against a real Google Calendar test account."""

from tests.live.checks import LiveChecks
from tests.provider_contract import ProviderContract

LIVE_PROVIDER = "google"


class TestLiveGoogle(ProviderContract, LiveChecks):
    """Fixtures come from tests/live/fixtures.py; the account from FIELDOPS_LIVE_GOOGLE_*."""
