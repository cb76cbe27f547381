"""The worker profile's "Connect my calendar": for the user whose login is this worker, and no one else."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .calendar_connection import STATES
from .calendar_connection_self_service import self_service_enabled


class FSMPerson(models.Model):
    _inherit = "fsm.person"

    fieldops_is_me = fields.Boolean(
        compute="_compute_fieldops_my_calendar", help="This worker profile is the current user's own.")
    fieldops_self_service = fields.Boolean(
        compute="_compute_fieldops_my_calendar",
        help="The current user may connect their own calendar here (their profile, and the setting is on).")
    fieldops_my_calendar_state = fields.Selection(
        STATES, string="My calendar", compute="_compute_fieldops_my_calendar")
    fieldops_my_calendar_provider = fields.Selection(
        [("google", "Google Calendar"), ("microsoft", "Microsoft 365 / Outlook")], string="My calendar provider",
        compute="_compute_fieldops_my_calendar")
    fieldops_my_calendar_account = fields.Char(string="Signed in as", compute="_compute_fieldops_my_calendar")

    @api.depends_context("uid")
    def _compute_fieldops_my_calendar(self):
        user = self.env.user
        enabled = self_service_enabled(self.env)
        Connection = self.env["fieldops.calendar.connection"].sudo()
        for person in self:
            mine = bool(person.id) and bool(user.partner_id) and person.sudo().partner_id == user.partner_id
            connection = mine and Connection.search(Connection._own_calendar_domain(person, user), limit=1)
            person.fieldops_is_me = mine
            person.fieldops_self_service = mine and enabled and not Connection._self_service_refusal(
                person, person.sudo().company_id or self.env.company)
            person.fieldops_my_calendar_state = connection.state if connection else False
            person.fieldops_my_calendar_provider = connection.provider if connection else False
            person.fieldops_my_calendar_account = connection.account_email if connection else False

    def _fieldops_my_connection(self):
        """The current user's own connection for this profile (refused for anyone else's profile)."""
        self.ensure_one()
        if not self.fieldops_is_me:
            raise UserError(_("This worker profile is not linked to your user."))
        Connection = self.env["fieldops.calendar.connection"]
        connection = Connection.search(Connection._own_calendar_domain(self, self.env.user), limit=1)
        if not connection:
            raise UserError(_("You have not connected your calendar yet."))
        return connection

    def action_connect_my_google_calendar(self):
        self.ensure_one()
        return self.env["fieldops.calendar.connection"]._self_service_connect(self, "google")

    def action_connect_my_microsoft_calendar(self):
        self.ensure_one()
        return self.env["fieldops.calendar.connection"]._self_service_connect(self, "microsoft")

    def action_reconnect_my_calendar(self):
        self.ensure_one()
        connection = self._fieldops_my_connection()
        return self.env["fieldops.calendar.connection"]._self_service_connect(self, connection.provider)

    def action_disconnect_my_calendar(self):
        """Disconnect as the technician, through the connection's own button (its checks, its message)."""
        self.ensure_one()
        return self._fieldops_my_connection().action_disconnect()

    def action_open_my_calendar(self):
        self.ensure_one()
        connection = self._fieldops_my_connection()
        return {"type": "ir.actions.act_window", "res_model": connection._name, "res_id": connection.id,
                "view_mode": "form", "name": connection.name}
