"""Settings switch: technicians may connect their own calendar (a system parameter, on by default)."""

from odoo import api, fields, models

from .calendar_connection_self_service import SELF_SERVICE_PARAM, self_service_enabled


class ResConfigSettings(models.TransientModel):
    # pylint: disable-next=consider-merging-classes-inherited; the self-service feature keeps to its own files
    _inherit = "res.config.settings"

    # not a config_parameter field: those read a missing parameter as off, and this one is on by default
    fieldops_self_service = fields.Boolean(
        string="Technicians can connect their own calendar",
        help="Where a company has no organization connection, a technician connects their own Google or "
             "Microsoft 365 calendar from their worker profile, without an admin.",
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        values["fieldops_self_service"] = self_service_enabled(self.env)
        return values

    def set_values(self):
        result = super().set_values()
        if self.env.is_admin():
            self.env["ir.config_parameter"].sudo().set_param(
                SELF_SERVICE_PARAM, "True" if self.fieldops_self_service else "False")
        return result
