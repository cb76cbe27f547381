"""The state file: an emulator's calendars and refresh tokens kept between runs of ``python -m calsync.sandbox``."""

from __future__ import annotations

import json
import os


class StateFile:
    def __init__(self, path: str):
        self.path = path

    def save(self, state: dict) -> None:
        """Write atomically: a crash mid-write leaves the previous state, never half a file."""
        tmp = self.path + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(state, handle)
        os.replace(tmp, self.path)

    def load(self) -> dict | None:
        """The saved state, or None if there is none (or it cannot be read)."""
        try:
            with open(self.path) as handle:
                state = json.load(handle)
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) else None
