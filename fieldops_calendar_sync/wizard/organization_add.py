"""Add technicians to an organization connection: an opt-in list of the workers it may reach."""

from odoo import api, fields, models


class OrganizationAdd(models.TransientModel):
    _name = "fieldops.calendar.organization.add"
    _description = "Add technicians to an organization connection"

    organization_id = fields.Many2one("fieldops.calendar.organization", required=True, ondelete="cascade")
    candidate_ids = fields.Many2many("fsm.person", compute="_compute_candidate_ids")
    person_ids = fields.Many2many(
        "fsm.person", string="Technicians",
        help="Each gets their own calendar, reached through the organization's grant: their jobs only.")

    @api.depends("organization_id")
    def _compute_candidate_ids(self):
        for wizard in self:
            wizard.candidate_ids = self.env["fsm.person"].search(wizard.organization_id._candidate_domain()) \
                if wizard.organization_id else False

    def action_add(self):
        self.ensure_one()
        added = self.organization_id._add_technicians(self.person_ids)
        return self.organization_id._notify(self.env._("%(count)s technicians added to %(org)s.",
                                                       count=len(added), org=self.organization_id.name))
