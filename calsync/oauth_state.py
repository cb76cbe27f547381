"""The OAuth ``state`` parameter: signed, bound to one user and company, short-lived.

The signature proves the state was issued by this server for this user and
company; single use is enforced by the caller, which keeps the nonce
server-side and deletes it on first use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from .errors import SyncError

STATE_TTL_SECONDS = 15 * 60


class InvalidState(SyncError):
    """The ``state`` of an OAuth callback was tampered with, expired, or issued to someone else."""

    kind = "oauth_state"


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_state(secret: str, user_id: int, company_id: int, now: float | None = None) -> tuple[str, str]:
    """A new ``(state, nonce)``; the state carries the nonce, its issue time and a signature."""
    nonce = secrets.token_urlsafe(24)
    issued = int(now if now is not None else time.time())
    payload = f"{nonce}.{issued}"
    return f"{payload}.{_mac(secret, f'{payload}.{user_id}.{company_id}')}", nonce


def verify_state(secret: str, state: str, user_id: int, company_id: int, now: float | None = None,
                 ttl: int = STATE_TTL_SECONDS) -> str:
    """The nonce of a genuine, fresh ``state`` issued to this user and company; ``InvalidState`` otherwise."""
    parts = (state or "").split(".")
    if len(parts) != 3 or not all(parts):
        raise InvalidState("The sign-in link is malformed. Start the connection again.")
    nonce, issued, signature = parts
    expected = _mac(secret, f"{nonce}.{issued}.{user_id}.{company_id}")
    if not hmac.compare_digest(expected, signature):
        raise InvalidState("The sign-in link was not issued to you in this company. "
                           "Start the connection again.")
    try:
        age = (now if now is not None else time.time()) - int(issued)
    except ValueError:
        raise InvalidState("The sign-in link is malformed. Start the connection again.") from None
    if age > ttl or age < -60:
        raise InvalidState("The sign-in link has expired. Start the connection again.")
    return nonce
