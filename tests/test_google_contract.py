"""The Google client passes the provider contract against the emulator, over real HTTPS."""

from tests.provider_contract import ProviderContract


class TestGoogleContract(ProviderContract):
    """Fixtures ``provider`` and ``backdoor`` come from tests/google_fixtures.py."""
