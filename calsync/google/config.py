"""Where the Google endpoints are: the real ones, or the sandbox emulator's."""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPE_EVENTS = "https://www.googleapis.com/auth/calendar.events"
# availability (freeBusy.query) for an organization connection's delegation
SCOPE_FREEBUSY = "https://www.googleapis.com/auth/calendar.freebusy"
SCOPE_CALENDAR_LIST = "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
# "openid email": the token answer then carries an ID token whose ``email`` claim names the account that
# signed in (OpenID Connect, developers.google.com/identity/openid-connect/openid-connect)
SIGN_IN_SCOPES = (SCOPE_EVENTS, "openid", "email")


@dataclass(frozen=True)
class GoogleConfig:
    client_id: str
    client_secret: str = field(repr=False)
    auth_uri: str
    token_uri: str
    api_base: str  # what client_options api_endpoint gets: ".../calendar/v3/"
    batch_uri: str
    ca_certs: str | None = None  # a CA file to trust (the sandbox's certificate); None: the system's
    browser_origin: str | None = None  # sandbox: the plain-http origin of its consent page (calsync.signin)

    @classmethod
    def production(cls, client_id: str, client_secret: str) -> GoogleConfig:
        return cls(client_id, client_secret, "https://accounts.google.com/o/oauth2/auth",
                   "https://oauth2.googleapis.com/token", "https://www.googleapis.com/calendar/v3/",
                   "https://www.googleapis.com/batch/calendar/v3")

    @classmethod
    def sandbox(cls, base_url: str, ca_certs: str, client_id: str = "sandbox-google-client",
                client_secret: str = "", consent_url: str | None = None) -> GoogleConfig:
        base = base_url.rstrip("/")
        return cls(client_id, client_secret, f"{base}/o/oauth2/auth", f"{base}/token", f"{base}/calendar/v3/",
                   f"{base}/batch/calendar/v3", ca_certs, consent_url)
