"""An organization connection (issue #25): one grant that reaches every opted-in technician's own calendar.

Google Workspace: a service account with domain-wide delegation (its JSON key, stored encrypted).
Microsoft 365: app-only access (tenant, client id and secret, stored encrypted). Each technician
who is added gets a ``fieldops.calendar.connection`` of their own (their jobs only, their own
cursor, channel and quota) whose client acts through this grant instead of a signed-in token.
The grant is the organization's: when it goes (consent revoked, key deleted) every technician
calendar waits for the organization to be reconnected; a mailbox outside the grant's scope only
stops its own technician.
"""

import base64
import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from calsync import grant_cache
from calsync.errors import ConfigurationError, SyncError
from calsync.google import GoogleConfig
from calsync.google.config import SCOPE_EVENTS, SCOPE_FREEBUSY
from calsync.google.delegation import DelegatedCalendarClient, read_service_account_key
from calsync.microsoft import MicrosoftConfig
from calsync.microsoft.app_only import app_only_client

from ..adapters import providers, sandbox_admin
from ..tools.cipher import get_cipher

STATES = [
    ("draft", "Not connected"),
    ("connected", "Connected"),
    ("needs_reauth", "Needs reconnecting"),
    ("disconnected", "Disconnected"),
]
DELEGATED_SCOPES = (SCOPE_EVENTS, SCOPE_FREEBUSY)
SANDBOX_TENANT = "fieldops-sandbox.test"


class CalendarOrganization(models.Model):
    _name = "fieldops.calendar.organization"
    _description = "Organization calendar connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "company_id, name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    provider = fields.Selection(
        [("google", "Google Workspace (domain-wide delegation)"),
         ("microsoft", "Microsoft 365 (app-only access)")],
        required=True, tracking=True)
    state = fields.Selection(STATES, required=True, default="draft", tracking=True, copy=False)
    sandbox = fields.Boolean(copy=False, readonly=True,
                             help="The grant is the local sandbox's, not the real provider's.")
    responsible_user_id = fields.Many2one(
        "res.users", string="Responsible", required=True, default=lambda self: self.env.user,
        help="Technician calendars sync as this user, and problems with the grant reach them as activities.")
    last_error = fields.Text(copy=False, readonly=True)

    # Google Workspace
    google_domain = fields.Char(
        string="Workspace domain", help="The Google Workspace domain of the technicians' addresses (example.com).")
    google_client_email = fields.Char(string="Service account", readonly=True, copy=False)
    google_client_id = fields.Char(
        string="Client id to authorize", readonly=True, copy=False,
        help="Authorize this client id in the Google Admin console (Security > Access and data control > API "
             "controls > Domain-wide delegation) for the calendar.events and calendar.freebusy scopes.")
    google_key_encrypted = fields.Text(groups="base.group_system", copy=False, prefetch=False)
    google_key_file = fields.Binary(
        string="Service account key (JSON)", compute="_compute_write_only", inverse="_inverse_google_key",
        help="The JSON key Google Cloud gives for the service account. It is stored encrypted and never shown "
             "again.")
    google_key_filename = fields.Char(compute="_compute_write_only")

    # Microsoft 365
    microsoft_tenant = fields.Char(
        string="Tenant", help="The Microsoft 365 tenant id or domain (not 'common': app-only access needs the "
                              "tenant whose admin consented).")
    microsoft_client_id = fields.Char(string="Application (client) id", copy=False)
    microsoft_secret_encrypted = fields.Text(groups="base.group_system", copy=False, prefetch=False)
    microsoft_secret = fields.Char(
        string="Client secret", compute="_compute_write_only", inverse="_inverse_microsoft_secret",
        help="Stored encrypted and never shown again.")
    credentials_set = fields.Boolean(compute="_compute_credentials_set")

    connection_ids = fields.One2many("fieldops.calendar.connection", "organization_id",
                                     string="Technician calendars")
    technician_count = fields.Integer(compute="_compute_technician_counts", string="Technicians")
    attention_count = fields.Integer(compute="_compute_technician_counts", string="Technicians needing attention")
    out_of_scope_count = fields.Integer(compute="_compute_technician_counts", string="Outside the grant")

    _sql_constraints = [
        ("name_company_unique", "UNIQUE(company_id, name)", "An organization connection of this name exists already."),
    ]

    # -- computed ----------------------------------------------------------------------------
    def _compute_write_only(self):
        for org in self:
            org.google_key_file = False
            org.google_key_filename = False
            org.microsoft_secret = False

    def _compute_credentials_set(self):
        for org in self:
            stored = org.sudo()
            org.credentials_set = bool(stored.google_key_encrypted if org.provider == "google"
                                       else stored.microsoft_secret_encrypted and org.microsoft_client_id)

    def _compute_technician_counts(self):
        Connection = self.env["fieldops.calendar.connection"]
        for org in self:
            mine = [("organization_id", "=", org.id)]
            org.technician_count = Connection.search_count(mine) if org.id else 0
            org.attention_count = Connection.search_count(
                [*mine, ("state", "not in", ("connected", "sandbox_connected"))]) if org.id else 0
            org.out_of_scope_count = Connection.search_count(
                [*mine, ("last_error_kind", "=", "out_of_scope")]) if org.id else 0

    def _inverse_google_key(self):
        for org in self:
            if not org.google_key_file:
                continue
            try:
                key = read_service_account_key(base64.b64decode(org.google_key_file))
            except (ConfigurationError, ValueError) as exc:
                raise UserError(str(exc) if isinstance(exc, ConfigurationError) else
                                _("Upload the JSON key file Google Cloud gave for the service account.")) from None
            org._store_google_key(key)

    def _store_google_key(self, key):
        self.ensure_one()
        self.sudo().write({"google_key_encrypted": get_cipher().encrypt(json.dumps(key)),
                           "google_client_email": key["client_email"], "google_client_id": key["client_id"]})
        self.message_post(body=_("Service account key of %(account)s stored by %(user)s.",
                                 account=key["client_email"], user=self.env.user.name))

    def _inverse_microsoft_secret(self):
        for org in self:
            if org.microsoft_secret:
                org.sudo().microsoft_secret_encrypted = get_cipher().encrypt(org.microsoft_secret)
                org.message_post(body=_("Client secret stored by %s.", self.env.user.name))

    @api.constrains("responsible_user_id", "company_id")
    def _check_responsible_company(self):
        for org in self:
            if org.company_id not in org.responsible_user_id.sudo().company_ids:
                raise ValidationError(_("%(user)s cannot work in %(company)s; choose a user of %(company)s.",
                                        user=org.responsible_user_id.sudo().name, company=org.company_id.name))

    @api.constrains("microsoft_tenant", "provider")
    def _check_tenant(self):
        for org in self:
            tenant = (org.microsoft_tenant or "").strip().lower()
            if org.provider == "microsoft" and tenant in ("common", "organizations", "consumers"):
                raise ValidationError(_("App-only access needs your organization's own tenant (its id or domain), "
                                        "not '%s'.", tenant))

    # -- the grant -----------------------------------------------------------------------------
    def _config(self):
        """The provider configuration of this organization's grant (sandbox or real)."""
        self.ensure_one()
        info = providers.sandbox_info(self.env) if providers.sandbox_mode(self.env) else None
        if self.provider == "google":
            if info:
                side = info["google"]
                return GoogleConfig.sandbox(side["base_url"], info["ca_cert"], client_id=side["client_id"],
                                            client_secret=side["client_secret"])
            return GoogleConfig.production("", "")  # a service account needs no OAuth client: only the token URI
        secret = self._microsoft_secret()  # decrypted once
        if info:
            side = info["microsoft"]
            return MicrosoftConfig.sandbox(side["base_url"], info["ca_cert"],
                                           tenant=self.microsoft_tenant or SANDBOX_TENANT,
                                           client_id=self.microsoft_client_id or side["client_id"],
                                           client_secret=secret or side["client_secret"])
        if not (self.microsoft_tenant and self.microsoft_client_id and secret):
            raise UserError(_("Enter the tenant, the application (client) id and the client secret of %s first.",
                              self.name))
        return MicrosoftConfig.production(self.microsoft_client_id, secret, tenant=self.microsoft_tenant.strip())

    def _google_key(self):
        blob = self.sudo().google_key_encrypted
        if not blob:
            raise UserError(_("Upload the service account's JSON key of %s first.", self.name))
        return json.loads(get_cipher().decrypt(blob))

    def _microsoft_secret(self):
        blob = self.sudo().microsoft_secret_encrypted
        return get_cipher().decrypt(blob) if blob else False

    def _technician_client(self, connection, meter=None, tokens=None):
        """The provider client acting on ``connection``'s technician calendar through this grant.

        The only place the organization's key or secret is decrypted. ``tokens`` shares one app-only
        token source between the clients of one job (Microsoft); otherwise the process keeps the grant's
        tokens between jobs (``calsync.grant_cache``).
        """
        self.ensure_one()
        config = self._config()
        mailbox = connection.account_email
        if self.provider == "google":
            key = self._google_key()
            return DelegatedCalendarClient(
                config, key, mailbox, scopes=DELEGATED_SCOPES, calendar_id="primary",
                credentials=grant_cache.delegated_credentials(config, key, mailbox, DELEGATED_SCOPES),
                send_updates="all" if connection.invite_crew else "none", invite_attendees=connection.invite_crew,
                meter=meter)
        window = (connection.window_past_days, connection.window_future_days)
        return app_only_client(config, mailbox, tokens or grant_cache.app_tokens(config), window=window,
                               invite_attendees=connection.invite_crew, meter=meter)

    def _check_grant(self):
        """Ask the provider for a token through the grant; raises the engine's error when it is refused.

        Google: a token for one technician (the delegation is per client id and scope, so one proves it
        for all); with no technician yet, only the key was checked (at upload): False. Microsoft: the app's
        own token.
        """
        self.ensure_one()
        config = self._config()
        if self.provider == "microsoft":
            grant_cache.app_tokens(config, renew=True).token()  # a kept token proves nothing: ask anew
            return True
        key = self._google_key()
        subject = self.connection_ids.filtered(lambda c: c.last_error_kind != "out_of_scope")[:1].account_email
        if not subject:
            return False
        DelegatedCalendarClient(config, key, subject, scopes=DELEGATED_SCOPES).check_grant()
        return True

    # -- buttons -----------------------------------------------------------------------------------
    def action_connect(self):
        """Check the grant with the provider; on success every technician calendar syncs (again)."""
        self.ensure_one()
        self.check_access("write")
        get_cipher()  # refuse early and clearly when no key is configured
        try:
            checked = self._check_grant()
        except SyncError as exc:
            self.sudo().write({"state": "needs_reauth", "last_error": str(exc)})
            raise UserError(_("The provider refused the organization's grant: %s", exc)) from None
        sandbox = providers.sandbox_mode(self.env)
        self.sudo().write({"state": "connected", "sandbox": sandbox, "last_error": False})
        self.activity_unlink(["mail.mail_activity_data_todo"])
        waiting = self.connection_ids.filtered(lambda c: c.state in ("draft", "needs_reauth", "disconnected"))
        waiting._organization_connected()
        self.message_post(body=_("Organization connected by %s.", self.env.user.name) if checked else
                          _("Organization connected by %s. The domain-wide delegation is checked when the first "
                            "technician is added.", self.env.user.name))
        return self._notify(_("Connected: %(count)s technician calendars sync through this grant.",
                              count=len(self.connection_ids)))

    action_reconnect = action_connect

    def action_disconnect(self):
        """Disconnect every technician calendar (their events stay) and forget the key or secret."""
        for org in self:
            org.check_access("write")
            for connection in org.connection_ids.filtered(lambda c: c.state != "disconnected"):
                connection._disconnect(_("Disconnected with the organization %(org)s by %(user)s. Its events were "
                                         "left in place.", org=org.name, user=self.env.user.name))
            org.sudo().write({"state": "disconnected", "google_key_encrypted": False,
                              "microsoft_secret_encrypted": False, "last_error": False})
            org.message_post(body=_("Organization disconnected by %s; its key or secret was erased. The "
                                    "technicians' events were left in place.", self.env.user.name))
        return self._notify(_("Disconnected. The events already in the technicians' calendars were left in place."))

    def action_add_technicians(self):
        self.ensure_one()
        self.check_access("write")
        wizard = self.env["fieldops.calendar.organization.add"].create({"organization_id": self.id})
        return {"type": "ir.actions.act_window", "name": _("Add technicians"), "res_model": wizard._name,
                "res_id": wizard.id, "view_mode": "form", "target": "new"}

    def action_view_technicians(self):
        self.ensure_one()
        self.check_access("read")  # a button of a record one cannot see is not a way in
        action = self.env["ir.actions.act_window"]._for_xml_id("fieldops_calendar_sync.action_calendar_health")
        action.update({"domain": [("organization_id", "=", self.id)], "name": _("Technician calendars"),
                       "context": {"group_by": ["organization_id"], "active_test": False}})
        return action

    def action_sandbox_grant(self):
        """Sandbox mode: play the organization's admin (create the key or consent) in the sandbox's consoles."""
        self.ensure_one()
        self.check_access("write")
        if not providers.sandbox_mode(self.env):
            raise UserError(_("Only in sandbox mode: with the real providers, the organization's admin grants access "
                              "in the Google Admin console or Microsoft Entra (see the admin guide)."))
        info = providers.sandbox_info(self.env)
        if self.provider == "google":
            domain = (self.google_domain or "").strip().lstrip("@").lower()
            if not domain:
                raise UserError(_("Enter the Workspace domain of the technicians' addresses first."))
            self._store_google_key(sandbox_admin.google_service_account(self.env, info, domain, DELEGATED_SCOPES))
        else:
            sandbox_admin.microsoft_admin_consent(self.env, info)
            self.sudo().write({"microsoft_tenant": self.microsoft_tenant or SANDBOX_TENANT,
                               "microsoft_client_id": info["microsoft"]["client_id"],
                               "microsoft_secret_encrypted": get_cipher().encrypt(info["microsoft"]["client_secret"])})
        self.message_post(body=_("The sandbox granted this organization access to its technicians' calendars."))
        return self.action_connect()

    def _notify(self, message):
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"message": message, "type": "info", "sticky": False,
                           "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}

    # -- technicians ---------------------------------------------------------------------------------
    def _candidate_domain(self):
        """Workers who may join this organization: a work e-mail, of its company (or of no company while the
        admin works in this one), and not in it already."""
        self.ensure_one()
        taken = self.connection_ids.person_ids  # the active ones: a removed technician may come back
        companies = [self.company_id.id]
        if self.env.company == self.company_id:
            companies.append(False)
        return [("email", "!=", False), ("company_id", "in", companies), ("id", "not in", taken.ids)]

    def _add_technicians(self, persons):
        """One technician calendar per worker, syncing at once when the organization is connected."""
        self.ensure_one()
        self.check_access("write")
        allowed = self.env["fsm.person"].search(self._candidate_domain())
        refused = persons - allowed
        if refused:
            raise UserError(_("These workers cannot join %(org)s (no work e-mail, another company, or already in "
                              "it): %(names)s", org=self.name, names=", ".join(refused.mapped("name"))))
        Connection = self.env["fieldops.calendar.connection"]
        created = Connection
        if self.provider == "microsoft" and providers.sandbox_mode(self.env):
            info = providers.sandbox_info(self.env)
            for person in persons:  # the tenant's admin created their mailboxes (real tenants have them)
                sandbox_admin.microsoft_mailbox(self.env, info, person.email.strip())
        for person in persons:
            archived = Connection.with_context(active_test=False).search(
                [("organization_id", "=", self.id), ("person_ids", "in", person.ids), ("active", "=", False)],
                limit=1)
            values = {"account_email": person.email.strip(), "active": True, "state": "draft"}
            if archived:
                archived.with_context(fieldops_organization_write=True).write(values)
                created |= archived
                continue
            created |= Connection.create({
                **values, "name": person.name, "company_id": self.company_id.id, "provider": self.provider,
                "organization_id": self.id, "person_ids": [(6, 0, person.ids)],
                "responsible_user_id": self.responsible_user_id.id,
                "calendar_ref": "primary" if self.provider == "google" else False,
            })
        self.message_post(body=_("%(user)s added %(names)s.", user=self.env.user.name,
                                 names=", ".join(persons.mapped("name"))))
        if self.state == "connected":
            created._organization_connected()
        return created

    def _grant_lost(self, message):
        """The provider refused the organization's grant: every technician waits for a reconnection. Said once."""
        self.ensure_one()
        org = self.sudo()
        org.connection_ids.filtered(lambda c: c.state not in ("disconnected", "draft")).write(
            {"state": "needs_reauth", "last_error": message, "last_error_kind": "reauth"})
        if org.state == "needs_reauth":
            return
        org.write({"state": "needs_reauth", "last_error": message})
        org.message_post(body=_("The provider no longer grants access to the technicians' calendars: %s", message))
        org.activity_schedule("mail.mail_activity_data_todo", user_id=org.responsible_user_id.id,
                              summary=_("Reconnect organization %s", org.name), note=message)

    def _mailbox_out_of_scope(self, connection, message):
        """One technician outside the grant (a mailbox the admin's scope leaves out): marked; the others go on."""
        self.ensure_one()
        connection.sudo().write({"state": "error", "last_error": message, "last_error_kind": "out_of_scope"})
        connection.sudo().message_post(body=_("Outside the organization's grant: %s", message))
        org = self.sudo()
        summary = _("Technicians outside the grant of %s", org.name)
        if not org.activity_ids.filtered(lambda a: a.summary == summary):
            org.activity_schedule("mail.mail_activity_data_todo", user_id=org.responsible_user_id.id,
                                  summary=summary,
                                  note=_("Some technicians' calendars are outside what the organization's grant "
                                         "reaches (see the technicians marked 'Outside the grant'). Add them to "
                                         "the grant's scope, or remove them from the organization."))
