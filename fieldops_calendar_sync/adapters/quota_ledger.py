"""The engine's ``QuotaLedger`` on the shared ``fieldops_calendar_quota_use`` table.

Every worker and server using one Google user or one Microsoft mailbox reads and writes
the same rows through a short cursor of its own, committed at once, so together they stay
under the provider's quota and a job rolled back after a throttle still counts what it sent.
"""

from calsync.quota import QuotaLedger


class OdooQuotaLedger(QuotaLedger):
    """``calsync.quota.QuotaLedger`` on ``fieldops_calendar_quota_use``, one short committed cursor per call."""

    def __init__(self, connection, key=None):
        # ``key``: another quota the connection's requests also count against (an organization's project or app)
        self.registry = connection.env.registry
        self.key = key or connection._quota_account_key()
        self.company_id = connection.company_id.id
        self.connection_id = connection.id
        self.recorded = 0

    def usage_since(self, since):
        with self.registry.cursor() as cr:
            cr.execute("SELECT at, units FROM fieldops_calendar_quota_use WHERE account_key = %s AND at >= %s "
                       "ORDER BY at", (self.key, since))
            return cr.fetchall()

    def record(self, at, units):
        with self.registry.cursor() as cr:
            cr.execute("INSERT INTO fieldops_calendar_quota_use (company_id, connection_id, account_key, at, units) "
                       "VALUES (%s, %s, %s, %s, %s)", (self.company_id, self.connection_id, self.key, at, units))
        self.recorded += units
