"""The Google Calendar v3 + Google OAuth emulator, one module per resource (see server.py)."""

from .server import GoogleEmulator

__all__ = ["GoogleEmulator"]
