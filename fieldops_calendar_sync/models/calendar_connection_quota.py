"""A connection's provider quota: its account key, its limit, its meter and what it used in the window."""

import time

from odoo import models

from calsync.quota import GOOGLE_LIMIT, GRAPH_LIMIT, QuotaLimit, QuotaMeter

from ..adapters.quota_ledger import OdooQuotaLedger
from .calendar_quota import PARAM


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

    def _quota_headroom(self):
        """The share of a provider quota we allow ourselves (Settings, 90 % unless set)."""
        params = self.env["ir.config_parameter"].sudo()
        headroom = float(params.get_param(f"{PARAM}quota_headroom_percent") or 90) / 100
        return min(1.0, max(0.1, headroom))

    def _quota_meter(self):
        return QuotaMeter(self._quota_limit(), OdooQuotaLedger(self), headroom=self._quota_headroom())

    def _quota_used(self):
        """Units used by this account in the current quota window (for the health panel)."""
        self.ensure_one()
        limit = self._quota_limit()
        self.env.cr.execute("SELECT COALESCE(SUM(units), 0) FROM fieldops_calendar_quota_use "
                            "WHERE account_key = %s AND at >= %s",
                            (self._quota_account_key(), time.time() - limit.window))
        return self.env.cr.fetchone()[0], limit
