"""Start a first live sync although the integration is not ready: an administrator's choice, on record."""

from odoo import _, fields, models
from odoo.exceptions import UserError


class ReadinessOverride(models.TransientModel):
    _name = "fieldops.calendar.readiness.override"
    _description = "Start a first calendar sync despite readiness items"

    connection_id = fields.Many2one("fieldops.calendar.connection", required=True, readonly=True)
    blockers = fields.Text(string="Not ready", readonly=True)
    reason = fields.Text(help="Why the first sync should start anyway; kept in the chatter.")

    def action_start_anyway(self):
        self.ensure_one()
        if not self.env.is_system():
            raise UserError(_("Only administrators can start a sync the readiness check holds back."))
        if not (self.reason or "").strip():
            raise UserError(_("Say why the first sync should start anyway."))
        connection = self.connection_id
        connection.message_post(body=_(
            "%(user)s started the first sync although the integration is not ready.\nNot ready:\n%(items)s\n"
            "Reason: %(reason)s", user=self.env.user.name, items=self.blockers, reason=self.reason.strip()))
        return connection.with_context(fieldops_readiness_overridden=True).action_start_first_sync()
