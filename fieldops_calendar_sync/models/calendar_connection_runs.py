"""Each provider job of a connection recorded as a run (figures and outcome), whatever its outcome."""

import time
from contextlib import contextmanager

from odoo import fields, models

from ..tools.db_session import session_lost


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
