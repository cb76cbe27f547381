"""Google's OAuth 2.0 endpoints in Google's wire format (the bookkeeping is kernel/oauth.py).

Using OAuth 2.0 for Web Server Applications (developers.google.com/identity/protocols/oauth2/web-server):
the authorize endpoint takes ``client_id``, ``redirect_uri``, ``response_type=code``, ``scope``,
``state``, ``login_hint`` and PKCE, and after the person's choice redirects with ``code`` and
``state``, or ``error=access_denied`` when they cancel. Here it sends the browser on to the
sandbox's sign-in page (kernel/consent.py), where the person picks or types the account; only
that page creates accounts. The token endpoint takes the client credentials in the form or as
HTTP Basic, checks the redirect URI and PKCE, and answers ``invalid_grant`` for a spent,
expired or revoked grant. With the ``openid`` scope the answer carries an ID token whose
``email`` claim (with the ``email`` scope) names the account (OpenID Connect,
developers.google.com/identity/openid-connect/openid-connect: "Exchange code for access token
and ID token", "An ID token's payload").
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

from ..kernel.consent import ConsentPagesMixin, redirect, with_query
from .delegation import JWT_BEARER

AUTHORIZE_PATH = "/o/oauth2/auth"
# Google answers the OpenID Connect short names with its own scope URLs ("email" comes back as
# .../userinfo.email): documented by example only, in the scope strings its token endpoint returns
# (oauthlib's "Scope has changed" reports, e.g. googleapis/google-api-python-client#1088)
GRANTED_NAMES = {"email": "https://www.googleapis.com/auth/userinfo.email",
                 "profile": "https://www.googleapis.com/auth/userinfo.profile"}
PERMISSIONS = {
    "https://www.googleapis.com/auth/calendar.events": "View and edit events on all your calendars",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly": "See the list of Google calendars you're "
                                                                      "subscribed to",
    "openid": "Associate you with your personal info on Google",
    "email": "See your primary Google Account email address",
}


class OAuthMixin(ConsentPagesMixin):
    """authorize (and its sign-in page) and token (mixed into GoogleEmulator)."""

    CONSENT_PRODUCT = "Google Calendar"
    CONSENT_PERMISSIONS = PERMISSIONS

    def _authorize_error(self, query):
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return {"error": "invalid_request", "error_description": "unknown client or no redirect_uri"}
        if query.get("response_type") != "code":
            return {"error": "unsupported_response_type"}
        return None

    def authorize(self, query):
        """The https authorize URL: the browser is sent on to the same request on the plain-http sign-in page."""
        error = self._authorize_error(query)
        if error:
            return 400, error
        return 302, with_query(self.consent.base_url + AUTHORIZE_PATH, query)

    def is_consent_path(self, path):
        return path == AUTHORIZE_PATH

    def _grant_code(self, account, params, back):
        scopes = (params.get("scope") or "").split()
        code = self.oauth.new_code("sbx-gcode-", "google authorization code", account,
                                   redirect_uri=params["redirect_uri"], challenge=params.get("code_challenge"),
                                   method=params.get("code_challenge_method", "plain"),
                                   scopes=[GRANTED_NAMES.get(s, s) for s in scopes], nonce=params.get("nonce"))
        return redirect(with_query(params["redirect_uri"], {"code": code, "scope": " ".join(
            GRANTED_NAMES.get(s, s) for s in scopes), **back}))

    def token(self, form, headers):
        if form.get("grant_type") == JWT_BEARER:  # a service account: no client secret (delegation.py)
            return self.jwt_bearer(form)
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
                if entry is None or entry["account"] not in self.accounts:
                    return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
                if form.get("redirect_uri") != entry["redirect_uri"]:
                    return 400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"}
                if entry["challenge"] and not self.oauth.pkce_ok(form.get("code_verifier", ""), entry["challenge"],
                                                                 entry["method"]):
                    return 400, {"error": "invalid_grant", "error_description": "Invalid code verifier."}
                refresh = self.oauth.new_refresh("sbx-grt-", "google refresh token", entry["account"],
                                                 scopes=entry["scopes"])
                return 200, self._issue(entry["account"], entry["scopes"], refresh, entry.get("nonce"))
            if grant == "refresh_token":
                entry = self.oauth.refresh_entry(form.get("refresh_token", ""))
                if entry is None or entry["account"] not in self.accounts:
                    return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                return 200, self._issue(entry["account"], entry["scopes"], None)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, account, scopes, refresh, nonce=None):
        access = self.oauth.new_access("sbx-gat-", "google access token", account, scopes=scopes)
        out = {"access_token": access, "expires_in": 3599, "token_type": "Bearer", "scope": " ".join(scopes)}
        if refresh:
            out["refresh_token"] = refresh
        if "openid" in scopes:
            out["id_token"] = self._id_token(account, scopes, nonce)
        return out

    def _id_token(self, account, scopes, nonce):
        """An ID token's payload as Google's OpenID Connect guide lists it; unsigned (the sandbox has no keys;
        a client that got it from the token endpoint over TLS need not check the signature, the guide says)."""
        now = int(time.time())
        claims = {"iss": self.base_url, "azp": self.client_id, "aud": self.client_id,
                  "sub": str(int(hashlib.sha256(account.lower().encode()).hexdigest()[:15], 16)),
                  "iat": now, "exp": now + 3600}
        if GRANTED_NAMES["email"] in scopes:
            claims.update(email=account, email_verified=True)
        if nonce:
            claims["nonce"] = nonce

        def part(obj):
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
