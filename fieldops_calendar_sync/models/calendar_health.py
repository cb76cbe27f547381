"""The health panel's figures per connection, and activities for admins before things expire.

Everything here reads what the sync already records (links, channels, the quota
ledger, queue jobs, sync runs); nothing is stored twice. Activities go to the
connection's responsible user ahead of an expiry, with time left to act.
"""

from datetime import timedelta

from odoo import _, api, fields, models

from ..tools import providers

HEALTH = [("ok", "Healthy"), ("warning", "Needs attention"), ("problem", "Not syncing")]
CHANNEL_WARNING = timedelta(hours=24)
SECRET_WARNING = timedelta(days=14)
LAG_WARNING_SECONDS = 15 * 60


class CalendarConnection(models.Model):
    _inherit = "fieldops.calendar.connection"

    push_lag_seconds = fields.Float(compute="_compute_health", string="Push lag (s)",
                                    help="Age of the oldest job change still waiting to reach the calendar")
    quota_used = fields.Integer(compute="_compute_health", string="Quota used",
                                help="Requests counted against the provider's quota in its current window")
    quota_limit = fields.Integer(compute="_compute_health", string="Quota limit")
    quota_window_label = fields.Char(compute="_compute_health", string="Quota window")
    quota_used_percent = fields.Float(compute="_compute_health", string="Quota used (%)")
    failed_job_count = fields.Integer(compute="_compute_health", string="Failed sync jobs")
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

    def _failed_jobs_domain(self):
        self.ensure_one()
        return [("identity_key", "=like", f"fieldops-calendar-%-{self.id}"), ("state", "=", "failed")]

    @staticmethod
    def _time_left(moment, now, expired=None):
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
        for conn in self:
            if not conn.id:
                conn.update({"push_lag_seconds": 0, "quota_used": 0, "quota_limit": 0, "quota_window_label": False,
                             "quota_used_percent": 0, "failed_job_count": 0, "health": "warning",
                             "health_summary": False, "token_expires_in": False, "channel_expires_in": False,
                             "push_off_reason": False})
                continue
            used, limit = conn._quota_used()
            lag = conn._push_lag_seconds()
            failed = Job.search_count(conn._failed_jobs_domain())
            percent = round(100.0 * used / limit.units, 1)
            problems, warnings = [], []
            if conn.state in ("error", "needs_reauth", "disconnected", "draft"):
                problems.append(dict(self._fields["state"]._description_selection(self.env)).get(conn.state))
            if conn.state in ("throttled", "review"):
                warnings.append(dict(self._fields["state"]._description_selection(self.env)).get(conn.state))
            if failed:
                problems.append(_("failed sync jobs: %s", failed))
            if lag > LAG_WARNING_SECONDS:
                warnings.append(_("changes have waited %s minutes to be pushed", int(lag // 60)))
            if percent >= 90:
                warnings.append(_("%s%% of the provider's quota used", percent))
            if conn.channel_expires_at and conn.channel_expires_at - now < CHANNEL_WARNING:
                warnings.append(_("the push channel expires soon"))
            if conn.conflict_count:
                warnings.append(_("open conflicts: %s", conn.conflict_count))
            if push_off and conn.state not in ("draft", "disconnected"):
                warnings.append(_("no push notifications (the public base URL is not https): changes arrive "
                                  "with the safety-net pull"))
            conn.update({
                "push_lag_seconds": lag, "quota_used": used, "quota_limit": limit.units,
                "quota_window_label": _("%s s", int(limit.window)) if limit.window < 120
                else _("%s min", int(limit.window // 60)),
                "quota_used_percent": percent, "failed_job_count": failed,
                "health": "problem" if problems else "warning" if warnings else "ok",
                "health_summary": "; ".join(str(p) for p in problems + warnings) or _("Everything is syncing."),
                # an access token lives an hour and is renewed from the refresh token when next needed
                "token_expires_in": conn._time_left(conn.token_expires_at, now,
                                                    expired=_("renewed at the next sync")),
                "channel_expires_in": conn._time_left(conn.channel_expires_at, now),
                "push_off_reason": push_off,
            })

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
