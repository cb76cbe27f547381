"""Buttons of the connection form that open related records."""

from odoo import _, models


class CalendarConnection(models.Model):
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

    # -- feedback -----------------------------------------------------------------
    def _notify_action(self, message, title=None, kind="info", in_dialog=False):
        """A toast saying what the button did, then the form reloaded (or the dialog closed) to show it."""
        after = {"type": "ir.actions.act_window_close"} if in_dialog else {"type": "ir.actions.client",
                                                                            "tag": "soft_reload"}
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": title or (self.name if len(self) == 1 else _("Calendar sync")),
                           "message": message, "type": kind, "sticky": False, "next": after}}

    def _sync_job_waiting(self, kind):
        """A push or pull of this connection is queued or running: a new click joins it instead of adding one."""
        self.ensure_one()
        keys = [f"fieldops-calendar-{kind}-{self.id}", f"fieldops-calendar-{kind}-full-{self.id}"]
        return bool(self.env["queue.job"].sudo().search_count(
            [("identity_key", "in", keys), ("state", "in", ("wait_dependencies", "pending", "enqueued", "started"))],
            limit=1))
