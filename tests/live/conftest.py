"""The live run's fixtures (``tests/live/fixtures.py``) replace the sandbox's ``provider`` and ``backdoor`` here."""

from tests.live.fixtures import backdoor, clean_calendar, live_target, provider  # noqa: F401
