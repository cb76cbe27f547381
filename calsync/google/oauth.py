"""Google OAuth: the authorization URL (offline access, PKCE, state) and the code exchange.

Tokens leave this module as an opaque JSON string (access token, refresh token,
expiry, scopes) that the caller stores encrypted; the client secret is not in it.
"""

from __future__ import annotations

import json
import warnings

from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from ..errors import NeedsReauth, ProviderError, TransientError
from .config import SCOPE_EVENTS, GoogleConfig


def _flow(config: GoogleConfig, redirect_uri: str, scopes, code_verifier=None) -> Flow:
    client = {"web": {"client_id": config.client_id, "client_secret": config.client_secret,
                      "auth_uri": config.auth_uri, "token_uri": config.token_uri,
                      "redirect_uris": [redirect_uri]}}
    flow = Flow.from_client_config(client, scopes=list(scopes), redirect_uri=redirect_uri,
                                   code_verifier=code_verifier, autogenerate_code_verifier=code_verifier is None)
    session = flow.oauth2session
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the CA we were told to trust
    if config.ca_certs:
        session.verify = config.ca_certs
    return flow


def authorization_url(config: GoogleConfig, redirect_uri: str, state: str, scopes=None,
                      login_hint: str | None = None) -> tuple[str, str]:
    """``(url, code_verifier)``: send the user to ``url``; keep the verifier server-side for the callback."""
    flow = _flow(config, redirect_uri, scopes or [SCOPE_EVENTS])
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _state = flow.authorization_url(access_type="offline", prompt="consent", state=state,
                                         include_granted_scopes="true", **extra)
    return url, flow.code_verifier


def exchange_code(config: GoogleConfig, redirect_uri: str, code: str, code_verifier: str, scopes=None) -> str:
    """Exchange the callback's code; the token JSON to store (encrypted)."""
    if not code:
        raise ProviderError("Google sent no authorization code back.")
    flow = _flow(config, redirect_uri, scopes or [SCOPE_EVENTS], code_verifier=code_verifier)
    try:
        with warnings.catch_warnings():
            # a user may grant fewer optional scopes than asked: keep what was granted, deliberately
            warnings.simplefilter("ignore")
            token = _fetch(flow, code, config)
    except OAuth2Error as exc:
        if exc.error == "invalid_grant":
            raise NeedsReauth("Google refused the sign-in code (expired or already used). Connect again.") from None
        raise ProviderError(f"Google refused the sign-in ({exc.error}).") from None
    except OSError as exc:
        raise TransientError(f"Google's sign-in service could not be reached ({type(exc).__name__}).") from None
    if not token.get("refresh_token"):
        raise ProviderError("Google granted no refresh token; remove the app's access in the Google account "
                            "and connect again.")
    return token_json(token.get("access_token"), token.get("refresh_token"), token.get("expires_at"),
                      token.get("scope"))


def _fetch(flow, code, config):
    try:
        return flow.fetch_token(code=code, verify=config.ca_certs or True)
    except Warning as changed:  # oauthlib's "Scope has changed": the token is attached to the warning
        token = getattr(changed, "token", None)
        if token is None:
            raise
        return token


def token_json(access_token, refresh_token, expires_at, scope) -> str:
    scopes = scope.split() if isinstance(scope, str) else list(scope or [])
    return json.dumps({"token": access_token, "refresh_token": refresh_token, "expires_at": expires_at,
                       "scopes": scopes})
