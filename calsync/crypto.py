"""Encryption of OAuth tokens and client secrets at rest (Fernet, with MultiFernet key rotation).

The key never lives beside the data: it comes from the Odoo configuration file
(``fieldops_calendar_sync_key``) or the environment (``FIELDOPS_CALENDAR_SYNC_KEY``).
Several comma-separated keys allow rotation: the first encrypts, all decrypt.
Works with cryptography 3.4 (Odoo 18's pin) and current releases.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .errors import ConfigurationError, CryptoError

ENV_VAR = "FIELDOPS_CALENDAR_SYNC_KEY"


def generate_key() -> str:
    return Fernet.generate_key().decode()


class TokenCipher:
    """Encrypts with the first key, decrypts with any; never returns ciphertext as plaintext."""

    def __init__(self, keys: list[str]):
        keys = [k.strip() for k in keys if k and k.strip()]
        if not keys:
            raise ConfigurationError(
                "No encryption key is configured for calendar credentials "
                f"(fieldops_calendar_sync_key in the Odoo configuration, or {ENV_VAR})."
            )
        try:
            self._fernets = [Fernet(k.encode()) for k in keys]
        except (ValueError, TypeError):
            raise ConfigurationError(
                "The calendar credentials encryption key is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from None
        self._multi = MultiFernet(self._fernets)

    @classmethod
    def from_keys(cls, keys: list[str]) -> TokenCipher:
        return cls(keys)

    @classmethod
    def from_config(cls, config_value: str | None, env=None) -> TokenCipher:
        """From the Odoo config value, else the environment; comma-separated for rotation."""
        env = os.environ if env is None else env
        value = config_value or env.get(ENV_VAR) or ""
        if not isinstance(value, str):
            value = ""
        return cls(value.split(","))

    def encrypt(self, plaintext: str) -> str:
        if not isinstance(plaintext, str):
            raise TypeError("only text secrets are encrypted")
        return self._fernets[0].encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt((token or "").encode()).decode()
        except (InvalidToken, ValueError, TypeError):
            raise CryptoError(
                "A stored calendar credential cannot be decrypted with the configured keys: the key was "
                "changed or removed. Restore the previous key (as a second key) or reconnect the calendar."
            ) from None

    def reencrypt(self, token: str) -> str:
        """The same secret encrypted with the first (newest) key."""
        try:
            return self._multi.rotate((token or "").encode()).decode()
        except (InvalidToken, ValueError, TypeError):
            raise CryptoError("A stored calendar credential cannot be decrypted for re-encryption.") from None
