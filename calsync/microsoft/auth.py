"""msal for Microsoft 365: the auth-code flow with PKCE and state, and a serialized token cache.

The cache leaves this module as an opaque string the caller stores encrypted.
"""

from __future__ import annotations

import warnings

import msal
import requests

from ..errors import NeedsReauth, ProviderError
from .config import SCOPES, MicrosoftConfig


def http_session(config: MicrosoftConfig) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the CA we were told to trust
    if config.ca_certs:
        session.verify = config.ca_certs
    return session


def make_app(config: MicrosoftConfig, cache_json: str | None = None):
    cache = msal.SerializableTokenCache()
    if cache_json:
        cache.deserialize(cache_json)
    app = msal.ConfidentialClientApplication(
        config.client_id, client_credential=config.client_secret, authority=config.authority,
        http_client=http_session(config), instance_discovery=False, token_cache=cache,
    )
    return app, cache


def start_auth(config: MicrosoftConfig, redirect_uri: str, state: str, login_hint: str | None = None) -> dict:
    """A JSON-serialisable flow (PKCE, nonce, our state); send the user to ``flow["auth_uri"]``.

    The code comes back in the query, not by form_post: the callback is bound to the signed-in Odoo
    user, and a cross-site form POST arrives without Odoo's session cookie (browsers treat it as
    SameSite=Lax). The code is single use and PKCE-bound, and the callback answers with
    ``Referrer-Policy: no-referrer``. msal advises form_post on every sign-in; that one message is
    silenced here (an equal filter replaces itself, so the filters do not grow).
    """
    warnings.filterwarnings("ignore", message=r"response_mode='form_post' is recommended", module=r"msal\.")
    app, _cache = make_app(config)
    return app.initiate_auth_code_flow(SCOPES, redirect_uri=redirect_uri, state=state, login_hint=login_hint)


def finish_auth(config: MicrosoftConfig, flow: dict, params: dict) -> tuple[str, str | None]:
    """Exchange the callback's code: ``(token_cache_json, account_email)``."""
    app, cache = make_app(config)
    try:
        result = app.acquire_token_by_auth_code_flow(flow, dict(params))
    except ValueError:
        raise ProviderError("The Microsoft sign-in answer did not match the request (state). Connect again.") \
            from None
    if "error" in result:
        if result["error"] in ("invalid_grant", "interaction_required", "consent_required"):
            raise NeedsReauth("Microsoft refused the sign-in code (expired or already used). Connect again.")
        raise ProviderError(f"Microsoft refused the sign-in ({result['error']}).")
    claims = result.get("id_token_claims") or {}
    return cache.serialize(), claims.get("preferred_username") or claims.get("email")
