"""The shared ledger of provider quota units used, per account, for pacing and the health panel.

Every worker and server using one Google user or one Microsoft mailbox reads and
writes the same rows, so together they stay under the provider's quota. Rows are
written on a short cursor of their own, committed at once: other workers see them
immediately, and a job rolled back after a throttle still counts what it sent.
"""

import time

from odoo import api, fields, models

from calsync.quota import GOOGLE_LIMIT, GRAPH_LIMIT, QuotaLimit, QuotaMeter

from ..adapters.quota_ledger import OdooQuotaLedger

PARAM = "fieldops_calendar_sync."
KEEP_SECONDS = 86400


class CalendarQuotaUse(models.Model):
    _name = "fieldops.calendar.quota.use"
    _description = "Calendar provider quota units used"
    _log_access = False
    _order = "at desc"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    connection_id = fields.Many2one("fieldops.calendar.connection", index=True, ondelete="set null", readonly=True)
    account_key = fields.Char(required=True, index=True, readonly=True,
                              help="provider:account - the unit the provider counts quota by")
    at = fields.Float(required=True, readonly=True, help="When, in seconds since the epoch")
    units = fields.Integer(required=True, readonly=True)

    def init(self):
        self.env.cr.execute("CREATE INDEX IF NOT EXISTS fieldops_calendar_quota_use_key_at "
                            "ON fieldops_calendar_quota_use (account_key, at)")

    @api.model
    def _cron_prune(self):
        """Quota windows are minutes long: a day of history is plenty for the health panel."""
        self.env.cr.execute("DELETE FROM fieldops_calendar_quota_use WHERE at < %s", (time.time() - KEEP_SECONDS,))


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    def _quota_account_key(self):
        self.ensure_one()
        return f"{self.provider}:{(self.account_email or f'connection-{self.id}').lower()}"

    def _quota_limit(self):
        """The provider's quota for one account, from the system parameters (the provider's defaults)."""
        self.ensure_one()
        params = self.env["ir.config_parameter"].sudo()
        default = GOOGLE_LIMIT if self.provider == "google" else GRAPH_LIMIT
        units = int(params.get_param(f"{PARAM}{self.provider}_quota_units") or default.units)
        window = float(params.get_param(f"{PARAM}{self.provider}_quota_window") or default.window)
        return QuotaLimit(units, window)

    def _quota_meter(self):
        params = self.env["ir.config_parameter"].sudo()
        headroom = float(params.get_param(f"{PARAM}quota_headroom_percent") or 90) / 100
        return QuotaMeter(self._quota_limit(), OdooQuotaLedger(self), headroom=min(1.0, max(0.1, headroom)))

    def _quota_used(self):
        """Units used by this account in the current quota window (for the health panel)."""
        self.ensure_one()
        limit = self._quota_limit()
        self.env.cr.execute("SELECT COALESCE(SUM(units), 0) FROM fieldops_calendar_quota_use "
                            "WHERE account_key = %s AND at >= %s",
                            (self._quota_account_key(), time.time() - limit.window))
        return self.env.cr.fetchone()[0], limit
