"""When a stored credential's access token expires, read without decrypting anything twice.

The health panel shows it; nothing here touches the network or logs a token.
Google: our token JSON carries ``expires_at`` (epoch seconds). Microsoft: the
msal cache holds access tokens with ``expires_on`` (epoch seconds, as text);
the latest one counts.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone


def access_token_expiry(provider: str, token: str | None) -> datetime | None:
    """The UTC time the current access token expires, or None when the token does not say."""
    if not token:
        return None
    try:
        data = json.loads(token)
    except ValueError:
        return None
    if provider == "google":
        stamp = data.get("expires_at")
    else:
        stamps = [entry.get("expires_on") for entry in (data.get("AccessToken") or {}).values()]
        stamps = [float(s) for s in stamps if s]
        stamp = max(stamps) if stamps else None
    if not stamp:
        return None
    return datetime.fromtimestamp(float(stamp), timezone.utc)
