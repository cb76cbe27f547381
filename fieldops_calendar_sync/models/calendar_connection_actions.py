"""Buttons of the connection form that open related records."""

from odoo import _, models


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    def _open_related(self, model, name, domain, context=None):
        self.ensure_one()
        self.check_access("read")  # a button of a record one cannot see is not a way in
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": dict(context or {}, create=False),
        }

    def action_view_links(self):
        return self._open_related(
            "fieldops.calendar.link", _("Linked jobs"),
            [("connection_id", "=", self.id), ("state", "!=", "tombstone")],
        )

    def action_view_pending(self):
        return self._open_related(
            "fieldops.calendar.link", _("Pending changes"),
            [("connection_id", "=", self.id), ("state", "=", "pending_push")],
        )

    def action_view_conflicts(self):
        return self._open_related(
            "fieldops.calendar.conflict", _("Open conflicts"),
            [("connection_id", "=", self.id), ("state", "=", "open")],
        )
