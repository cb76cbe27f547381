"""The per-job sync timeline: every push and pull that touched a job, and who settled what.

Rows come from the engine's ``HistoryEntry`` (through the link store, written in
the same commit as the sync step they describe) and from the conflict review
(who chose what). Read-only for everyone; values are the text people read.
"""

from odoo import api, fields, models

from .calendar_retention import prune

DIRECTIONS = [("to_calendar", "Job → calendar"), ("from_calendar", "Calendar → job"), ("review", "Review")]
ACTIONS = [
    ("create", "Event created"),
    ("update", "Event updated"),
    ("delete", "Event deleted"),
    ("apply", "Calendar edit applied"),
    ("restore", "Job-owned value restored"),
    ("merge", "Notes merged"),
    ("conflict", "Conflict opened"),
    ("deletion", "Deleted in the calendar"),
    ("resolve", "Conflict resolved"),
]
OUTCOMES = [("done", "Done"), ("review", "Sent to review"), ("cancelled", "Job cancelled"), ("error", "Error"),
            ("resolved", "Resolved")]


class CalendarSyncHistory(models.Model):
    _name = "fieldops.calendar.sync.history"
    _description = "Calendar sync timeline entry"
    _order = "at desc, id desc"
    _check_company_auto = True

    at = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now, index=True)
    job_id = fields.Many2one("fsm.order", index=True, readonly=True, ondelete="cascade")
    link_id = fields.Many2one("fieldops.calendar.link", readonly=True, ondelete="set null")
    connection_id = fields.Many2one("fieldops.calendar.connection", required=True, readonly=True,
                                    ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    provider = fields.Selection(related="connection_id.provider")
    direction = fields.Selection(DIRECTIONS, required=True, readonly=True)
    action = fields.Selection(ACTIONS, required=True, readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    changes = fields.Text(readonly=True, help="What changed, field by field: before → after")
    remote_version = fields.Char(string="Provider version", readonly=True, help="Google etag / Microsoft changeKey")
    detail = fields.Text(readonly=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True,
                              help="Who resolved the conflict (review entries); sync steps run as the connection's "
                                   "responsible user")

    @api.model
    def _from_entries(self, connection, entries):
        """Rows for engine ``HistoryEntry`` objects of one connection, in one insert."""
        if not entries:
            return self
        Link = self.env["fieldops.calendar.link"].sudo()
        vals = []
        for entry in entries:
            link = Link.browse(entry.link_key) if entry.link_key else Link
            vals.append({
                "job_id": entry.job_key or link.job_id.id or False,
                "link_id": link.id or False,
                "connection_id": connection.id,
                "company_id": connection.company_id.id,
                "direction": entry.direction,
                "action": entry.action,
                "outcome": entry.outcome,
                "remote_version": entry.version or False,
                "changes": "\n".join(f"{name}: {before} → {after}" for name, before, after in entry.changes)
                or False,
                "detail": entry.detail or False,
            })
        return self.sudo().create(vals)

    @api.model
    def _cron_prune(self):
        """Drop rows past their retention (``calendar_retention``: documented there, settable per table)."""
        return prune(self.env, "sync_history")
