"""The in-memory reference provider passes the provider contract."""

import pytest

from calsync.memory import MemoryCalendar, MemoryProvider
from tests.provider_contract import ProviderContract


@pytest.fixture
def calendar():
    return MemoryCalendar()


@pytest.fixture
def provider(calendar):
    return MemoryProvider(calendar)


@pytest.fixture
def backdoor(calendar):
    return calendar


class TestMemoryContract(ProviderContract):
    """The engine's own reference provider, held to the same contract as the real ones."""
