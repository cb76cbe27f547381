"""The connection's push prepares recurring orders' series before the links are pushed."""

from odoo import models


class CalendarConnection(models.Model):
    _inherit = "fieldops.calendar.connection"

    def _fieldops_before_push(self, client, store):
        super()._fieldops_before_push(client, store)
        if getattr(client, "supports_series", False):
            self.env["fieldops.calendar.series"]._prepare_push(self, client, store)
