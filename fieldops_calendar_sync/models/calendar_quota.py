"""The shared ledger of provider quota units used, per account, for pacing and the health panel.

Every worker and server using one Google user or one Microsoft mailbox reads and
writes the same rows, so together they stay under the provider's quota. Rows are
written on a short cursor of their own, committed at once: other workers see them
immediately, and a job rolled back after a throttle still counts what it sent.
"""

import time

from odoo import api, fields, models

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
