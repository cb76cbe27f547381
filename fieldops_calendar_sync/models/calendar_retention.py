"""How long each table that grows with traffic keeps its rows, and the daily crons that prune them.

Retention (days, each overridable by the system parameter
``fieldops_calendar_sync.keep_days.<key>``): the webhook inbox 30, the rejected-request
aggregate 14, the sync runs behind the graphs 90, the per-job sync timeline 365. The quota
ledger keeps a day (``calendar_quota``). Rows go in batches of plain DELETEs: no ORM
unlink per row, and a backlog after a long outage is pruned without one huge statement.
"""

import logging
from datetime import timedelta

from odoo import fields

_logger = logging.getLogger(__name__)
BATCH = 5000
# key: (table, date column, default days)
RETENTION = {
    "inbox": ("fieldops_calendar_notification", "received_at", 30),
    "rejections": ("fieldops_calendar_webhook_rejection", "bucket", 14),
    "sync_runs": ("fieldops_calendar_sync_run", "started_at", 90),
    "sync_history": ("fieldops_calendar_sync_history", "at", 365),
}


def keep_days(env, key):
    value = env["ir.config_parameter"].sudo().get_param(f"fieldops_calendar_sync.keep_days.{key}")
    return int(value) if value and value.isdigit() and int(value) > 0 else RETENTION[key][2]


def prune(env, key):
    """Delete the rows of ``key``'s table older than its retention; returns how many went."""
    table, column, _default = RETENTION[key]
    limit = fields.Datetime.now() - timedelta(days=keep_days(env, key))
    total = 0
    while True:
        # table and column names come from RETENTION above, never from input
        env.cr.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {column} < %s LIMIT %s)",
                       (limit, BATCH))
        total += env.cr.rowcount
        if env.cr.rowcount < BATCH:
            break
    if total:
        _logger.info("pruned %s rows of %s older than %s", total, table, limit)
    env.invalidate_all()  # records of the deleted rows may sit in this environment's cache
    return total

