"""The OAuth server's bookkeeping, alike for both providers: codes, tokens, expiry, revocation, PKCE.

Only the mechanics live here (what was issued to whom, until when, what a user
revoked); each provider's authorize and token endpoints (their parameters, their
error wording, id tokens) are in its own ``oauth.py``. Every value issued is
recorded in the emulator's ``IssuedSecrets`` for leak scans.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time


class OAuthBook:
    """Authorization codes, access tokens and refresh tokens, each an entry dict naming its account."""

    def __init__(self, issued, lock=None):
        self.issued = issued
        self.lock = lock or threading.RLock()
        self.codes: dict[str, dict] = {}
        self.access: dict[str, dict] = {}
        self.refresh: dict[str, dict] = {}
        self.revoked_accounts: set[str] = set()

    @staticmethod
    def client_ok(expected_id, expected_secret, client_id, client_secret) -> bool:
        return client_id == expected_id and secrets.compare_digest(client_secret or "", expected_secret)

    @staticmethod
    def pkce_ok(verifier, challenge, method="S256") -> bool:
        """RFC 7636: the verifier's S256 digest (or the verifier itself, for ``plain``) equals the challenge."""
        verifier = verifier or ""
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=") \
            if method == "S256" else verifier
        return secrets.compare_digest(digest, challenge)

    def new_code(self, prefix, kind, account, ttl=300, **details) -> str:
        """A one-time authorization code; the user consented, so an earlier revocation no longer holds."""
        code = prefix + secrets.token_urlsafe(32)
        self.issued.add(kind, code)
        with self.lock:
            self.revoked_accounts.discard(account)
            self.codes[code] = dict(details, account=account, expires=time.time() + ttl)
        return code

    def take_code(self, code):
        """The code's entry, spent; None if unknown, spent already or expired."""
        with self.lock:
            entry = self.codes.pop(code or "", None)
        if entry is None or entry["expires"] < time.time():
            return None
        return entry

    def new_access(self, prefix, kind, account, ttl=3600, **details) -> str:
        token = prefix + secrets.token_urlsafe(32)
        self.issued.add(kind, token)
        with self.lock:
            self.access[token] = dict(details, account=account, expires=time.time() + ttl)
        return token

    def new_refresh(self, prefix, kind, account, **details) -> str:
        token = prefix + secrets.token_urlsafe(32)
        self.issued.add(kind, token)
        with self.lock:
            self.refresh[token] = dict(details, account=account)
        return token

    def refresh_entry(self, token):
        """The refresh token's entry, or None if unknown or its account withdrew consent."""
        with self.lock:
            entry = self.refresh.get(token or "")
            if entry is None or entry["account"] in self.revoked_accounts:
                return None
            return entry

    def access_entry(self, token):
        """The access token's entry, or None if unknown, revoked or expired."""
        entry = self.access.get(token or "")
        if entry is None or entry["expires"] < time.time():
            return None
        return entry

    def revoke(self, account) -> None:
        """The user withdrew consent: every token of the account stops working."""
        with self.lock:
            self.revoked_accounts.add(account)
            for book in (self.refresh, self.access):
                for token in [t for t, entry in book.items() if entry["account"] == account]:
                    del book[token]

    def expire_access(self) -> None:
        with self.lock:
            for entry in self.access.values():
                entry["expires"] = 0

    def restore_refresh(self, tokens: dict, kind: str) -> None:
        """Refresh tokens from a state file: they outlive a restart, as a provider's do."""
        with self.lock:
            self.refresh.update(tokens)
        for token in tokens:
            self.issued.add(kind, token)
