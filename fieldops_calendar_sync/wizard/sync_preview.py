"""Preview sync: what the next push and pull of a calendar would do, job by job, changing nothing."""

from odoo import _, api, fields, models

from calsync.guard import MassDeletionGuard
from calsync.preview import preview

from ..adapters.link_store import OdooLinkStore

SIDES = [("push", "Job → calendar"), ("pull", "Calendar → job")]
ACTIONS = [
    ("create", "Create the event"),
    ("update", "Update the event"),
    ("delete", "Delete the event"),
    ("apply", "Update the job"),
    ("conflict", "Open a conflict for review"),
    ("review", "Review a calendar deletion"),
    ("restore", "Restore a job-only field on the calendar"),
    ("cancel", "Cancel the job (the calendar deleted its event)"),
    ("error", "Not synced: the job needs a fix"),
    ("hold", "Held: too many calendar deletions at once"),
]
FIELD_LABELS = {"start": "Start", "end": "End", "notes": "Notes", "title": "Title", "location": "Location",
                "deleted": "Event deleted"}


class CalendarSyncPreview(models.TransientModel):
    _name = "fieldops.calendar.sync.preview"
    _description = "Preview of a calendar sync"

    connection_id = fields.Many2one("fieldops.calendar.connection", required=True, readonly=True,
                                    ondelete="cascade")
    full = fields.Boolean(string="As a full resync", readonly=True)
    first_sync = fields.Boolean(related="connection_id.first_sync_pending")
    line_ids = fields.One2many("fieldops.calendar.sync.preview.line", "preview_id", readonly=True)
    summary = fields.Char(compute="_compute_summary")

    @api.depends("line_ids")
    def _compute_summary(self):
        for wizard in self:
            if not wizard.line_ids:
                wizard.summary = _("Nothing to do: the jobs and the calendar agree.")
                continue
            labels = dict(ACTIONS)
            counted = {}
            for line in wizard.line_ids:
                counted[line.action] = counted.get(line.action, 0) + 1
            wizard.summary = ", ".join(f"{labels[action]}: {count}" for action, count in counted.items())

    @api.constrains("connection_id")
    def _check_connection_access(self):
        # a preview is about one calendar: only for someone who may see that calendar
        for wizard in self:
            wizard.connection_id.check_access("read")

    @api.model
    def _build(self, connection, full=False):
        """Plan with the real sync's rules, through the provider's read calls only."""
        connection.check_access("read")
        store = OdooLinkStore(connection)
        guard = MassDeletionGuard(ratio=connection.mass_deletion_ratio)
        rows = preview(connection._make_client(), store, full=full,
                       allow_calendar_cancel=connection.allow_calendar_cancel, guard=guard)
        links = self.env["fieldops.calendar.link"].sudo().browse([row.link_key for row in rows])
        jobs = {link.id: link.job_id.id for link in links}
        return self.create({
            "connection_id": connection.id, "full": full,
            "line_ids": [(0, 0, {"job_id": jobs.get(row.link_key) or False, "side": row.side,
                                 "action": row.action,
                                 "fields_text": ", ".join(FIELD_LABELS.get(f, f) for f in row.fields)})
                         for row in rows],
        })

    def action_sync_now(self):
        self.ensure_one()
        if self.connection_id.first_sync_pending:
            return self.connection_id.action_start_first_sync(in_dialog=True)
        if self.full:
            return self.connection_id.action_full_resync(in_dialog=True)
        return self.connection_id.action_sync_now(in_dialog=True)


class CalendarSyncPreviewLine(models.TransientModel):
    _name = "fieldops.calendar.sync.preview.line"
    _description = "Preview of a calendar sync: one job"
    _order = "side desc, action, id"

    preview_id = fields.Many2one("fieldops.calendar.sync.preview", required=True, ondelete="cascade")
    job_id = fields.Many2one("fsm.order", readonly=True)
    side = fields.Selection(SIDES, readonly=True)
    action = fields.Selection(ACTIONS, readonly=True)
    fields_text = fields.Char(string="Fields", readonly=True)
