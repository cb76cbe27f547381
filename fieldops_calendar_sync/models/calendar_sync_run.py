"""One row per push or pull job that ran: the figures behind the health panel's graphs over time."""

import time
from contextlib import contextmanager

from odoo import api, fields, models

from ..tools.db_session import session_lost
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


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    @contextmanager
    def _sync_run(self, kind):
        """Record the run (figures and outcome) after it ends, whatever the outcome."""
        self.ensure_one()
        figures = {"changes": 0, "conflicts": 0, "errors": 0, "meter": None}
        started, clock = fields.Datetime.now(), time.monotonic()
        lag = self._push_lag_seconds() if kind == "push" else 0.0
        outcome = "done"
        try:
            yield figures
        except Exception:
            if session_lost(self.env.cr):
                raise  # nothing can be recorded on a session that is gone: the job retries (_provider_lock)
            # whatever the error handlers meant to keep is committed already; an aborted transaction
            # (a serialization failure) must not stop the run from being recorded
            self.env.cr.rollback()
            outcome = self._run_outcome_after_error()
            raise
        finally:
            if not session_lost(self.env.cr):
                self._record_run(kind, figures, started, clock, lag, outcome)

    def _record_run(self, kind, figures, started, clock, lag, outcome):
        """One row for the run that ended (the health panel's figures), committed at once."""
        meter = figures["meter"]
        self.env["fieldops.calendar.sync.run"].sudo().create({
            "connection_id": self.id, "company_id": self.company_id.id, "kind": kind,
            "started_at": started, "duration": time.monotonic() - clock,
            "outcome": outcome if outcome != "done" or self.state != "review" else "review",
            "changes": figures["changes"], "conflicts": figures["conflicts"], "errors": figures["errors"],
            "quota_units": meter.ledger.recorded if meter else 0, "quota_wait": meter.waited if meter else 0.0,
            "lag_seconds": lag,
        })
        # pylint: disable-next=invalid-commit; the run's record survives the job's own rollback
        self.env.cr.commit()

    def _run_outcome_after_error(self):
        return {"paced": "paced", "throttled": "throttled", "transient": "retry", "reauth": "reauth",
                "review": "review"}.get(self.last_error_kind or "", "error")
