"""Where the Microsoft endpoints are: the real identity platform and Graph, or the sandbox's."""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPES = ["Calendars.ReadWrite"]  # offline_access is implied by msal (passing it raises)
# User.Read lets the sign-in ask Graph's /me who signed in (user-get: least privileged delegated permission)
SIGN_IN_SCOPES = ["Calendars.ReadWrite", "User.Read"]


@dataclass(frozen=True)
class MicrosoftConfig:
    client_id: str
    client_secret: str = field(repr=False)
    authority: str  # https, with a tenant segment, no trailing slash
    graph_base: str  # ".../v1.0"
    ca_certs: str | None = None
    browser_origin: str | None = None  # sandbox: the plain-http origin of its consent page (calsync.signin)

    @classmethod
    def production(cls, client_id: str, client_secret: str, tenant: str = "common") -> MicrosoftConfig:
        return cls(client_id, client_secret, f"https://login.microsoftonline.com/{tenant}",
                   "https://graph.microsoft.com/v1.0")

    @classmethod
    def sandbox(cls, base_url: str, ca_certs: str, tenant: str = "common",
                client_id: str = "sandbox-microsoft-client", client_secret: str = "",
                consent_url: str | None = None) -> MicrosoftConfig:
        base = base_url.rstrip("/")
        return cls(client_id, client_secret, f"{base}/{tenant}", f"{base}/v1.0", ca_certs, consent_url)
