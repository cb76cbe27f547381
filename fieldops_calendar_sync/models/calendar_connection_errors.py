"""What an engine error means for a sync job and its connection: ``calsync.retry.decide`` applied.

The policy (retry or stop, how long to wait, whether the attempt counts, the
throttling cap) is the engine's pure ``decide``; this file only carries out its
decision in Odoo: the connection's state, the message users read, the
responsible's activity, and the queue_job retry.
"""

from contextlib import contextmanager
from datetime import timedelta

from odoo import _, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from calsync.errors import Backpressure, SyncError
from calsync.retry import decide

from ..tools.engine_words import words
from .calendar_connection_sync_jobs import MAX_ATTEMPTS


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    def _current_attempt(self):
        """(attempt, max) of the running queue job, or (1, MAX_ATTEMPTS) outside one."""
        uuid = self.env.context.get("job_uuid")
        job = self.env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1) if uuid else None
        if not job:
            return 1, MAX_ATTEMPTS
        return job.retry + 1, job.max_retries or MAX_ATTEMPTS

    @contextmanager
    def _provider_errors(self):
        """One place that turns each engine error into the engine's decision, then carries it out."""
        try:
            yield
        except (Backpressure, SyncError, UserError) as exc:
            self.env.cr.rollback()
            attempt, maximum = self._current_attempt()
            now = fields.Datetime.now()
            decision = decide(exc, attempt, self.throttled_since or None, now, max_attempts=maximum)
            if self._carry_out(decision, exc, now, maximum):
                raise

    def _carry_out(self, decision, exc, now, maximum):
        """Apply ``decision`` to this connection; True when the job must fail with ``exc``.

        A retry raises queue_job's ``RetryableJobError`` itself; a held review or a reconnect
        ends the job quietly, the state saying what a person must do.
        """
        if decision.action == "retry":
            if decision.kind == "paced":
                # our own pacing, not a provider error: what was sent is committed; wait in the queue
                self._set_error("paced", _("Pacing requests to stay under the provider's quota (%s%% of it "
                                           "used).", self._quota_used_percent()))
            elif decision.kind == "throttled":
                self.sudo().write({"state": decision.state, "throttled_since": decision.throttled_since,
                                   "throttled_until": now + timedelta(seconds=decision.seconds)})
                self._set_error("throttled", _("The provider asked us to wait %s seconds.", decision.seconds))
            else:
                self._set_error("transient", _("Temporary provider failure (%s); retrying.", exc))
            # pylint: disable-next=invalid-commit; the state shown to users survives the retry's rollback
            self.env.cr.commit()
            message = _("Throttled by the provider") if decision.kind == "throttled" else str(exc)
            raise RetryableJobError(message, seconds=decision.seconds, ignore_retry=not decision.counts) from None
        if decision.action == "review":
            said = words(self.env, getattr(exc, "notice", None) or str(exc))
            self.sudo().write({"state": decision.state})
            self._set_error("review", said)
            self.message_post(body=said)
            self._notify_responsible(_("Review held calendar deletions: %s", self.name), said)
            # pylint: disable-next=invalid-commit; the review state survives the job's end
            self.env.cr.commit()
            return False
        if decision.action == "reauth":
            self.sudo().write({"state": decision.state})
            self._set_error("reauth", _("The calendar account no longer accepts our access. Click Reconnect."))
            self._notify_responsible(_("Reconnect calendar %s", self.name))
            # pylint: disable-next=invalid-commit; the state shown to users survives the job's end
            self.env.cr.commit()
            return False
        self._fail_visibly(decision.kind, self._stop_message(decision.kind, exc, maximum))
        return True

    def _stop_message(self, kind, exc, maximum):
        """What the admin reads when the sync stopped: what happened and what to do."""
        if kind == "throttled":
            return _("The provider kept throttling this calendar for over an hour; sync stopped. "
                     "Check the provider's quota, then click Sync now.")
        if kind == "quota":
            return _("The provider's daily quota for this calendar is used up. Sync resumes after the quota "
                     "resets; click Sync now then (or raise the quota in the provider's console).")
        if kind == "transient":
            return _("The provider kept failing (%(error)s); sync stopped after %(attempts)s attempts. Click "
                     "Sync now to try again.", error=exc, attempts=maximum)
        return str(exc.args[0] if exc.args else exc)

    def _fail_visibly(self, kind, message):
        self.sudo().write({"state": "error", "throttled_until": False, "throttled_since": False})
        self._set_error(kind, message)
        self._notify_responsible(_("Calendar sync stopped: %s", self.name), message)
        # pylint: disable-next=invalid-commit; the error shown to users survives the job's failure
        self.env.cr.commit()
