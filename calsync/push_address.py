"""Whether Google and Microsoft will deliver push notifications to an address of ours.

Both deliver only to https: Google Calendar's push notifications guide requires the receiving URL to
use HTTPS with a valid SSL certificate, and Microsoft Graph's change-notification (webhook) docs require
an https ``notificationUrl``. Without one, sync relies on the safety-net pull. The sandbox, started with
its loopback allowance, also delivers to plain http on this machine's loopback.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

MISSING = "missing"
NOT_HTTPS = "not_https"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def push_refusal(base_url: str | None, sandbox: bool = False) -> str | None:
    """Why no provider would push to ``base_url`` (``MISSING`` or ``NOT_HTTPS``), or None when they would."""
    parts = urlsplit((base_url or "").strip())
    if not parts.scheme or not parts.hostname:
        return MISSING
    if parts.scheme == "https":
        return None
    if sandbox and parts.scheme == "http" and _loopback(parts.hostname):
        return None
    return NOT_HTTPS
