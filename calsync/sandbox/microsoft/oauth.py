"""The Microsoft identity platform's endpoints in its wire format (the bookkeeping is kernel/oauth.py).

OAuth 2.0 authorization code flow (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow):
OpenID configuration, an authorize page (here it consents at once), a token
endpoint that checks the client secret, the redirect URI and PKCE and issues id
tokens carrying the nonce; refreshing issues a new refresh token while the old one
stays valid until revoked. Over TLS: msal refuses plain http.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.parse

from .. import demo

TENANT_ID = "00000000-0000-4000-8000-5a4db0c0ffee"


class OAuthMixin:
    """openid-configuration, authorize and token (mixed into MicrosoftEmulator)."""

    def openid_configuration(self, tenant):
        base = f"{self.base_url}/{tenant}"
        return {"authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "issuer": f"{self.base_url}/{TENANT_ID}/v2.0", "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code"], "scopes_supported": ["openid", "profile", "offline_access"],
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout"}

    def authorize(self, query):
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 400, {"error": "unauthorized_client"}
        account = query.get("login_hint") or demo.MICROSOFT_ACCOUNT
        code = self.oauth.new_code("sbx-mcode-", "microsoft authorization code", account, redirect_uri=redirect_uri,
                                   nonce=query.get("nonce"), challenge=query.get("code_challenge"),
                                   scope=query.get("scope", ""))
        params = {"code": code, "session_state": secrets.token_hex(8)}
        if "state" in query:
            params["state"] = query["state"]
        return 302, redirect_uri + ("&" if "?" in redirect_uri else "?") + urllib.parse.urlencode(params)

    def token(self, form):
        if not self.oauth.client_ok(self.client_id, self.client_secret, form.get("client_id"),
                                    form.get("client_secret")):
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                entry = self.oauth.take_code(form.get("code", ""))
                if entry is None:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70008: The code has expired."}
                if form.get("redirect_uri") != entry["redirect_uri"]:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS50148: redirect_uri mismatch."}
                if entry["challenge"] and not self.oauth.pkce_ok(form.get("code_verifier"), entry["challenge"]):
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS501481: PKCE failed."}
                return 200, self._issue(entry["account"], entry["nonce"], new_refresh=True)
            if grant == "refresh_token":
                # a new refresh token is issued, the old one stays valid until revoked (as Microsoft does)
                entry = self.oauth.refresh_entry(form.get("refresh_token", ""))
                if entry is None:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70000: The refresh token "
                                 "has been revoked or has expired.", "suberror": "consent_required"}
                return 200, self._issue(entry["account"], None, new_refresh=True)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, account, nonce, new_refresh):
        access = self.oauth.new_access("sbx-mat-", "microsoft access token", account)
        uid = hashlib.sha256(account.encode()).hexdigest()[:32]
        claims = {"iss": f"{self.base_url}/{TENANT_ID}/v2.0", "aud": self.client_id, "sub": uid, "oid": uid,
                  "tid": TENANT_ID, "preferred_username": account, "name": account.split("@")[0],
                  "iat": int(time.time()), "exp": int(time.time()) + 3600, "ver": "2.0"}
        if nonce:
            claims["nonce"] = nonce

        def b64(obj):
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

        # Graph's own scopes come back by their short names, as the identity platform answers for Graph
        # (a prefixed "https://graph.microsoft.com/..." would not match msal's cache lookup for the short name)
        out = {"token_type": "Bearer", "scope": "Calendars.ReadWrite openid profile",
               "expires_in": 3599, "ext_expires_in": 3599, "access_token": access,
               "id_token": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
               "client_info": b64({"uid": uid, "utid": TENANT_ID})}
        if new_refresh:
            out["refresh_token"] = self.oauth.new_refresh("sbx-mrt-", "microsoft refresh token", account)
        return out
