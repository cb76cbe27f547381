"""Google OAuth: the authorization URL (offline access, PKCE, state) and the code exchange.

Tokens leave this module as an opaque JSON string (access token, refresh token,
expiry, scopes) that the caller stores encrypted; the client secret is not in it.
The sign-in asks for ``openid email`` as well, so the code exchange also says which
account really signed in (the ID token's ``email``), whatever address was typed.
"""

from __future__ import annotations

import base64
import binascii
import json
import warnings

from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from ..errors import NeedsReauth, ProviderError, TransientError
from ..signin import SignIn, browser_url
from .config import SIGN_IN_SCOPES, GoogleConfig


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
    """``(url, code_verifier)``: send the user to ``url``; keep the verifier server-side for the callback.

    ``login_hint`` (the address typed on the connection) only preselects the account on Google's page;
    the person may sign in as another one. In sandbox mode ``url`` is the sandbox's consent page.
    """
    flow = _flow(config, redirect_uri, scopes or SIGN_IN_SCOPES)
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _state = flow.authorization_url(access_type="offline", prompt="consent", state=state,
                                         include_granted_scopes="true", **extra)
    return browser_url(url, config.browser_origin), flow.code_verifier


def exchange_code(config: GoogleConfig, redirect_uri: str, code: str, code_verifier: str, scopes=None) -> SignIn:
    """Exchange the callback's code: the token JSON to store (encrypted) and the account that signed in."""
    if not code:
        raise ProviderError("Google sent no authorization code back.")
    flow = _flow(config, redirect_uri, scopes or SIGN_IN_SCOPES, code_verifier=code_verifier)
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
    return SignIn(token_json(token.get("access_token"), token.get("refresh_token"), token.get("expires_at"),
                             token.get("scope")),
                  signed_in_email(token.get("id_token"), config.client_id))


def signed_in_email(id_token: str | None, client_id: str) -> str | None:
    """The ``email`` claim of the ID token Google's token endpoint returned; None without one.

    Google's OpenID Connect guide ("Obtain user information from the ID token"): a token received
    directly from Google's token endpoint over HTTPS, with our client secret, need not have its
    signature checked; its audience must still be our client id.
    """
    if not id_token:
        return None
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise ProviderError("Google's sign-in answer carried an unreadable ID token. Connect again.") from None
    audience = claims.get("aud")
    if audience != client_id and not (isinstance(audience, list) and client_id in audience):
        raise ProviderError("Google's ID token was issued to another application. Connect again.")
    email = claims.get("email")
    return email.strip() if isinstance(email, str) and email.strip() else None


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
