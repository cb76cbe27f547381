"""Field-service jobs gain their calendar links and a sync status."""

from odoo import _, api, fields, models


class FsmOrder(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fsm.order"

    calendar_link_ids = fields.One2many("fieldops.calendar.link", "job_id", string="Calendar links")
    calendar_conflict_ids = fields.One2many("fieldops.calendar.conflict", "job_id", string="Calendar conflicts")
    calendar_history_ids = fields.One2many("fieldops.calendar.sync.history", "job_id", string="Calendar sync timeline")
    calendar_sync_status = fields.Selection(
        [("none", "Not synced"), ("synced", "Synced"), ("pending", "Pending"), ("conflict", "Conflict"),
         ("error", "Error")],
        compute="_compute_calendar_sync_status",
        search="_search_calendar_sync_status",
        string="Calendar sync",
    )
    calendar_link_count = fields.Integer(compute="_compute_calendar_sync_status")

    def _fieldops_calendar_title(self, connection):
        """The event title for this job on ``connection`` (a hook: other modules title some jobs otherwise)."""
        self.ensure_one()
        return f"{self.name} {self.location_id.name or ''}".strip()

    @api.depends("calendar_link_ids.state", "calendar_link_ids.held_json")
    def _compute_calendar_sync_status(self):
        for job in self:
            live = job.calendar_link_ids.filtered(lambda link: link.state != "tombstone")
            job.calendar_link_count = len(live)
            states = set(live.mapped("state"))
            if any(live.mapped("held_json")):
                states.add("conflict")
            job.calendar_sync_status = self._status_of(states)

    @staticmethod
    def _status_of(states):
        if not states:
            return "none"
        for state, status in (("conflict", "conflict"), ("error", "error"), ("pending_push", "pending")):
            if state in states:
                return status
        return "synced"

    def _search_calendar_sync_status(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, str):
            return []
        if value == "none":
            domain = [("calendar_link_ids", "=", False)]
        else:
            links = self.env["fieldops.calendar.link"].search_read(
                [("state", "!=", "tombstone"), ("job_id", "!=", False)], ["job_id", "state"]
            )
            states = {}
            for row in links:
                states.setdefault(row["job_id"][0], set()).add(row["state"])
            domain = [("id", "in", [job for job, s in states.items() if self._status_of(s) == value])]
        return domain if operator == "=" else ["!", *domain]

    def action_view_calendar_links(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": _("Calendar links"),
            "res_model": "fieldops.calendar.link",
            "view_mode": "list,form",
            "domain": [("job_id", "=", self.id)],
            "context": {"create": False},
        }
