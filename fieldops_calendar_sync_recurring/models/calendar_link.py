"""A link knows the series whose occurrence it is bound to (provider occurrence ids are opaque)."""

from odoo import fields, models


class CalendarLink(models.Model):
    _inherit = "fieldops.calendar.link"

    calendar_series_id = fields.Many2one("fieldops.calendar.series", string="Series", index="btree_not_null",
                                         ondelete="set null", readonly=True)
