"""The webhook inbox: every verified notification that reached us, and what came of it.

Rejected requests get no row here: they are counted in ``fieldops.calendar.webhook.rejection``.
"""

from odoo import api, fields, models
from psycopg2.errors import UniqueViolation

INSERT_ACCEPTED = """
    INSERT INTO fieldops_calendar_notification
        (company_id, connection_id, channel_id, provider, kind, status, reason, dedupe_key, detail, latency_ms,
         received_at, received_hour, create_uid, write_uid, create_date, write_date)
    VALUES (%(company_id)s, %(connection_id)s, %(channel_id)s, %(provider)s, %(kind)s, 'accepted', NULL,
            %(dedupe_key)s, %(detail)s, %(latency_ms)s, %(now)s,
            to_char(%(now)s::timestamp, 'YYYY-MM-DD HH24:00'), %(uid)s, %(uid)s, %(now)s, %(now)s)
    RETURNING id
"""


class CalendarNotification(models.Model):
    _name = "fieldops.calendar.notification"
    _description = "Calendar webhook notification"
    _order = "received_at desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True)
    connection_id = fields.Many2one(
        "fieldops.calendar.connection", ondelete="cascade", index=True, check_company=True
    )
    channel_id = fields.Many2one("fieldops.calendar.channel", ondelete="set null", index=True, check_company=True)
    provider = fields.Selection([("google", "Google Calendar"), ("microsoft", "Microsoft 365 / Outlook")])
    kind = fields.Selection(
        [("change", "Change"), ("sync", "Channel created"), ("lifecycle", "Lifecycle"), ("validation", "Validation")],
        default="change",
    )
    received_at = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    # Odoo 18's web client groups dates by year .. day only ("received_at:hour" is refused): graphs per hour
    # group by this stored label, which sorts as it reads
    received_hour = fields.Char(string="Hour (UTC)", compute="_compute_received_hour", store=True, index=True)
    status = fields.Selection(
        [
            ("accepted", "Accepted"),
            ("duplicate", "Duplicate"),
            ("rejected", "Rejected"),  # rows from before the aggregate; pruned with the rest of the inbox
            ("processed", "Processed"),
        ],
        required=True,
        index=True,
    )
    reason = fields.Char(help="Why it was rejected, in words an admin can act on.")
    dedupe_key = fields.Char(index=True)
    detail = fields.Char(help="Resource state / change type; never a token.")
    latency_ms = fields.Float(string="Answer time (ms)")

    @api.depends("received_at")
    def _compute_received_hour(self):
        for row in self:
            row.received_hour = row.received_at.strftime("%Y-%m-%d %H:00") if row.received_at else False

    def _record_once(self, vals):
        """Record an accepted notification unless an accepted copy exists; returns (row, fresh).

        The unique index decides, so two copies arriving at once on two workers cannot both
        act. A plain INSERT in a savepoint, not ON CONFLICT: under REPEATABLE READ the latter
        answers a concurrent copy with a serialization failure, and the HTTP layer would then
        replay the whole request after a back-off, which is what this hot path must not do.
        """
        now = fields.Datetime.now()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(INSERT_ACCEPTED, {
                    **{key: vals.get(key) or None for key in ("company_id", "connection_id", "channel_id",
                                                              "provider", "kind", "dedupe_key", "detail")},
                    "latency_ms": vals.get("latency_ms") or 0.0, "now": now, "uid": self.env.uid,
                }, log_exceptions=False)  # a duplicate is expected traffic, not an error for the log
                return self.browse(self.env.cr.fetchone()[0]), True
        except UniqueViolation:
            return self.create(dict(vals, status="duplicate", dedupe_key=False)), False

    def init(self):
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS fieldops_calendar_notification_dedupe
                ON fieldops_calendar_notification (dedupe_key)
                WHERE status IN ('accepted', 'processed') AND dedupe_key IS NOT NULL
            """
        )
