"""Pushes and pulls as queue_job jobs: one connection at a time, in its company, as its responsible user.

The durable record of owed work is on our rows (links ``pending_push``, the
connection's ``pull_requested``), not only on the queued job: a cron re-enqueues
owed work whose job was lost. One connection never runs two provider jobs at
once: a session-level PostgreSQL advisory lock, which survives the per-batch
commits and is released if the worker dies.
"""

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from ..adapters import advisory_lock
from ..adapters.link_store import run_pull, run_push
from ..tools.db_session import SESSION_LOST_RETRY_SECONDS, session_lost, wait_for_database

_logger = logging.getLogger(__name__)

CHANNEL = "root.fieldops_calendar"
LOCK_BUSY_RETRY_SECONDS = 2
LOCK_WAIT_SECONDS = 2.0
MAX_ATTEMPTS = 5
# a notification that arrives while a sync of its calendar runs pulls this much later, so that the burst
# behind it (our own writes coming back, mostly) is read by one pull instead of one pull each
WEBHOOK_PULL_COALESCE_SECONDS = 2
# our own writes keep coming back for a moment after a push ended (Graph notifies each created event on
# its own): a notification that soon after a push waits for the rest too (benchmarks/org_odoo.py counted
# 4 pulls per calendar for a first push of 5 events without this)
ECHO_WINDOW = timedelta(seconds=5)
# a started job younger than this may be polling for the lock (LOCK_WAIT_SECONDS): never taken for dead
DEAD_JOB_GRACE = timedelta(seconds=LOCK_WAIT_SECONDS + 3)
# an 'enqueued' job older than this never reached a worker: its runjob request was lost (PostgreSQL
# restarting as it arrived, in benchmarks/two_servers_pg_restart.py); queue_job's own garbage collector
# waits 5 minutes, holding a slot of the channel meanwhile
LOST_DISPATCH_GRACE = timedelta(minutes=1)


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    # -- enqueueing --------------------------------------------------------------
    def _job_env(self):
        """Jobs run as the responsible user in the connection's company."""
        self.ensure_one()
        return self.with_user(self.responsible_user_id).with_company(self.company_id).with_context(
            allowed_company_ids=[self.company_id.id]
        )

    def _enqueue_push(self):
        for connection in self:
            if connection.first_sync_pending:
                continue  # nothing moves before the admin has seen the first sync's preview
            if connection._is_connected() and connection.direction != "pull_only":
                connection._job_env().with_delay(
                    channel=CHANNEL,
                    identity_key=f"fieldops-calendar-push-{connection.id}",
                    max_retries=MAX_ATTEMPTS,
                    description=_("Push jobs to calendar %s", connection.name),
                )._job_push()

    def _enqueue_pull(self, full=False, from_webhook=False):
        """Queue a pull (a full one has a job of its own, so a queued incremental pull cannot swallow it).

        The durable record of the owed pull is ``pull_requested``, or for a webhook its accepted
        inbox row: a webhook never writes the connection row, which a running job may hold.
        """
        for connection in self:
            if not connection._is_connected() or connection.direction == "push_only" or connection.first_sync_pending:
                continue
            if not from_webhook and not connection.pull_requested:
                connection.sudo().pull_requested = True
            key = f"fieldops-calendar-pull{'-full' if full else ''}-{connection.id}"
            if from_webhook and connection._pull_waiting(key):
                continue  # a burst of notifications: the pull already waiting will read them all
            # a quiet calendar pulls at once; while a push or pull runs, the next pull waits for the burst
            eta = WEBHOOK_PULL_COALESCE_SECONDS if from_webhook and connection._echoes_expected() else None
            connection._job_env().with_delay(
                channel=CHANNEL,
                identity_key=key,
                eta=eta,
                max_retries=MAX_ATTEMPTS,
                description=_("Pull calendar %s", connection.name),
            )._job_pull(full=full)

    # -- buttons -----------------------------------------------------------------
    def action_sync_now(self, in_dialog=False):
        """Pull, then push; clicks while a sync waits or runs join it rather than queueing another."""
        messages = []
        for connection in self:
            connection.check_access("write")
            if connection.state == "error":
                connection.sudo().state = "sandbox_connected" if connection.sandbox else "connected"
                connection._clear_error()
            if not connection._is_connected():
                messages.append(_("%s is not connected: connect it first.", connection.name))
                continue
            if connection.first_sync_pending:
                messages.append(_("%s waits for its first sync: open Preview first sync and start it.",
                                  connection.name))
                continue
            joined = [kind for kind in ("pull", "push") if connection._sync_job_waiting(kind)]
            if "pull" not in joined:
                connection._enqueue_pull()
            if "push" not in joined:
                connection._enqueue_push()
            if len(joined) == 2:
                messages.append(_("A sync of %s is already queued or running; your click joins it.",
                                  connection.name))
            else:
                messages.append(_("Sync of %(name)s queued: its calendar is read, then the waiting job changes are "
                                  "sent (%(waiting)s waiting).", name=connection.name,
                                  waiting=connection.pending_count))
        return self._notify_action(" ".join(messages), title=_("Sync now"), in_dialog=in_dialog)

    def action_full_resync(self, in_dialog=False):
        for connection in self:
            connection.check_access("write")
            if connection._sync_job_waiting("pull-full"):
                continue
            connection.sudo().sync_cursor = False
            connection._enqueue_pull(full=True)
        return self._notify_action(
            _("Full resync queued: every event of the calendar is read again and matched to its job. Progress "
              "shows on the connection."), title=_("Full resync"), in_dialog=in_dialog)

    def action_preview_sync(self, full=False):
        """Show what the next sync (or a full resync) would do, job by job, before doing it."""
        self.ensure_one()
        if not self._is_connected():
            raise UserError(_("Connect the calendar first: the preview reads its events."))
        wizard = self.env["fieldops.calendar.sync.preview"]._build(self, full=full)
        return {"type": "ir.actions.act_window", "name": _("Preview sync"), "res_model": wizard._name,
                "res_id": wizard.id, "view_mode": "form", "target": "new"}

    def action_preview_full_resync(self):
        return self.action_preview_sync(full=True)

    def action_confirm_held_pull(self):
        """The admin confirmed the deletions the mass-deletion guard held: pull again, applying them."""
        for connection in self.filtered(lambda c: c.state == "review"):
            connection.check_access("write")
            connection.sudo().write({"state": "sandbox_connected" if connection.sandbox else "connected"})
            connection.message_post(body=_("%s confirmed the held calendar deletions.", self.env.user.name))
            connection._job_env().with_delay(
                channel=CHANNEL, identity_key=f"fieldops-calendar-pull-confirmed-{connection.id}",
                max_retries=MAX_ATTEMPTS,
            )._job_pull(full=False, confirmed_mass_deletion=True)
        return self._notify_action(_("The held deletions are being applied to the jobs."),
                                   title=_("Apply held changes"))

    def action_discard_held_pull(self):
        """The admin discarded the held deletions: resync fully, so the calendar gets the jobs back."""
        for connection in self.filtered(lambda c: c.state == "review"):
            connection.check_access("write")
            connection.sudo().write({"state": "sandbox_connected" if connection.sandbox else "connected"})
            connection.message_post(body=_("%s discarded the held calendar deletions; the jobs' events will be "
                                           "restored.", self.env.user.name))
            connection._job_env().with_delay(
                channel=CHANNEL, identity_key=f"fieldops-calendar-restore-{connection.id}",
                max_retries=MAX_ATTEMPTS, description=_("Restore deleted events of %s", connection.name),
            )._job_restore_deleted_events()
        return self._notify_action(_("The held deletions were discarded; the deleted events are being restored."),
                                   title=_("Discard held changes"))

    def _job_restore_deleted_events(self):
        """After a discarded mass deletion: recreate the events that are really gone, then push."""
        self.ensure_one()
        with self._provider_job():
            client = self._make_client()
            links = self.link_ids.filtered(lambda link: link.state == "in_sync" and link.job_id and link.event_id)
            restored = 0
            for link in links:
                remote = client.get(link.event_id)
                if remote is None or remote.deleted:
                    link.write({"state": "pending_push", "event_id": False, "remote_version": False,
                                "base_json": False})
                    restored += 1
            # pylint: disable-next=invalid-commit; links to restore are committed before their push is queued
            self.env.cr.commit()
        self._enqueue_push()
        return _("%s events to restore", restored)

    def _after_connect(self):
        """Adopt the jobs the calendar carries; sync at once, or first show the admin what would happen."""
        self._link_carried_jobs()
        params = self.env["ir.config_parameter"].sudo()
        review_first = params.get_param("fieldops_calendar_sync.preview_first_sync", "True") != "False"
        for connection in self:
            if connection.first_sync_pending:
                continue  # held already (the readiness gate): it waits for an admin
            never_synced = not connection.last_pull_at and not connection.last_push_at
            if review_first and never_synced and not self.env.context.get("fieldops_first_sync_confirmed"):
                connection.sudo().first_sync_pending = True
                connection.message_post(body=_(
                    "Connected. Nothing is synced yet: open Preview first sync to see what the first sync "
                    "will create, update and send to review, then start it."))
                continue
            connection._enqueue_pull(full=True)
            connection._enqueue_push()
        return super()._after_connect()

    def write(self, vals):
        """A calendar given another crew or filter: adopt the jobs it now carries, let go of the others."""
        result = super().write(vals)
        if {"team_ids", "person_ids", "job_domain"} & set(vals):
            for connection in self.filtered(lambda c: c._is_connected()):
                live = connection.link_ids.filtered(lambda link: link.state != "tombstone" and link.job_id)
                left = live - live.filtered(lambda link, c=connection: c._carries(link.job_id.sudo()))
                left.write({"state": "pending_push"})  # the push deletes their events
                connection._link_carried_jobs()
                connection._enqueue_push()
        return result

    def action_start_first_sync(self, in_dialog=False):
        """The admin has seen the preview: start the first full sync."""
        started = self.filtered("first_sync_pending")
        for connection in started:
            connection.check_access("write")
            connection.sudo().first_sync_pending = False
            connection.message_post(body=_("%s started the first sync.", self.env.user.name))
            connection._enqueue_pull(full=True)
            connection._enqueue_push()
        return self._notify_action(
            _("First sync started: the calendar is read in full, then %s jobs are sent. Progress shows on the "
              "connection.", sum(started.mapped("pending_count"))) if started
            else _("The first sync had already started."), title=_("Start syncing"), in_dialog=in_dialog)

    def action_preview_first_sync(self):
        return self.action_preview_sync(full=True)

    # -- the lock ----------------------------------------------------------------
    def _lock_key(self):
        return advisory_lock.lock_key(self.id)

    @contextmanager
    def _provider_job(self, run_kind=None):
        """The one frame of every provider job, and the one place that says when the job commits.

        In order: the connection's lock (one commit, for a fresh snapshot once it is ours), the run's
        record when ``run_kind`` is given (committed after the job, whatever its outcome), and the
        handling of engine errors (commits the state users must see before a retry rolls back).
        Inside, only the engine commits, once per batch, through the link store. Yields the run's
        figures (a dict the job fills in).
        """
        with self._provider_lock():
            if run_kind is None:
                with self._provider_errors():
                    yield {}
            else:
                with self._sync_run(run_kind) as run, self._provider_errors():
                    yield run

    @contextmanager
    def _provider_lock(self):
        """Hold the connection's session advisory lock, or ask queue_job to retry shortly.

        Every provider job runs inside it, so it is also where a job whose database session was cut
        (PostgreSQL restarted, say) becomes a retry instead of a failure (``tools.db_session``).
        """
        cr = self.env.cr
        try:
            yield from self._hold_provider_lock(cr)
        except RetryableJobError:
            raise
        except Exception as exc:
            if not session_lost(cr):
                raise
            _logger.warning("Calendar connection %s: the database session was lost (%s); the job retries",
                            self.id, exc)
            if not wait_for_database(cr.dbname):  # queue_job stores the retry through a new session
                _logger.warning("Calendar connection %s: the database is still away; the requeue cron will "
                                "requeue the job", self.id)
            # a plain message: translating would need the database that is gone
            raise RetryableJobError(f"Database session lost ({type(exc).__name__}); retrying.",
                                    seconds=SESSION_LOST_RETRY_SECONDS) from exc

    def _hold_provider_lock(self, cr):
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:  # most syncs are short: wait a moment before giving the worker back
            if advisory_lock.try_lock(cr, self._lock_key()):
                break
            if time.monotonic() >= deadline:
                raise RetryableJobError(
                    _("Another sync of this calendar is running; retrying shortly."),
                    seconds=LOCK_BUSY_RETRY_SECONDS,
                    ignore_retry=True,
                )
            time.sleep(0.05)
        # Our snapshot may predate the last commit of the job that held the lock; start a fresh one,
        # or links it just pushed would look pending still. Nothing was written before this point.
        # pylint: disable-next=invalid-commit; a fresh snapshot once the advisory lock is ours
        cr.commit()
        self.env.invalidate_all()
        try:
            yield
        except BaseException:
            if session_lost(cr):
                raise  # the lock went with the session; no statement can run on it any more
            # an aborted transaction (a serialization failure, say) refuses every statement, the unlock
            # included; roll back first so the original error reaches queue_job, which retries it
            cr.rollback()
            advisory_lock.unlock(cr, self._lock_key())
            raise
        advisory_lock.unlock(cr, self._lock_key())

    def _lock_held(self):
        """Some session holds the connection's lock: a sync of it runs now (read, never taken, here)."""
        self.ensure_one()
        return advisory_lock.held_by_anyone(self.env.cr, self._lock_key())

    def _lock_is_free(self):
        """True if no session holds the connection's lock (so a 'started' job for it is dead)."""
        self.ensure_one()
        return advisory_lock.is_free(self.env.cr, self._lock_key())

    # -- the jobs ----------------------------------------------------------------
    def _job_push(self):
        self.ensure_one()
        if not self._is_connected():
            return _("Calendar not connected; the changes wait.")
        with self._provider_job("push") as run:
            run["meter"] = self._quota_meter()
            report = run_push(self, meter=run["meter"])
            run.update(changes=report.created + report.updated + report.deleted, conflicts=report.conflicts,
                       errors=report.errors)
            self.sudo().write({"last_push_at": fields.Datetime.now()})
            self._recover_from_throttle()
            return str(report)

    def _job_pull(self, full=False, confirmed_mass_deletion=False):
        self.ensure_one()
        if not self._is_connected():
            return _("Calendar not connected; the pull waits.")
        with self._provider_job("full" if full else "pull") as run:
            run["meter"] = self._quota_meter()
            step = self._progress_kind_of_pull(self, full)
            on_progress = (lambda done: self._report_progress(step, done)) if step else None
            try:
                report = run_pull(self, full=full, confirmed_mass_deletion=confirmed_mass_deletion,
                                  meter=run["meter"], on_progress=on_progress)
            finally:
                if step:
                    self._clear_progress()
            run.update(changes=report.applied + report.deletions, conflicts=report.conflicts, errors=report.invalid)
            self.sudo().write({"last_pull_at": fields.Datetime.now(), "pull_requested": False})
            self._recover_from_throttle()
            if self._owes_push():
                self._enqueue_push()
            return str(report)

    def _recover_from_throttle(self):
        if self.state == "throttled":
            self.sudo().write({"state": "sandbox_connected" if self.sandbox else "connected",
                               "throttled_until": False, "throttled_since": False})
        if self.last_error_kind in ("throttled", "transient", "paced"):
            self._clear_error()

    def _notify_responsible(self, summary, note=None):
        existing = self.activity_ids.filtered(lambda a: a.summary == summary)
        if not existing:
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo", summary=summary, note=note or self.error_help,
                user_id=self.responsible_user_id.id,
            )

    def _echoes_expected(self):
        """A sync of this calendar runs now, or a push ended moments ago: our own writes are coming back."""
        self.ensure_one()
        pushed = self.last_push_at  # read first: the lock costs a query on the webhook's hot path
        return bool(pushed and fields.Datetime.now() - pushed < ECHO_WINDOW) or self._lock_held()

    def _pull_waiting(self, key):
        """A pull with this identity is queued and not started: one cheap query on the webhook's hot path."""
        self.env.cr.execute("SELECT 1 FROM queue_job WHERE identity_key = %s AND state IN ('pending', 'enqueued') "
                            "LIMIT 1", (key,))
        return bool(self.env.cr.fetchone())

    def _owes_push(self):
        """Some link waits to be pushed (a count, not a read of every link)."""
        return bool(self.env["fieldops.calendar.link"].sudo().search_count(
            [("connection_id", "=", self.id), ("state", "=", "pending_push")], limit=1))

    def _webhook_pull_owed(self):
        """An accepted notification arrived after the last pull ended."""
        domain = [("connection_id", "=", self.id), ("status", "=", "accepted"), ("kind", "!=", "sync")]
        if self.last_pull_at:
            domain.append(("received_at", ">", self.last_pull_at))
        return bool(self.env["fieldops.calendar.notification"].sudo().search_count(domain, limit=1))

    # -- crons -------------------------------------------------------------------
    @api.model
    def _cron_safety_net_pull(self):
        """Pull every connected calendar now and then: push notifications are not fully reliable."""
        for connection in self.sudo().search([("state", "in", ("connected", "sandbox_connected"))]):
            connection._enqueue_pull()

    @api.model
    def _cron_requeue_owed_work(self):
        """Requeue 'started' jobs whose worker died; re-enqueue owed work whose job was lost."""
        self._requeue_dead_jobs()
        Job = self.env["queue.job"].sudo()
        for connection in self.sudo().search([("state", "in", ("connected", "sandbox_connected", "throttled"))]):
            for kind, owed in (
                ("push", connection._owes_push()),
                ("pull", connection.pull_requested or connection._webhook_pull_owed()),
            ):
                if not owed:
                    continue
                keys = [f"fieldops-calendar-{kind}-{connection.id}", f"fieldops-calendar-{kind}-full-{connection.id}"]
                if not Job.search_count([("identity_key", "in", keys),
                                         ("state", "in", ("wait_dependencies", "pending", "enqueued", "started"))]):
                    getattr(connection, f"_enqueue_{kind}")()

    @api.model
    def _requeue_dead_jobs(self):
        """Requeue every 'started' job of a connection whose lock nobody holds: its worker died.

        Every job of ours runs inside the connection's lock, so a started job whose lock is free is dead,
        whether or not its connection still owes work (a later job may have done it): queue_job 18.0.1.7.0
        leaves it 'started' forever otherwise, holding a slot of its channel. A job younger than the lock
        wait may still be polling for a lock that another job just released, so it is left alone.
        """
        Job = self.env["queue.job"].sudo()
        started = Job.search([("model_name", "=", self._name), ("state", "=", "started"),
                              ("date_started", "<", fields.Datetime.now() - DEAD_JOB_GRACE)])
        by_connection = {}
        for job in started:
            for connection in job.records.sudo().exists():
                by_connection.setdefault(connection, Job)
                by_connection[connection] |= job
        for connection, jobs in by_connection.items():
            if connection._lock_is_free():
                _logger.warning("requeueing %s dead job(s) of calendar %s: %s", len(jobs), connection.id,
                                ", ".join(jobs.mapped("method_name")))
                jobs.requeue()
        self._requeue_lost_dispatches()

    @api.model
    def _requeue_lost_dispatches(self):
        """Requeue our 'enqueued' jobs whose runjob request never started them (``LOST_DISPATCH_GRACE``).

        A runjob that is starting one holds its row (``FOR UPDATE``, queue_job's controller): SKIP LOCKED
        leaves that one alone, and the rows we take stay locked until our commit, so a late request finds
        the job pending and leaves it to the runner, which sends it again.
        """
        self.env.cr.execute(
            "SELECT id FROM queue_job WHERE model_name = %s AND state = 'enqueued' AND date_enqueued < %s "
            "FOR UPDATE SKIP LOCKED", (self._name, fields.Datetime.now() - LOST_DISPATCH_GRACE))
        lost = self.env["queue.job"].sudo().browse([row[0] for row in self.env.cr.fetchall()])
        if lost:
            _logger.warning("requeueing %s job(s) whose dispatch was lost: %s", len(lost),
                            ", ".join(lost.mapped("uuid")))
            lost.requeue()
