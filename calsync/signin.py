"""Where the browser is sent to sign in, and what a finished sign-in hands back.

oauthlib (and msal) build authorization URLs only for https endpoints, so the clients
always build the provider's https authorize URL. The sandbox serves its interactive
consent page on plain http on loopback (a normal browser then shows no certificate
warning, and no process needs oauthlib's insecure-transport switch); in sandbox mode
the browser is sent to the same request on that origin. Tokens are still fetched over
TLS from the token endpoint.
"""

from __future__ import annotations

import urllib.parse
from typing import NamedTuple


def browser_url(authorize_url: str, browser_origin: str | None) -> str:
    """``authorize_url`` with its scheme and host replaced by ``browser_origin`` (if any): same path, same query."""
    if not browser_origin:
        return authorize_url
    origin = urllib.parse.urlsplit(browser_origin)
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(authorize_url)._replace(scheme=origin.scheme,
                                                                                  netloc=origin.netloc))


class SignIn(NamedTuple):
    """A finished sign-in: the token blob to store (encrypted) and the account that really signed in.

    ``account_email`` is what the provider says about the person who signed in, which may differ from
    the address typed on the connection; None when the provider did not say.
    """

    token: str
    account_email: str | None


def calendar_key(provider: str, account_email: str | None, calendar_ref: str | None) -> str | None:
    """One string per real calendar, so that the same calendar is never connected twice.

    Google: "primary" (or no id) is the account's own calendar, whose id is the account's address
    (CalendarList / Calendars resources, developers.google.com/calendar/api/v3/reference/calendars);
    addresses and calendar ids compare without case. Microsoft: no id is the mailbox's default
    calendar; Graph calendar ids are opaque and compared as they are. None without an account.
    """
    account = (account_email or "").strip().lower()
    if not provider or not account:
        return None
    calendar = (calendar_ref or "").strip()
    if provider == "google":
        calendar = calendar.lower()
        calendar = account if calendar in ("", "primary") else calendar
    return f"{provider}:{account}:{calendar}"
