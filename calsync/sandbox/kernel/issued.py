"""Every secret value the emulators issued or were handed, for leak scans.

Client secrets, authorization codes, access and refresh tokens (issued by the
emulated OAuth servers), and the secrets the product chose and sent to the
providers (Google channel tokens, Graph ``clientState``). A leak scan of the
product's database and logs asks for them with the ``secrets`` control action
(``POST /_sandbox/secrets``) and searches for each value. Every one is unique
and high-entropy, so a hit is never a coincidence. Kept for the emulator's
lifetime, including values that were spent (codes) or revoked.
"""

from __future__ import annotations

import threading


class IssuedSecrets:
    def __init__(self):
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}  # value -> kind

    def add(self, kind: str, value: str | None) -> None:
        if value:
            with self._lock:
                self._values.setdefault(value, kind)

    def listing(self) -> list[dict]:
        with self._lock:
            return [{"kind": kind, "value": value} for value, kind in self._values.items()]
