"""The Microsoft identity platform's endpoints in its wire format (the bookkeeping is kernel/oauth.py).

OAuth 2.0 authorization code flow (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow):
OpenID configuration; the authorize endpoint (``client_id``, ``redirect_uri``, ``scope``, ``state``,
``login_hint``, ``nonce``, PKCE) sends the browser on to the sandbox's sign-in page
(kernel/consent.py), where the person picks or types the account, and redirects back with ``code``
and ``state``, or ``error=access_denied`` when they decline (AADSTS65004); only that page creates
accounts. The token endpoint checks the client secret, the redirect URI and PKCE and issues id
tokens carrying the nonce; refreshing issues a new refresh token while the old one stays valid until
revoked. The token endpoint is over TLS: msal refuses plain http. Graph's ``/me`` (Get user,
learn.microsoft.com/graph/api/user-get: delegated ``User.Read``; without it 403
``Authorization_RequestDenied``) answers who signed in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time

from ..kernel.consent import ConsentPagesMixin, redirect, with_query
from .errors import GraphError

TENANT_ID = "00000000-0000-4000-8000-5a4db0c0ffee"
# the OpenID Connect scopes msal adds by itself; they are not Graph permissions
OIDC_SCOPES = ("openid", "profile", "offline_access", "email")
PERMISSIONS = {"Calendars.ReadWrite": "Have full access to your calendars",
               "User.Read": "Sign you in and read your profile",
               "offline_access": "Maintain access to data you have given it access to",
               "openid": "Sign you in", "profile": "View your basic profile"}
# the user resource's default properties (learn.microsoft.com/graph/api/resources/user)
ME_DEFAULT = ("businessPhones", "displayName", "givenName", "id", "jobTitle", "mail", "mobilePhone",
              "officeLocation", "preferredLanguage", "surname", "userPrincipalName")


def _graph_scopes(scope):
    """The Graph permissions of a request's ``scope`` (short names; a resource prefix is dropped)."""
    names = [s.rsplit("/", 1)[-1] for s in (scope or "").split()]
    return [s for s in names if s and s not in OIDC_SCOPES]


class OAuthMixin(ConsentPagesMixin):
    """openid-configuration, authorize (and its sign-in page), token and /me (mixed into MicrosoftEmulator)."""

    CONSENT_PRODUCT = "Microsoft 365"
    CONSENT_PERMISSIONS = PERMISSIONS
    CONSENT_DENIED = {"error_description": "AADSTS65004: User declined to consent to access the app."}

    def openid_configuration(self, tenant):
        base = f"{self.base_url}/{tenant}"
        return {"authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "issuer": f"{self.base_url}/{TENANT_ID}/v2.0", "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout"}

    def _authorize_error(self, query):
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return {"error": "unauthorized_client"}
        return None

    def authorize(self, path, query):
        """The https authorize URL: the browser is sent on to the same request on the plain-http sign-in page."""
        error = self._authorize_error(query)
        if error:
            return 400, error
        return 302, with_query(self.consent.base_url + path, query)

    def is_consent_path(self, path):
        return path.endswith("/oauth2/v2.0/authorize")

    def _grant_code(self, account, params, back):
        code = self.oauth.new_code("sbx-mcode-", "microsoft authorization code", account,
                                   redirect_uri=params["redirect_uri"], nonce=params.get("nonce"),
                                   challenge=params.get("code_challenge"), scope=params.get("scope", ""))
        return redirect(with_query(params["redirect_uri"], {"code": code, "session_state": secrets.token_hex(8),
                                                            **back}))

    def token(self, form):
        if not self.oauth.client_ok(self.client_id, self.client_secret, form.get("client_id"),
                                    form.get("client_secret")):
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
        grant = form.get("grant_type")
        if grant == "client_credentials":  # app-only, for a whole organization (app_only.py)
            return self.client_credentials(form)
        with self.lock:
            if grant == "authorization_code":
                entry = self.oauth.take_code(form.get("code", ""))
                if entry is None or entry["account"] not in self.accounts:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70008: The code has expired."}
                if form.get("redirect_uri") != entry["redirect_uri"]:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS50148: redirect_uri mismatch."}
                if entry["challenge"] and not self.oauth.pkce_ok(form.get("code_verifier"), entry["challenge"]):
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS501481: PKCE failed."}
                return 200, self._issue(entry["account"], entry["nonce"], _graph_scopes(entry.get("scope")),
                                        new_refresh=True)
            if grant == "refresh_token":
                # a new refresh token is issued, the old one stays valid until revoked (as Microsoft does)
                entry = self.oauth.refresh_entry(form.get("refresh_token", ""))
                if entry is None or entry["account"] not in self.accounts:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70000: The refresh token "
                                 "has been revoked or has expired.", "suberror": "consent_required"}
                return 200, self._issue(entry["account"], None, entry.get("scopes") or ["Calendars.ReadWrite"],
                                        new_refresh=True)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, account, nonce, scopes, new_refresh):
        access = self.oauth.new_access("sbx-mat-", "microsoft access token", account, scopes=scopes)
        uid = hashlib.sha256(account.lower().encode()).hexdigest()[:32]
        claims = {"iss": f"{self.base_url}/{TENANT_ID}/v2.0", "aud": self.client_id, "sub": uid, "oid": uid,
                  "tid": TENANT_ID, "preferred_username": account, "name": account.split("@")[0],
                  "iat": int(time.time()), "exp": int(time.time()) + 3600, "ver": "2.0"}
        if nonce:
            claims["nonce"] = nonce

        def b64(obj):
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

        # Graph's own scopes come back by their short names, as the identity platform answers for Graph
        # (a prefixed "https://graph.microsoft.com/..." would not match msal's cache lookup for the short name)
        out = {"token_type": "Bearer", "scope": " ".join([*scopes, "openid", "profile"]),
               "expires_in": 3599, "ext_expires_in": 3599, "access_token": access,
               "id_token": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
               "client_info": b64({"uid": uid, "utid": TENANT_ID})}
        if new_refresh:
            out["refresh_token"] = self.oauth.new_refresh("sbx-mrt-", "microsoft refresh token", account,
                                                          scopes=scopes)
        return out

    def me(self, account, headers, query):
        """GET /me: the signed-in user's default properties (or those of ``$select``); needs ``User.Read``."""
        entry = self.oauth.access_entry(headers.get("Authorization", "")[7:]) or {}
        if "User.Read" not in (entry.get("scopes") or []):
            raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        uid = hashlib.sha256(account.lower().encode()).hexdigest()[:32]
        local = account.split("@")[0]
        user = {"businessPhones": [], "displayName": local.replace(".", " ").title(), "givenName": None,
                "id": f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}", "jobTitle": None,
                "mail": account, "mobilePhone": None, "officeLocation": None, "preferredLanguage": "en-US",
                "surname": None, "userPrincipalName": account}
        wanted = [f.strip() for f in (query.get("$select") or "").split(",") if f.strip()] or list(ME_DEFAULT)
        context = f"{self.base_url}/v1.0/$metadata#users/$entity"
        return 200, {"@odata.context": context, **{k: user.get(k) for k in wanted if k in user}}, {}
