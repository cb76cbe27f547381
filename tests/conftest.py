"""Fixture modules shared by the engine suite (the emulators and clients connected to them)."""

pytest_plugins = ["tests.google_fixtures", "tests.microsoft_fixtures"]
