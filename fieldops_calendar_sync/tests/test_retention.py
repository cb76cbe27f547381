"""Every table that grows with traffic keeps its rows for a set time, pruned by a cron of data/ (and only then)."""

import time
from datetime import datetime, timedelta

from odoo.tests import tagged

from ..models.calendar_retention import RETENTION
from .common import TwoCompaniesCase

CRONS = {
    "inbox": "fieldops_calendar_sync.cron_purge_inbox",
    "rejections": "fieldops_calendar_sync.cron_prune_webhook_rejections",
    "sync_runs": "fieldops_calendar_sync.cron_prune_sync_runs",
    "sync_history": "fieldops_calendar_sync.cron_prune_sync_history",
}


@tagged("post_install", "-at_install")
class TestRetention(TwoCompaniesCase):
    def _rows(self, key, when):
        """One row of ``key``'s table dated ``when``."""
        connection, company = self.setup_a["connection"], self.company_a
        if key == "inbox":
            return self.env["fieldops.calendar.notification"].create({
                "company_id": company.id, "connection_id": connection.id, "provider": "google",
                "status": "accepted", "received_at": when})
        if key == "rejections":
            self.env.cr.execute(
                "INSERT INTO fieldops_calendar_webhook_rejection (bucket, bucket_hour, provider, reason, source, "
                "count) VALUES (%s, 'x', 'google', %s, '127.0.0.1', 3) RETURNING id", (when, f"r{when}"))
            return self.env["fieldops.calendar.webhook.rejection"].browse(self.env.cr.fetchone()[0])
        if key == "sync_runs":
            return self.env["fieldops.calendar.sync.run"].create({
                "connection_id": connection.id, "company_id": company.id, "kind": "pull", "started_at": when,
                "outcome": "done"})
        return self.env["fieldops.calendar.sync.history"].create({
            "connection_id": connection.id, "company_id": company.id, "job_id": self.setup_a["job"].id,
            "direction": "to_calendar", "action": "update", "outcome": "done", "at": when})

    def test_each_cron_prunes_its_table_past_its_retention_and_keeps_the_rest(self):
        now = datetime.now()
        for key, (_table, _column, days) in RETENTION.items():
            old = self._rows(key, now - timedelta(days=days, hours=1))
            recent = self._rows(key, now - timedelta(days=days - 1))
            self.env.flush_all()
            self.env.ref(CRONS[key]).method_direct_trigger()
            self.env.invalidate_all()
            self.assertFalse(old.exists(), key)
            self.assertTrue(recent.exists(), key)

    def test_retention_can_be_set_per_table(self):
        self.env["ir.config_parameter"].set_param("fieldops_calendar_sync.keep_days.sync_runs", "2")
        kept = self._rows("sync_runs", datetime.now() - timedelta(days=1))
        gone = self._rows("sync_runs", datetime.now() - timedelta(days=3))
        self.env.flush_all()
        self.env.ref(CRONS["sync_runs"]).method_direct_trigger()
        self.assertEqual((kept.exists(), gone.exists()), (kept, self.env["fieldops.calendar.sync.run"]))

    def test_quota_ledger_keeps_a_day(self):
        Ledger = self.env["fieldops.calendar.quota.use"]
        rows = {age: Ledger.create({"company_id": self.company_a.id, "account_key": "google:x",
                                    "at": time.time() - age, "units": 1}) for age in (3600, 90000)}
        self.env.flush_all()
        self.env.ref("fieldops_calendar_sync.cron_prune_quota_ledger").method_direct_trigger()
        self.env.invalidate_all()
        self.assertTrue(rows[3600].exists())
        self.assertFalse(rows[90000].exists())
