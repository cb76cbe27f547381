"""My Preferences leads a technician to Connect my calendar, on their worker profile."""

from odoo import _, fields, models
from odoo.exceptions import AccessError

from .calendar_connection_self_service import self_service_enabled


class ResUsers(models.Model):
    _inherit = "res.users"

    fieldops_worker_id = fields.Many2one(
        "fsm.person", string="My worker profile", compute="_compute_fieldops_worker_id",
        help="The Field Service worker built on this user's contact, where they connect their own calendar.")
    fieldops_self_service = fields.Boolean(compute="_compute_fieldops_worker_id")

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, "fieldops_worker_id", "fieldops_self_service"]

    def _compute_fieldops_worker_id(self):
        Person = self.env["fsm.person"].sudo()
        enabled = self_service_enabled(self.env)
        for user in self:
            person = Person.search([("partner_id", "=", user.partner_id.id)], limit=1) if user.partner_id else Person
            user.fieldops_worker_id = person
            user.fieldops_self_service = bool(person) and enabled and user.has_group("fieldservice.group_fsm_user") \
                and not self.env["fieldops.calendar.connection"]._self_service_refusal(
                    person, person.company_id or user.company_id)

    def action_fieldops_my_calendar(self):
        """Open one's own worker profile, where Connect my calendar is."""
        self.ensure_one()
        if self != self.env.user or not self.fieldops_worker_id:
            raise AccessError(_("Only you can open your own worker profile from your preferences."))
        return {"type": "ir.actions.act_window", "res_model": "fsm.person", "res_id": self.fieldops_worker_id.id,
                "view_mode": "form", "views": [(False, "form")], "name": _("My calendar"), "target": "current"}
