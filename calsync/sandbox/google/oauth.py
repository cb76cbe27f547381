"""Google's OAuth 2.0 endpoints in Google's wire format (the bookkeeping is kernel/oauth.py).

Using OAuth 2.0 for Web Server Applications (developers.google.com/identity/protocols/oauth2/web-server):
the authorize page (here it consents at once, as the ``login_hint`` account or the
demo account) redirects with ``code`` and ``state``; the token endpoint takes the
client credentials in the form or as HTTP Basic, checks the redirect URI and PKCE,
and answers ``invalid_grant`` for a spent, expired or revoked grant.
"""

from __future__ import annotations

import base64
import urllib.parse

from .. import demo


class OAuthMixin:
    """authorize and token (mixed into GoogleEmulator)."""

    def authorize(self, query):
        """Consents at once (as the ``login_hint`` account, or the demo account) and redirects back."""
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 400, {"error": "invalid_request", "error_description": "unknown client or no redirect_uri"}
        if query.get("response_type") != "code":
            return 400, {"error": "unsupported_response_type"}
        account = query.get("login_hint") or demo.GOOGLE_ACCOUNT
        code = self.oauth.new_code("sbx-gcode-", "google authorization code", account, redirect_uri=redirect_uri,
                                   challenge=query.get("code_challenge"),
                                   method=query.get("code_challenge_method", "plain"),
                                   scopes=(query.get("scope") or "").split())
        params = {"code": code, "scope": query.get("scope", "")}
        if "state" in query:
            params["state"] = query["state"]
        sep = "&" if "?" in redirect_uri else "?"
        return 302, redirect_uri + sep + urllib.parse.urlencode(params)

    def token(self, form, headers):
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("Authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if not self.oauth.client_ok(self.client_id, self.client_secret, client_id, client_secret):
            return 401, {"error": "invalid_client", "error_description": "The OAuth client was not found."}
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                entry = self.oauth.take_code(form.get("code", ""))
                if entry is None:
                    return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
                if form.get("redirect_uri") != entry["redirect_uri"]:
                    return 400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}
                if entry["challenge"] and not self.oauth.pkce_ok(form.get("code_verifier", ""), entry["challenge"],
                                                                 entry["method"]):
                    return 400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
                refresh = self.oauth.new_refresh("sbx-grt-", "google refresh token", entry["account"],
                                                 scopes=entry["scopes"])
                return 200, self._issue(entry["account"], entry["scopes"], refresh)
            if grant == "refresh_token":
                entry = self.oauth.refresh_entry(form.get("refresh_token", ""))
                if entry is None:
                    return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                return 200, self._issue(entry["account"], entry["scopes"], None)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, account, scopes, refresh):
        access = self.oauth.new_access("sbx-gat-", "google access token", account, scopes=scopes)
        out = {"access_token": access, "expires_in": 3599, "token_type": "Bearer", "scope": " ".join(scopes)}
        if refresh:
            out["refresh_token"] = refresh
        return out
