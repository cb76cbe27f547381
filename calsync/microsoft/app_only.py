"""App-only Microsoft Graph access for a whole organization: msal's client credentials flow.

The tenant's admin consents once to the application permission ``Calendars.ReadWrite``; the engine
then acts on each technician's mailbox without anyone signing in, naming the mailbox in every path
(``GraphCalendarClient(mailbox=...)``: Graph refuses ``/me`` under an app-only token). The scope is
the resource's ``/.default`` (Microsoft identity platform and the OAuth 2.0 client credentials flow,
learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow): the consented
permissions, not a list. No refresh token exists in this flow, so nothing is stored but the client
secret; msal keeps the hour-long token in memory for the client's life.
"""

from __future__ import annotations

import msal

from ..errors import ConfigurationError, NeedsReauth, ProviderError, TransientError
from .auth import http_session
from .client import GraphCalendarClient
from .config import MicrosoftConfig

GRAPH_DEFAULT_SCOPE = ["https://graph.microsoft.com/.default"]
# the token endpoint's answers that mean the organization's grant is gone: the app removed from the tenant
# or disabled (AADSTS700016, AADSTS7000112: unauthorized_client), consent missing (AADSTS65001:
# invalid_grant / consent_required), the secret expired or deleted (AADSTS7000215/7000222: invalid_client)
# the client credentials flow needs the organization's own tenant: "common" and "organizations" name no
# tenant whose admin consented (msal warns that they are unreliable there; the flow's page: "{tenant}: the
# directory tenant the application plans to operate against, in GUID or domain-name format")
TENANTLESS = ("common", "organizations", "consumers")
GRANT_GONE = {"unauthorized_client", "invalid_client", "invalid_grant", "consent_required", "interaction_required"}


class AppOnlyTokens:
    """Tokens for the app itself (no user), from a confidential client with the client secret."""

    def __init__(self, config: MicrosoftConfig):
        if config.authority.rstrip("/").rsplit("/", 1)[-1].lower() in TENANTLESS:
            raise ConfigurationError("An organization connection needs the Microsoft 365 tenant (its id or "
                                     "domain), not a multi-tenant authority.")
        self.app = msal.ConfidentialClientApplication(
            config.client_id, client_credential=config.client_secret, authority=config.authority,
            http_client=http_session(config), instance_discovery=False, token_cache=msal.TokenCache())

    def token(self, force=False) -> str:
        """An app-only access token; ``force`` drops the cached one first (Graph answered 401)."""
        if force:
            self.app.remove_tokens_for_client()
        try:
            result = self.app.acquire_token_for_client(scopes=GRAPH_DEFAULT_SCOPE)
        except (OSError, ValueError) as exc:
            raise TransientError(f"Microsoft's sign-in service could not be reached ({type(exc).__name__}).") \
                from None
        if result and "access_token" in result:
            return result["access_token"]
        error = (result or {}).get("error") or ""
        if error in GRANT_GONE:
            raise NeedsReauth("Microsoft no longer grants this app access to the organization's calendars (admin "
                              "consent removed, app disabled or client secret expired). Connect the "
                              "organization again.")
        raise ProviderError(f"Microsoft refused the organization's app token ({error or 'error'}).")


def app_only_client(config: MicrosoftConfig, mailbox: str, tokens: AppOnlyTokens | None = None,
                    **kwargs) -> GraphCalendarClient:
    """A Graph client for one technician's mailbox (user id or userPrincipalName) with app-only tokens.

    Pass one ``AppOnlyTokens`` to many clients of a job: the token is the app's, not the mailbox's.
    """
    return GraphCalendarClient(config, None, mailbox=mailbox, token_source=tokens or AppOnlyTokens(config),
                               **kwargs)
