"""One job on one connection: which remote event it is, and what both sides last agreed on."""

import json
import uuid

from odoo import api, fields, models

LINK_STATES = [
    ("in_sync", "In sync"),
    ("pending_push", "Pending push"),
    ("conflict", "Conflict"),
    ("error", "Error"),
    ("tombstone", "Deleted"),
]


def new_identity():
    """A link identity: 32 lowercase hex digits, valid as a Google client event id (base32hex)."""
    return uuid.uuid4().hex


class CalendarLink(models.Model):
    _name = "fieldops.calendar.link"
    _description = "Calendar event link"
    _order = "id desc"
    _rec_name = "identity"
    _check_company_auto = True

    connection_id = fields.Many2one(
        "fieldops.calendar.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, related="connection_id.company_id", store=True, precompute=True
    )
    provider = fields.Selection(related="connection_id.provider")
    job_id = fields.Many2one("fsm.order", index=True, ondelete="set null", check_company=True)
    identity = fields.Char(required=True, readonly=True, copy=False, default=lambda self: new_identity(), index=True)
    event_id = fields.Char(string="Remote event id", readonly=True, copy=False, index=True)
    ical_uid = fields.Char(string="iCalUID", readonly=True, copy=False)
    series_event_id = fields.Char(
        string="Remote series id", readonly=True, copy=False, index="btree_not_null",
        help="The calendar series this event is an occurrence of, as the provider last said: Outlook reports "
             "a deleted occurrence only by its absence from its series.")
    remote_version = fields.Char(readonly=True, copy=False, help="Google etag / Microsoft changeKey")
    base_json = fields.Text(
        string="Last agreed values", readonly=True, copy=False,
        help="The field values both sides agreed on at the last sync (JSON).",
    )
    held_json = fields.Text(
        string="Held for review", readonly=True, copy=False,
        help="Fields in an open conflict, with the calendar's value: pushes leave them untouched (JSON).",
    )
    sent_json = fields.Text(
        readonly=True, copy=False,
        help="What a push is sending, recorded before the provider call (recognises our own write after a crash)",
    )
    local_fingerprint = fields.Char(readonly=True, copy=False)
    remote_fingerprint = fields.Char(readonly=True, copy=False)
    state = fields.Selection(LINK_STATES, required=True, default="pending_push", index=True)
    last_error = fields.Text(readonly=True, copy=False)
    last_synced_at = fields.Datetime(readonly=True, copy=False)
    pending_since = fields.Datetime(
        readonly=True, copy=False, index=True,
        help="When the job's change started waiting to be pushed (the health panel's push lag)",
    )

    _sql_constraints = [
        ("identity_unique", "UNIQUE(connection_id, identity)", "A link identity is unique per calendar."),
    ]

    def init(self):
        # one live link per (connection, job) and per (connection, remote event); tombstones are kept beside
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS fieldops_calendar_link_live_job
                ON fieldops_calendar_link (connection_id, job_id)
                WHERE state != 'tombstone' AND job_id IS NOT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS fieldops_calendar_link_live_event
                ON fieldops_calendar_link (connection_id, event_id)
                WHERE state != 'tombstone' AND event_id IS NOT NULL;
            """
        )

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("state", "pending_push") == "pending_push":
                vals.setdefault("pending_since", now)
        return super().create(vals_list)

    def write(self, vals):
        if "state" not in vals or "pending_since" in vals:
            return super().write(vals)
        if vals["state"] != "pending_push":
            return super().write(dict(vals, pending_since=False))
        # a change that was already waiting keeps its age: the lag is that of the oldest owed change
        fresh = self.filtered(lambda link: link.state != "pending_push" or not link.pending_since)
        if fresh:
            super(CalendarLink, fresh).write(dict(vals, pending_since=fields.Datetime.now()))
        waiting = self - fresh
        return super(CalendarLink, waiting).write(vals) if waiting else True

    @api.depends("job_id", "connection_id")
    def _compute_display_name(self):
        for link in self:
            link.display_name = f"{link.job_id.name or '?'} @ {link.connection_id.display_name or '?'}"

    def _base(self):
        self.ensure_one()
        return json.loads(self.base_json) if self.base_json else None

    def _fieldops_job_changed_during_conflict(self):
        """The job changed while its conflict is open: the conflict must show the newest values."""
        conflicts = self.env["fieldops.calendar.conflict"].sudo().search(
            [("link_id", "in", self.ids), ("state", "=", "open")]
        )
        conflicts._refresh_job_side()
