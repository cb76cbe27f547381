"""Where the Microsoft endpoints are: the real identity platform and Graph, or the sandbox's."""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPES = ["Calendars.ReadWrite"]  # offline_access is implied by msal (passing it raises)


@dataclass(frozen=True)
class MicrosoftConfig:
    client_id: str
    client_secret: str = field(repr=False)
    authority: str  # https, with a tenant segment, no trailing slash
    graph_base: str  # ".../v1.0"
    ca_certs: str | None = None

    @classmethod
    def production(cls, client_id: str, client_secret: str, tenant: str = "common") -> MicrosoftConfig:
        return cls(client_id, client_secret, f"https://login.microsoftonline.com/{tenant}",
                   "https://graph.microsoft.com/v1.0")

    @classmethod
    def sandbox(cls, base_url: str, ca_certs: str, tenant: str = "common",
                client_id: str = "sandbox-microsoft-client", client_secret: str = "") -> MicrosoftConfig:
        base = base_url.rstrip("/")
        return cls(client_id, client_secret, f"{base}/{tenant}", f"{base}/v1.0", ca_certs)
