"""msal for Microsoft 365: the auth-code flow with PKCE and state, and a serialized token cache.

The cache leaves this module as an opaque string the caller stores encrypted. The sign-in
also asks for ``User.Read`` and reads Graph's ``/me``, so it says which mailbox really signed
in, whatever address was typed.
"""

from __future__ import annotations

import warnings

import msal
import requests

from ..errors import NeedsReauth, ProviderError, TransientError
from ..signin import SignIn, browser_url
from .config import SIGN_IN_SCOPES, MicrosoftConfig


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

    ``login_hint`` only prefills the sign-in page; in sandbox mode ``auth_uri`` is the sandbox's
    consent page (msal itself builds the https one).
    """
    warnings.filterwarnings("ignore", message=r"response_mode='form_post' is recommended", module=r"msal\.")
    app, _cache = make_app(config)
    flow = app.initiate_auth_code_flow(SIGN_IN_SCOPES, redirect_uri=redirect_uri, state=state,
                                       login_hint=login_hint)
    flow["auth_uri"] = browser_url(flow["auth_uri"], config.browser_origin)
    return flow


def finish_auth(config: MicrosoftConfig, flow: dict, params: dict) -> SignIn:
    """Exchange the callback's code: the token cache to store (encrypted) and the mailbox that signed in."""
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
    return SignIn(cache.serialize(), signed_in_address(config, result["access_token"]))


def signed_in_address(config: MicrosoftConfig, access_token: str) -> str | None:
    """``mail`` (or, where the user has no mailbox address, ``userPrincipalName``) of Graph's ``/me``.

    Get user (learn.microsoft.com/graph/api/user-get): ``GET /me`` with the delegated ``User.Read``;
    ``mail`` is the user's SMTP address and may be null, ``userPrincipalName`` the sign-in name. The
    ID token's ``preferred_username`` is not used: Microsoft documents it as mutable, for display.
    """
    try:
        answer = http_session(config).get(f"{config.graph_base}/me", params={"$select": "mail,userPrincipalName"},
                                          headers={"Authorization": f"Bearer {access_token}"}, timeout=30)
    except requests.RequestException as exc:
        raise TransientError(f"Microsoft Graph could not be reached to read the signed-in account "
                             f"({type(exc).__name__}).") from None
    if answer.status_code != 200:
        raise ProviderError(f"Microsoft Graph did not say which account signed in (HTTP {answer.status_code}).")
    try:
        user = answer.json()
    except ValueError:
        raise ProviderError("Microsoft Graph answered /me with something that is not JSON.") from None
    address = user.get("mail") or user.get("userPrincipalName")
    return address.strip() if isinstance(address, str) and address.strip() else None
