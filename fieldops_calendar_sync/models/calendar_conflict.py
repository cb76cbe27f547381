"""A job whose job and calendar both changed since the last sync: held for a person to decide."""

from odoo import _, api, fields, models

FIELD_LABELS = {
    "start": "Start",
    "end": "End",
    "notes": "Notes",
    "deleted": "Event deleted",
}


class CalendarConflict(models.Model):
    _name = "fieldops.calendar.conflict"
    _description = "Calendar sync conflict"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    link_id = fields.Many2one("fieldops.calendar.link", required=True, ondelete="cascade", index=True)
    connection_id = fields.Many2one(
        "fieldops.calendar.connection", related="link_id.connection_id", store=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, related="link_id.company_id", store=True, precompute=True
    )
    provider = fields.Selection(related="connection_id.provider", store=True)
    job_id = fields.Many2one("fsm.order", string="Job", index=True, ondelete="set null", check_company=True)
    kind = fields.Selection(
        [("fields", "Both sides changed"), ("deletion", "Deleted in the calendar")],
        required=True,
        default="fields",
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("dismissed", "Dismissed")],
        required=True,
        default="open",
        index=True,
        tracking=True,
    )
    line_ids = fields.One2many("fieldops.calendar.conflict.line", "conflict_id", string="Fields")
    remote_version = fields.Char(readonly=True, help="The calendar version the conflict was seen at.")
    job_fingerprint = fields.Char(readonly=True, help="The job values the conflict was seen at.")
    revision = fields.Integer(default=1, readonly=True, help="Bumped whenever either side changes again.")
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    resolved_at = fields.Datetime(readonly=True)
    resolution = fields.Text(readonly=True)

    @api.depends("job_id.name", "kind")
    def _compute_name(self):
        for conflict in self:
            conflict.name = _("%(job)s: %(kind)s", job=conflict.job_id.name or "?",
                              kind=dict(self._fields["kind"].selection).get(conflict.kind))


class CalendarConflictLine(models.Model):
    _name = "fieldops.calendar.conflict.line"
    _description = "Calendar sync conflict field"
    _order = "sequence, id"

    conflict_id = fields.Many2one("fieldops.calendar.conflict", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(
        "res.company", required=True, related="conflict_id.company_id", store=True, precompute=True, index=True
    )
    sequence = fields.Integer(default=10)
    field_name = fields.Char(required=True)
    label = fields.Char(compute="_compute_label")
    base_value = fields.Text(string="Last synced")
    job_value = fields.Text(string="Job")
    calendar_value = fields.Text(string="Calendar")

    @api.depends("field_name")
    def _compute_label(self):
        for line in self:
            line.label = _(FIELD_LABELS.get(line.field_name, line.field_name))
