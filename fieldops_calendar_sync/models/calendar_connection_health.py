"""The health panel's figures per connection, and activities for admins before things expire.

Everything here reads what the sync already records (links, channels, the quota
ledger, queue jobs, sync runs); nothing is stored twice. Activities go to the
connection's responsible user ahead of an expiry, with time left to act.
"""

import time
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.osv import expression

from ..adapters import providers
from .calendar_quota import KEEP_SECONDS

HEALTH = [("ok", "Healthy"), ("warning", "Needs attention"), ("problem", "Broken"), ("idle", "Not connected")]
CHANNEL_WARNING = timedelta(hours=24)
SECRET_WARNING = timedelta(days=14)
LAG_WARNING_SECONDS = 15 * 60
# which success clears which failures: a failed push is history once a later push went through
JOB_KINDS = {"_job_push": "last_push_at", "_job_pull": "last_pull_at"}


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    push_lag_seconds = fields.Float(compute="_compute_health", string="Push lag (s)",
                                    help="Age of the oldest job change still waiting to reach the calendar")
    push_lag_text = fields.Char(compute="_compute_health", string="Push lag",
                                help="How long the oldest job change has been waiting to reach the calendar")
    last_sync_at = fields.Datetime(compute="_compute_health", string="Last sync")
    last_sync_text = fields.Char(compute="_compute_health", string="Last sync, in words",
                                 help="When this calendar last pushed or pulled, in words")
    quota_used = fields.Integer(compute="_compute_health", string="Quota used",
                                help="Requests counted against the provider's quota in its current window")
    quota_limit = fields.Integer(compute="_compute_health", string="Quota limit")
    quota_window_label = fields.Char(compute="_compute_health", string="Quota window")
    quota_used_percent = fields.Float(compute="_compute_health", string="Quota used (%)")
    quota_text = fields.Char(compute="_compute_health", string="Quota",
                             help="Requests counted in the provider's current quota window, against its limit")
    quota_peak_text = fields.Char(compute="_compute_health", string="Busiest window today",
                                  help="The most requests in one quota window over the last 24 hours")
    failed_job_count = fields.Integer(compute="_compute_health", string="Failed sync jobs",
                                      help="Pushes and pulls that failed since the last one that went through")
    health = fields.Selection(HEALTH, compute="_compute_health")
    health_summary = fields.Text(compute="_compute_health")
    token_expires_in = fields.Char(compute="_compute_health", string="Access token expires in")
    channel_expires_in = fields.Char(compute="_compute_health", string="Push channel expires in")
    push_off_reason = fields.Char(compute="_compute_health", string="Push notifications",
                                  help="Why Google or Microsoft cannot push this calendar's changes to Odoo, "
                                  "if they cannot")
    sync_run_ids = fields.One2many("fieldops.calendar.sync.run", "connection_id", string="Sync runs")

    def _push_lag_seconds(self):
        self.ensure_one()
        self.env.cr.execute("SELECT MIN(pending_since) FROM fieldops_calendar_link WHERE connection_id = %s "
                            "AND state = 'pending_push'", (self.id,))
        oldest = self.env.cr.fetchone()[0]
        return max(0.0, (fields.Datetime.now() - oldest).total_seconds()) if oldest else 0.0

    def _quota_used_percent(self):
        used, limit = self._quota_used()
        return round(100.0 * used / limit.units, 1)

    def _quota_peak(self):
        """The most units used in one quota window over the last day (the ledger keeps a day)."""
        self.ensure_one()
        limit = self._quota_limit()
        self.env.cr.execute(
            "SELECT COALESCE(MAX(units), 0) FROM (SELECT SUM(units) AS units FROM fieldops_calendar_quota_use "
            "WHERE account_key = %s AND at >= %s GROUP BY floor(at / %s)) AS windows",
            (self._quota_account_key(), time.time() - KEEP_SECONDS, limit.window))
        return self.env.cr.fetchone()[0]

    def _failed_jobs_domain(self):
        """Failed pushes and pulls of this connection since the last push or pull that went through."""
        self.ensure_one()
        kinds = []
        for method, success_field in JOB_KINDS.items():
            since = self[success_field]
            kinds.append([("method_name", "=", method), *([("date_created", ">=", since)] if since else [])])
        since_success = expression.OR(kinds)
        return [("identity_key", "=like", f"fieldops-calendar-%-{self.id}"), ("state", "=", "failed"),
                *since_success]

    def _in_words(self, seconds):
        """A duration as people say it: 'under a minute', '12 minutes', '3 hours', '2 days'."""
        seconds = max(0, int(seconds))
        if seconds < 60:
            return _("under a minute")
        if seconds < 3600:
            return _("%s min", seconds // 60)
        if seconds < 2 * 86400:
            return _("%s h", seconds // 3600)
        return _("%s days", seconds // 86400)

    def _time_left(self, moment, now, expired=None):
        if not moment:
            return False
        seconds = (moment - now).total_seconds()
        if seconds <= 0:
            return expired or _("expired")
        if seconds < 3600:
            return _("%s min", int(seconds // 60))
        if seconds < 2 * 86400:
            return _("%s h", int(seconds // 3600))
        return _("%s days", int(seconds // 86400))

    @api.depends("state", "last_pull_at", "last_push_at", "token_expires_at", "channel_ids.expires_at")
    def _compute_health(self):
        now = fields.Datetime.now()
        Job = self.env["queue.job"].sudo()
        push_off = providers.push_refusal(self.env)
        state_label = dict(self._fields["state"]._description_selection(self.env))
        for conn in self:
            last_sync = max(filter(None, (conn.last_pull_at, conn.last_push_at)), default=False)
            if not conn.id:
                conn.update({"push_lag_seconds": 0, "push_lag_text": False, "last_sync_at": False,
                             "last_sync_text": False, "quota_used": 0, "quota_limit": 0, "quota_window_label": False,
                             "quota_used_percent": 0, "quota_text": False, "quota_peak_text": False,
                             "failed_job_count": 0, "health": "idle", "health_summary": False,
                             "token_expires_in": False, "channel_expires_in": False,
                             "push_off_reason": False})
                continue
            used, limit = conn._quota_used()
            lag = conn._push_lag_seconds()
            failed = Job.search_count(conn._failed_jobs_domain())
            percent = round(100.0 * used / limit.units, 1)
            window = _("%s s", int(limit.window)) if limit.window < 120 else _("%s min", int(limit.window // 60))
            problems, warnings = [], []
            if conn.state in ("draft", "disconnected"):
                # not a fault: nobody asked this calendar to sync (yet, or any more)
                health, summary = "idle", (_("Not connected yet.") if conn.state == "draft"
                                           else _("Disconnected; nothing is synced."))
            else:
                if conn.state in ("error", "needs_reauth"):
                    problems.append(state_label.get(conn.state))
                if conn.state in ("throttled", "review"):
                    warnings.append(state_label.get(conn.state))
                if failed:
                    problems.append(_("failed sync jobs since the last success: %s", failed))
                if conn.first_sync_pending:
                    warnings.append(_("waiting for the first sync to be started"))
                if lag > LAG_WARNING_SECONDS:
                    warnings.append(_("changes have waited %s minutes to be pushed", int(lag // 60)))
                if percent >= 90:
                    warnings.append(_("%s%% of the provider's quota used", percent))
                if conn.channel_expires_at and conn.channel_expires_at - now < CHANNEL_WARNING:
                    warnings.append(_("the push channel expires soon"))
                if conn.conflict_count:
                    warnings.append(_("open conflicts: %s", conn.conflict_count))
                if push_off:
                    warnings.append(_("no push notifications (the public base URL is not https): changes arrive "
                                      "with the safety-net pull"))
                health = "problem" if problems else "warning" if warnings else "ok"
                summary = "; ".join(str(p) for p in problems + warnings) or _("Everything is syncing.")
            conn.update({
                "push_lag_seconds": lag,
                "push_lag_text": conn._in_words(lag) if lag else _("nothing waiting"),
                "last_sync_at": last_sync,
                "last_sync_text": _("%s ago", conn._in_words((now - last_sync).total_seconds())) if last_sync
                else _("never"),
                "quota_used": used, "quota_limit": limit.units, "quota_window_label": window,
                "quota_used_percent": percent,
                "quota_text": _("%(used)s of %(limit)s per %(window)s (%(percent)s%%)", used=used, limit=limit.units,
                                window=window, percent=percent),
                "quota_peak_text": _("%(peak)s of %(limit)s", peak=conn._quota_peak(), limit=limit.units),
                "failed_job_count": failed,
                "health": health,
                "health_summary": summary,
                # an access token lives an hour and is renewed from the refresh token when next needed
                "token_expires_in": conn._time_left(conn.token_expires_at, now,
                                                    expired=_("renewed at the next sync")),
                "channel_expires_in": conn._time_left(conn.channel_expires_at, now),
                "push_off_reason": push_off,
            })

    def action_retry_failed(self):
        """Requeue the failed pushes and pulls since the last success, and say how many."""
        self.ensure_one()
        self.check_access("write")
        jobs = self.env["queue.job"].sudo().search(self._failed_jobs_domain())
        if self.state == "error":
            self.sudo().state = "sandbox_connected" if self.sandbox else "connected"
            self._clear_error()
        jobs.requeue()
        if not jobs:
            self._enqueue_pull()
            self._enqueue_push()
        return self._notify_action(
            _("%s failed sync jobs queued again.", len(jobs)) if jobs
            else _("No failed job to retry; a sync was queued instead."))

    def action_view_failed_jobs(self):
        self.ensure_one()
        self.check_access("read")  # a button of a record one cannot see is not a way in
        return {"type": "ir.actions.act_window", "name": _("Failed sync jobs"), "res_model": "queue.job",
                "view_mode": "list,form", "domain": self._failed_jobs_domain()}

    def action_view_sync_runs(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("fieldops_calendar_sync.action_calendar_sync_run")
        action["domain"] = [("connection_id", "=", self.id)]
        return action

    # -- activities before expiry ------------------------------------------------
    @api.model
    def _cron_warn_before_expiry(self):
        """Ahead of an expiry, an activity for the responsible user, while there is still time to act.

        Push channels are renewed by their own cron well before they expire: one still expiring within a day
        means renewal is failing. Client secrets (set in Settings) expire on a date the provider chose.
        """
        now = fields.Datetime.now()
        params = self.env["ir.config_parameter"].sudo()
        secret_expiry = {}
        for provider in ("google", "microsoft"):
            value = params.get_param(f"fieldops_calendar_sync.{provider}_client_secret_expires_on")
            secret_expiry[provider] = fields.Datetime.to_datetime(value) if value else None
        for conn in self.sudo().search([("state", "not in", ("draft", "disconnected"))]):
            expires = conn.channel_expires_at
            if expires and now < expires < now + CHANNEL_WARNING:
                conn._notify_responsible(
                    _("Push channel of %s expires soon", conn.name),
                    _("The push channel expires on %s UTC and has not been renewed. Changes will then arrive "
                      "only with the safety-net pull. Check the connection's last error, then click Sync now.",
                      fields.Datetime.to_string(expires)))
            secret = secret_expiry.get(conn.provider)
            if secret and secret < now + SECRET_WARNING:
                conn._notify_responsible(
                    _("%s client secret expires soon", dict(self._fields["provider"].selection)[conn.provider]),
                    _("The OAuth client secret in Settings expires on %s. Create a new one in the provider's "
                      "console and enter it in Settings before then, or every connection of this provider will "
                      "stop syncing.", fields.Date.to_string(secret)))
