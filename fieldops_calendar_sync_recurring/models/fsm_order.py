"""Orders of a recurring order on a series calendar: titled like their series, so occurrences need no exception."""

from odoo import models


class FsmOrder(models.Model):
    _inherit = "fsm.order"

    def _fieldops_calendar_title(self, connection):
        title = super()._fieldops_calendar_title(connection)
        recurring = self.fsm_recurring_id
        if not recurring:
            return title
        series = self.env["fieldops.calendar.series"].sudo().search_count([
            ("connection_id", "=", connection.id), ("recurring_id", "=", recurring.id),
            ("state", "!=", "fallback")])
        return f"{recurring.name} {self.location_id.name or ''}".strip() if series else title
