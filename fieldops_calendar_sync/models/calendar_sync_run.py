"""One row per push or pull job that ran: the figures behind the health panel's graphs over time."""


from odoo import api, fields, models

from .calendar_retention import prune

KINDS = [("push", "Push"), ("pull", "Pull"), ("full", "Full resync")]
OUTCOMES = [("done", "Done"), ("paced", "Paced (our quota budget)"), ("throttled", "Throttled by the provider"),
            ("retry", "Retrying"), ("error", "Failed"), ("review", "Held for review"), ("reauth", "Needs reconnect")]


class CalendarSyncRun(models.Model):
    _name = "fieldops.calendar.sync.run"
    _description = "Calendar sync run"
    _order = "started_at desc, id desc"

    connection_id = fields.Many2one("fieldops.calendar.connection", required=True, readonly=True,
                                    ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    provider = fields.Selection(related="connection_id.provider", store=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    started_at = fields.Datetime(required=True, readonly=True, index=True)
    # Odoo 18's web client groups dates by year .. day only ("started_at:hour" is refused): the graphs'
    # per-hour figures group by this stored label instead, which sorts as it reads
    started_hour = fields.Char(string="Hour (UTC)", compute="_compute_started_hour", store=True, index=True)
    duration = fields.Float(string="Duration (s)", readonly=True, aggregator="avg")
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    changes = fields.Integer(readonly=True, help="Events written (push) or calendar edits read "
                                                                    "(pull)", aggregator="sum")
    conflicts = fields.Integer(readonly=True, aggregator="sum")
    errors = fields.Integer(readonly=True, aggregator="sum")
    quota_units = fields.Integer(string="Quota units", readonly=True, aggregator="sum")
    quota_wait = fields.Float(string="Quota wait (s)", readonly=True, aggregator="sum",
                              help="Time spent pacing requests under the provider's quota")
    lag_seconds = fields.Float(string="Push lag (s)", readonly=True, aggregator="max",
                               help="Age of the oldest change waiting to be pushed when the run started")

    @api.model
    def _cron_prune(self):
        """Drop rows past their retention (``calendar_retention``: documented there, settable per table)."""
        return prune(self.env, "sync_runs")


    @api.depends("started_at")
    def _compute_started_hour(self):
        for run in self:
            run.started_hour = run.started_at.strftime("%Y-%m-%d %H:00") if run.started_at else False
