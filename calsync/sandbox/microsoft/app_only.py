"""App-only access for a whole organization: the client credentials grant and Graph's ``/users/{id|upn}`` paths.

An organization connects every technician at once: its admin consents to the app's *application*
permission ``Calendars.ReadWrite`` and the app then acts on mailboxes without anyone signing in. What
the emulator does, rule by rule, with the page each rule comes from:

- Token (Microsoft identity platform and the OAuth 2.0 client credentials flow,
  learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow): ``grant_type=
  client_credentials``, the client secret, and ``scope`` = the resource's ``/.default`` (a bare
  permission is refused, AADSTS1002012); no refresh token is ever issued in this flow. The token
  carries the consented application permissions as ``roles``.
- Consent (Admin consent on the Microsoft identity platform, learn.microsoft.com/entra/identity-platform/
  v2-admin-consent): application permissions need an admin's consent for the tenant. Revoking it here
  is what removing the app from Enterprise applications does: the token request is then refused with
  ``unauthorized_client`` AADSTS700016 (the application was not found in the directory; Entra's
  AADSTS error-code reference). Access tokens already issued keep working until they expire, as Entra's do.
- ``/me`` (Microsoft Graph SDK issue microsoftgraph/msgraph-sdk-php#1163, the service's answer quoted
  there; "Get access without a user", learn.microsoft.com/graph/auth-v2-service: app-only calls name
  the user): under an app-only token Graph answers 400 BadRequest "/me request is only valid with
  delegated authentication flow."; every path is ``/users/{id | userPrincipalName}/...``.
- Mailbox scope (New-ApplicationAccessPolicy, learn.microsoft.com/powershell/module/exchange/
  new-applicationaccesspolicy, now "Role Based Access Control for Applications in Exchange Online"): an
  admin may restrict the app to a set of mailboxes; a mailbox outside it answers 403 ErrorAccessDenied
  "Access to OData is disabled: Blocked by tenant configured AppOnly AccessPolicy settings." (the text
  Graph returns, by community reports; the docs name the policy, not the body).
- A delegated token may name its own user as ``/users/{id|upn}`` (user-get: ``/users/{id |
  userPrincipalName}``); another user's calendar without sharing is 403 ErrorAccessDenied.
"""

from __future__ import annotations

import hashlib

from .errors import GraphError

APP_PREFIX = "app:"  # the OAuthBook account of an app-only token: the app itself, never a mailbox
GRAPH_RESOURCES = ("https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000")
ME_APP_ONLY = "/me request is only valid with delegated authentication flow."
OUT_OF_SCOPE = "Access to OData is disabled: Blocked by tenant configured AppOnly AccessPolicy settings."
ACCESS_DENIED = "Access is denied. Check credentials and try again."


def user_id(account: str) -> str:
    """The user's object id, stable per address (the same one ``/me`` answers)."""
    uid = hashlib.sha256(account.lower().encode()).hexdigest()[:32]
    return f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}"


class AppOnlyMixin:
    """Client credentials, admin consent and the mailbox scope (mixed into MicrosoftEmulator)."""

    # control state: the admin's consent to this emulator's one app, and its mailbox restriction
    app_roles: tuple = ()
    mailbox_scope: frozenset | None = None  # None: every mailbox of the tenant

    def app_only_actions(self):
        return {"grant_admin_consent": lambda p: self.grant_admin_consent(p.get("roles")),
                "revoke_admin_consent": lambda p: self.revoke_admin_consent(),
                "set_mailbox_scope": lambda p: self.set_mailbox_scope(p.get("mailboxes"))}

    def grant_admin_consent(self, roles=None):
        """An admin consents to the app's application permissions for the whole tenant."""
        self.app_roles = tuple(roles or ["Calendars.ReadWrite"])

    def revoke_admin_consent(self):
        """The admin removes the app (Enterprise applications): no new app-only token."""
        self.app_roles = ()

    def set_mailbox_scope(self, mailboxes=None):
        """An application access policy (RestrictAccess) / RBAC management scope: only these mailboxes."""
        self.mailbox_scope = None if mailboxes is None else frozenset(m.lower() for m in mailboxes)

    def app_only_snapshot(self) -> dict:
        """What the state file keeps: the admin's consent and mailbox restriction outlive a restart."""
        return {"roles": list(self.app_roles),
                "mailbox_scope": None if self.mailbox_scope is None else sorted(self.mailbox_scope)}

    def restore_app_only(self, state: dict) -> None:
        self.app_roles = tuple(state.get("roles") or ())
        self.set_mailbox_scope(state.get("mailbox_scope"))

    # -- token ---------------------------------------------------------------------------------
    def client_credentials(self, form):
        """The token endpoint's client credentials grant (the client secret was checked by the caller)."""
        scope = (form.get("scope") or "").split()
        if len(scope) != 1 or not scope[0].endswith("/.default") or scope[0][:-len("/.default")] not in \
                GRAPH_RESOURCES:
            return 400, {"error": "invalid_scope", "error_description": "AADSTS1002012: The provided value for "
                         "scope is not valid. Client credential flows must have a scope value with /.default "
                         "suffixed to the resource identifier (application ID URI)."}
        if not self.app_roles:
            return 400, {"error": "unauthorized_client", "error_description": f"AADSTS700016: Application with "
                         f"identifier '{self.client_id}' was not found in the directory."}
        access = self.oauth.new_access("sbx-maat-", "microsoft app-only access token", APP_PREFIX + self.client_id,
                                       scopes=[], roles=list(self.app_roles), app_only=True)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": access}

    # -- Graph ---------------------------------------------------------------------------------
    def find_user(self, key):
        """The account a ``/users/{key}`` segment names: a userPrincipalName or an object id; None if unknown."""
        wanted = (key or "").lower()
        for account in self.accounts.listing():
            if account.lower() == wanted or user_id(account) == wanted:
                return account
        return None

    def mailbox_for(self, entry, segment):
        """The mailbox ``/users/{segment}`` may act on with the token ``entry``, or the documented refusal."""
        account = self.find_user(segment)
        if account is None:
            raise self.unknown_account(segment)
        if not entry.get("app_only"):
            if account != entry["account"]:
                raise GraphError(403, "ErrorAccessDenied", ACCESS_DENIED)
            return account
        if "Calendars.ReadWrite" not in (entry.get("roles") or []):
            raise GraphError(403, "ErrorAccessDenied", ACCESS_DENIED)
        if self.mailbox_scope is not None and account.lower() not in self.mailbox_scope:
            raise GraphError(403, "ErrorAccessDenied", OUT_OF_SCOPE)
        return account
