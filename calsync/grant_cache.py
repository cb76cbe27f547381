"""An organization grant's tokens, kept for the life of the process instead of one sign-in per sync job.

A technician calendar of an organization connection builds its client in every queue job. Without
this, each job asked Google for a new delegated token (one signed assertion) and Microsoft for a new
app token (msal's discovery, then the token): at 200 technicians, 800 Google token requests and
1,600 Microsoft sign-in requests an hour for the safety-net pull alone (docs/performance.md). The
tokens live an hour either way; a worker process keeps them here and asks again only when one
expires, or when the provider answers 401 (the clients then force a new one, so a revoked grant is
seen at once).

Entries are keyed by a digest of everything that makes the grant (the key or secret included, so a
new key or secret never meets an old token) and bounded in number. Nothing here is written anywhere.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

from .google.delegation import delegated_credentials as _new_delegated
from .microsoft.app_only import AppOnlyTokens

MAX_ENTRIES = 4096  # technicians' credentials per process; an app token source counts one

_entries: OrderedDict[str, object] = OrderedDict()
_lock = threading.Lock()


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _kept(key: str, make, renew=False):
    with _lock:
        found = None if renew else _entries.get(key)
        if found is not None:
            _entries.move_to_end(key)
            return found
    made = make()
    with _lock:
        if renew:
            _entries[key] = made
        else:  # another thread may have made one meanwhile: keep the first
            made = _entries.setdefault(key, made)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return made


def delegated_credentials(config, key: dict, subject: str, scopes) -> object:
    """google-auth credentials acting as ``subject`` through the service account ``key``, kept per process."""
    ident = _digest("google", config.token_uri, key, subject.lower(), sorted(scopes))
    return _kept(ident, lambda: _new_delegated(config, key, subject, scopes))


def app_tokens(config, renew=False) -> object:
    """One ``AppOnlyTokens`` (msal app and its token cache) per app and tenant, kept per process.

    ``renew`` replaces the kept one with a new one: a reconnection checks the grant with nothing of the
    old one (msal also keeps a refused request's answer for a while, and would repeat it).
    """
    ident = _digest("microsoft", config.authority, config.client_id, config.client_secret)
    return _kept(ident, lambda: AppOnlyTokens(config), renew=renew)


def clear() -> None:
    """Forget every kept token (tests; a process that must not reuse anything)."""
    with _lock:
        _entries.clear()
