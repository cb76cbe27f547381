"""Fixture modules shared by the engine suite (the emulators and clients connected to them)."""

import os

pytest_plugins = ["tests.google_fixtures", "tests.microsoft_fixtures", "tests.series_fixtures", "tests.org_fixtures"]

# the live contract run (tests/live) talks to real accounts: collected only when the test command starts it
if not os.environ.get("FIELDOPS_LIVE_RUN"):
    collect_ignore = ["live"]
