"""Self-service connections: a technician connects their own calendar, without an admin.

The connection is created server-side with fixed fields only (provider, name, company, responsible
user, the person as its only crew, two-way), then signed in through the same OAuth flow as any other
(``action_connect``: signed state, PKCE). Record rules (security/self_service_security.xml) let that
technician and the company's Field Service managers, and nobody else, see it; the write guard below
keeps the technician to what the sign-in needs.
"""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

SELF_SERVICE_PARAM = "fieldops_calendar_sync.self_service"
MANAGER_GROUP = "fieldservice.group_fsm_manager"
# what a technician may change on their own calendar: the account the sign-in page offers first
SELF_SERVICE_WRITABLE = frozenset({"account_email"})


def self_service_enabled(env):
    """The Settings switch "Technicians can connect their own calendar" (on unless turned off)."""
    return env["ir.config_parameter"].sudo().get_param(SELF_SERVICE_PARAM, "True") != "False"


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    self_service_user_id = fields.Many2one(
        "res.users", string="Connected by the technician", readonly=True, copy=False, index=True,
        ondelete="restrict",
        help="Set when a technician connected their own calendar from their worker profile: only they and "
             "the Field Service managers of the company see this connection.",
    )

    @api.depends("name")
    def _compute_display_name(self):
        # a row one may read (a job's link, a sync run, a conflict) names its calendar, even a technician's own
        # that one may not open: the web client shows it so already (it reads many2one names with sudo), and
        # exports and reports of those rows must not fail on it. Reading the calendar itself stays refused.
        for conn, name in zip(self, self.sudo().mapped("name"), strict=True):
            conn.display_name = name

    # -- the guard -----------------------------------------------------------------
    def _is_fsm_manager(self):
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    def _check_self_service_write(self, fields_written):
        """A non-manager writes only their own self-service calendar, and only what signing in needs."""
        if self._is_fsm_manager():
            return
        if any(conn.self_service_user_id != self.env.user for conn in self):
            raise AccessError(_("Only Field Service managers can change calendar connections."))
        refused = set(fields_written) - SELF_SERVICE_WRITABLE
        if refused:
            labels = ", ".join(sorted(self._fields[name].string for name in refused if name in self._fields))
            raise AccessError(_(
                "You can connect, reconnect and disconnect your own calendar, but not change %(fields)s. "
                "Ask a Field Service manager.", fields=labels or ", ".join(sorted(refused))))

    def _check_manager_action(self):
        """Buttons that manage a calendar beyond signing in stay with Field Service managers."""
        if not self._is_fsm_manager() and self.filtered("self_service_user_id"):
            raise AccessError(_("Only a Field Service manager can do this on a technician's own calendar. "
                                "You can sync, reconnect or disconnect it."))

    @api.model_create_multi
    def create(self, vals_list):
        # technicians have no create right; the self-service connection is created by _self_service_connect
        if any(vals.get("self_service_user_id") for vals in vals_list) and not self._is_fsm_manager():
            raise AccessError(_("Only Field Service managers can create calendar connections."))
        return super().create(vals_list)

    def write(self, vals):
        self._check_self_service_write(vals)
        return super().write(vals)

    def action_full_resync(self, in_dialog=False):
        self._check_manager_action()
        return super().action_full_resync(in_dialog=in_dialog)

    def action_preview_sync(self, full=False):
        self._check_manager_action()
        return super().action_preview_sync(full=full)

    def action_confirm_held_pull(self):
        self._check_manager_action()
        return super().action_confirm_held_pull()

    def action_discard_held_pull(self):
        self._check_manager_action()
        return super().action_discard_held_pull()

    def action_start_first_sync(self, in_dialog=False):
        self._check_manager_action()
        return super().action_start_first_sync(in_dialog=in_dialog)

    def action_disconnect_remove_events(self):
        self._check_manager_action()
        return super().action_disconnect_remove_events()

    def action_retry_failed(self):
        self._check_manager_action()
        return super().action_retry_failed()

    # -- connecting one's own calendar ---------------------------------------------------
    @api.model
    def _own_calendar_domain(self, person, user):
        """The connection ``user`` connected themselves for their worker profile ``person``."""
        return [("self_service_user_id", "=", user.id), ("person_ids", "in", person.id)]

    @api.model
    def _self_service_connect(self, person, provider):
        """Create (or reuse) the current user's own connection for ``person`` and start the sign-in.

        Fixed fields only: nothing the user sends reaches the new record but the provider, which is one of
        the two known ones. Returns ``action_connect``'s redirect to the provider's sign-in page.
        """
        person.ensure_one()
        user = self.env.user
        if not self_service_enabled(self.env):
            raise UserError(_("Connecting your own calendar is turned off. Ask a Field Service manager to "
                              "connect it for you."))
        if provider not in dict(self._fields["provider"].selection):
            raise UserError(_("Choose Google Calendar or Microsoft 365."))
        person.check_access("read")
        if not user.partner_id or user.partner_id != person.sudo().partner_id:
            raise AccessError(_("You can connect only your own calendar: this worker profile is not linked to "
                                "your user."))
        company = person.sudo().company_id or self.env.company
        if company not in user.company_ids:
            raise AccessError(_("Your user cannot work in %s, the company of this worker profile.", company.name))
        refusal = self._self_service_refusal(person, company)
        if refusal:
            raise UserError(refusal)
        Connection = self.sudo().with_company(company)
        connection = Connection.search(self._own_calendar_domain(person, user), limit=1)
        if connection and connection.provider != provider:
            if connection._is_connected():
                current = dict(self._fields["provider"]._description_selection(self.env))[connection.provider]
                raise UserError(_("Your %(current)s is connected. Disconnect it first to connect another "
                                  "calendar.", current=current))
            connection.provider = provider
        if not connection:
            connection = Connection.create({
                "name": _("%s's calendar", person.sudo().name),
                "provider": provider,
                "company_id": company.id,
                "responsible_user_id": user.id,
                "person_ids": [fields.Command.set(person.ids)],
                "direction": "two_way",
                "account_email": person.sudo().email or user.email or False,
                "self_service_user_id": user.id,
            })
            connection.message_post(body=_("%s connects their own calendar.", user.name))
        # the sign-in itself runs as the technician: the same checks as for anyone who clicks Connect
        return connection.with_user(user).with_company(company).sudo(False).action_connect()

    @api.model
    def _self_service_refusal(self, person, company):
        """Why ``person`` may not connect their own calendar in ``company`` (False when they may).

        Where the company has an organization connection (granted: connected, or needing its grant renewed),
        technicians' calendars are reached through it, added by a manager: a second, personal connection of
        the same calendar would fight it. One still waiting for its grant (draft) reaches nobody yet.
        """
        organizations = self.env["fieldops.calendar.organization"].sudo().search_count(
            [("company_id", "=", company.id), ("state", "in", ("connected", "needs_reauth"))], limit=1)
        if organizations:
            return _("%s reaches technicians' calendars through its organization connection: ask a Field "
                     "Service manager to add you to it.", company.name)
        through_org = self.sudo().search_count(
            [("organization_id", "!=", False), ("person_ids", "in", person.id)], limit=1)
        if through_org:
            return _("Your calendar already syncs through your organization's connection.")
        return False

    def _after_connect(self):
        """A technician's own calendar syncs at once: there is no admin to review a first-sync preview."""
        own = self.filtered("self_service_user_id")
        if own:
            super(CalendarConnection, own.with_context(fieldops_first_sync_confirmed=True))._after_connect()
        return super(CalendarConnection, self - own)._after_connect() if self - own else True

    def _stop_channels(self):
        # channel rows are for managers; a technician disconnecting their own calendar (write access checked
        # by action_disconnect) still stops its push channels
        own = self.filtered(lambda conn: conn.self_service_user_id == self.env.user)
        if own and not self.env.su:
            own.check_access("write")
            super(CalendarConnection, own.sudo())._stop_channels()
            return super(CalendarConnection, self - own)._stop_channels() if self - own else None
        return super()._stop_channels()

    # -- sync work of a technician's own calendar ------------------------------------------------
    # Jobs run as the responsible user, here the technician, who may not read or write push-channel rows
    # (managers only). The channel work of their own calendar runs with the product's rights, within
    # that one connection, as a manager's would.
    def _self_service_elevated(self):
        return len(self) == 1 and self.self_service_user_id and not self.env.su

    def _renew_channels(self):
        if self._self_service_elevated():
            return super(CalendarConnection, self.sudo())._renew_channels()
        return super()._renew_channels()

    def _job_repair_channel(self, channel_id, action):
        if self._self_service_elevated():
            return super(CalendarConnection, self.sudo())._job_repair_channel(channel_id, action)
        return super()._job_repair_channel(channel_id, action)
