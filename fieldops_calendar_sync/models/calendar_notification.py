"""The webhook inbox: every notification that reached us, verified or rejected, and what came of it."""

from odoo import fields, models


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
    status = fields.Selection(
        [
            ("accepted", "Accepted"),
            ("duplicate", "Duplicate"),
            ("rejected", "Rejected"),
            ("processed", "Processed"),
        ],
        required=True,
        index=True,
    )
    reason = fields.Char(help="Why it was rejected, in words an admin can act on.")
    dedupe_key = fields.Char(index=True)
    detail = fields.Char(help="Resource state / change type; never a token.")
    latency_ms = fields.Float(string="Answer time (ms)")

    def init(self):
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS fieldops_calendar_notification_dedupe
                ON fieldops_calendar_notification (dedupe_key)
                WHERE status IN ('accepted', 'processed') AND dedupe_key IS NOT NULL
            """
        )
