"""The Microsoft identity platform + Graph calendar emulator, one module per resource (see server.py)."""

from .server import MicrosoftEmulator

__all__ = ["MicrosoftEmulator"]
