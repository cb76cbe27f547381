"""Domain-wide delegation: the JWT-bearer grant of a service account acting as each user of a Workspace domain.

An organization connects every technician at once: its Workspace admin authorizes the app's service
account (by its client id) for some scopes, and the app signs a JWT per user. Rules, from "Using OAuth
2.0 for Server to Server Applications" (developers.google.com/identity/protocols/oauth2/service-account):

- The token request is ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and ``assertion`` =
  a JWT ``{"alg":"RS256","typ":"JWT"}`` signed with the service account's private key ("Forming the
  JWT", "Computing the signature": RSA SHA-256); a bad signature is ``invalid_grant`` "Invalid JWT
  Signature." (the page's error table).
- Claims: ``iss`` the service account's email, ``scope`` space-delimited, ``aud`` the token endpoint,
  ``exp`` at most one hour after ``iat``, and ``sub`` the user for delegated access. Outside that
  window: ``invalid_grant`` "Invalid JWT: Token must be a short-lived token (60 minutes) and in a
  reasonable timeframe. Check your iat and exp values in the JWT claim." No scope: ``invalid_scope``.
- ``sub`` must be a user of the domain: ``invalid_grant`` "Invalid email or User ID" otherwise.
- The client id must be authorized in the Admin console (Security > API controls > Domain-wide
  delegation) for every requested scope, else 401 ``unauthorized_client`` "Client is unauthorized to
  retrieve access tokens using this method, or client not authorized for any of the scopes requested."
  (the page's error table: "the service account is not authorized in the Admin console of the user's
  domain"); removing the authorization is how an admin revokes it.
- The answer has ``access_token``, ``expires_in`` (3600 s at most) and ``token_type``; never a refresh
  token (the app signs a new JWT instead).

The sandbox keeps only public keys (registered through the control API, as uploading a key does) and
verifies signatures with ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_LIFETIME = 3600
# seconds of clock difference tolerated on iat and exp: the sandbox's allowance, the page names none
CLOCK_SKEW = 300
BAD_SIGNATURE = "Invalid JWT Signature."
BAD_TIMES = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check "
             "your iat and exp values in the JWT claim.")
UNAUTHORIZED = ("Client is unauthorized to retrieve access tokens using this method, or client not authorized "
                "for any of the scopes requested.")


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _refusal(error, description, status=400):
    return status, {"error": error, "error_description": description}


class DelegationMixin:
    """Service accounts, the Admin console's delegations and the JWT-bearer grant (mixed into GoogleEmulator)."""

    def init_delegation(self):
        self.service_accounts: dict[str, dict] = {}  # client_email -> {client_id, domain, key}
        self.delegations: dict[str, frozenset] = {}  # client id -> scopes the admin authorized

    def delegation_actions(self):
        return {"register_service_account": lambda p: {"client_id": self.register_service_account(
                    p["client_email"], p["public_key_pem"], p["domain"], p.get("client_id"))},
                "authorize_delegation": lambda p: self.authorize_delegation(p["client_id"], p["scopes"]),
                "revoke_delegation": lambda p: self.revoke_delegation(p["client_id"])}

    def register_service_account(self, client_email, public_key_pem, domain, client_id=None) -> str:
        """A service account of the domain's project, with the public half of its key; returns its client id."""
        accounts = self.service_accounts
        pem = public_key_pem.decode() if isinstance(public_key_pem, bytes) else public_key_pem
        key = serialization.load_pem_public_key(pem.encode())
        client_id = client_id or str(100000000000000000000 + len(accounts))
        with self.lock:
            accounts[client_email] = {"client_id": client_id, "domain": domain.lower(), "key": key, "pem": pem}
        return client_id

    def delegation_snapshot(self) -> dict:
        """What the state file keeps: the registered public keys and the admin's authorizations."""
        with self.lock:
            return {"service_accounts": {email: {"client_id": a["client_id"], "domain": a["domain"],
                                                 "pem": a["pem"]} for email, a in self.service_accounts.items()},
                    "delegations": {cid: sorted(scopes) for cid, scopes in self.delegations.items()}}

    def restore_delegation(self, state: dict) -> None:
        for email, entry in (state.get("service_accounts") or {}).items():
            self.register_service_account(email, entry["pem"], entry["domain"], entry["client_id"])
        for client_id, scopes in (state.get("delegations") or {}).items():
            self.authorize_delegation(client_id, scopes)

    def authorize_delegation(self, client_id, scopes):
        """The Workspace admin authorizes ``client_id`` for ``scopes`` (replacing what it had)."""
        with self.lock:
            self.delegations[client_id] = frozenset(scopes)

    def revoke_delegation(self, client_id):
        with self.lock:
            self.delegations.pop(client_id, None)

    def jwt_bearer(self, form):
        """The token endpoint's JWT-bearer grant: (status, answer)."""
        accounts, delegations = self.service_accounts, self.delegations
        try:
            head64, claims64, sig64 = (form.get("assertion") or "").split(".")
            header, claims = json.loads(_b64(head64)), json.loads(_b64(claims64))
            signature = _b64(sig64)
        except (ValueError, binascii.Error):
            return _refusal("invalid_grant", "Invalid JWT: the assertion is not a signed JWT.")
        if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
            return _refusal("invalid_grant", BAD_SIGNATURE)
        account = accounts.get(claims.get("iss"))
        if account is None:
            # not in the page's error table: the wording Google's token endpoint is reported to give
            return _refusal("invalid_grant", "Invalid grant: account not found")
        try:
            account["key"].verify(signature, f"{head64}.{claims64}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return _refusal("invalid_grant", BAD_SIGNATURE)
        if claims.get("aud") not in self.token_audiences():
            return _refusal("invalid_grant", "Invalid JWT: the aud claim is not the token endpoint.")
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or exp - iat > MAX_LIFETIME \
                or iat > now + CLOCK_SKEW or exp < now - CLOCK_SKEW:
            return _refusal("invalid_grant", BAD_TIMES)
        scopes = str(claims.get("scope") or "").split()
        if not scopes:
            return _refusal("invalid_scope", "Empty or missing scope not allowed.")
        subject = claims.get("sub") or claims["iss"]
        if claims.get("sub"):
            if subject.rpartition("@")[2].lower() != account["domain"]:
                return _refusal("invalid_grant", "Invalid email or User ID")
            if not set(scopes) <= delegations.get(account["client_id"], frozenset()):
                return _refusal("unauthorized_client", UNAUTHORIZED, 401)
            self.accounts.add(subject)  # a user of the Workspace domain: the admin provisioned it
        access = self.oauth.new_access("sbx-gsat-", "google service-account access token", subject, scopes=scopes)
        return 200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"}

    def token_audiences(self):
        # the documented aud is Google's token URI; the sandbox answers at its own token paths
        return {f"{self.base_url}/token", f"{self.base_url}/o/oauth2/token", "https://oauth2.googleapis.com/token"}
