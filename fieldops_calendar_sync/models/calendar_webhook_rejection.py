"""Rejected webhook requests, counted per minute, provider, reason and source: never one row per request.

The receivers count rejections in memory (``calsync.rejections.RejectionTally``)
and write the counts here at most every few seconds, on a short cursor of their
own at READ COMMITTED, so that two workers adding to the same row wait for each
other instead of failing. A minute keeps at most a few sources per reason (the
rest are counted as ``other``) and a few samples, so the table grows with time,
not with the number of forged requests. Retention: see ``calendar_retention``.
"""

import logging
import threading
from datetime import datetime, timezone

from odoo import api, fields, models, sql_db
from odoo.http import request
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED, TRANSACTION_STATUS_IDLE

from calsync.rejections import OTHER_SOURCE, TOP_SOURCES, RejectionTally

from .calendar_retention import prune

_logger = logging.getLogger(__name__)
PROVIDERS = [("google", "Google Calendar"), ("microsoft", "Microsoft 365 / Outlook")]

UPSERT = """
    INSERT INTO fieldops_calendar_webhook_rejection AS r
        (bucket, bucket_hour, provider, reason, source, company_id, connection_id, count, samples, last_seen)
    VALUES (%(bucket)s, to_char(%(bucket)s::timestamp, 'YYYY-MM-DD HH24:00'), %(provider)s, %(reason)s, %(source)s,
            %(company)s, %(connection)s, %(count)s, %(samples)s, %(last_seen)s)
    ON CONFLICT (bucket, provider, reason, source, (COALESCE(company_id, 0)), (COALESCE(connection_id, 0)))
    DO UPDATE SET count = r.count + EXCLUDED.count,
                  last_seen = GREATEST(r.last_seen, EXCLUDED.last_seen),
                  samples = CASE WHEN r.samples IS NULL OR r.samples = '' THEN EXCLUDED.samples ELSE r.samples END
"""

_tallies = {}
_tallies_lock = threading.Lock()


def tally_for(dbname):
    """The process's tally of one database (a worker may serve several)."""
    with _tallies_lock:
        return _tallies.setdefault(dbname, RejectionTally())


def count_rejection(provider, reason, sample="", company=None, connection=None, count=1):
    """Count a rejected request of the current HTTP request's client, in this process's tally."""
    tally_for(request.db).add(provider, reason, request.httprequest.remote_addr, company=company,
                              connection=connection, sample=sample, count=count)


def _utc(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


class CalendarWebhookRejection(models.Model):
    _name = "fieldops.calendar.webhook.rejection"
    _description = "Rejected calendar webhook requests (per minute)"
    _order = "bucket desc, count desc, id desc"
    _log_access = False
    _rec_name = "reason"

    bucket = fields.Datetime(string="Minute", required=True, readonly=True, index=True)
    # Odoo 18's web client groups dates by year .. day only: graphs per hour group by this label, which sorts
    # as it reads
    bucket_hour = fields.Char(string="Hour (UTC)", required=True, readonly=True, index=True)
    provider = fields.Selection(PROVIDERS, required=True, readonly=True)
    reason = fields.Char(required=True, readonly=True)
    source = fields.Char(required=True, readonly=True,
                         help="Client address as Odoo sees it (behind a proxy: with proxy_mode, the forwarded "
                              "address). 'other' counts the sources beyond the most frequent few of that minute.")
    company_id = fields.Many2one("res.company", readonly=True, index=True, ondelete="cascade",
                                 help="Set when the request named one of our channels; empty when it named none.")
    connection_id = fields.Many2one("fieldops.calendar.connection", readonly=True, index=True, ondelete="cascade")
    count = fields.Integer(string="Requests", required=True, readonly=True, aggregator="sum")
    samples = fields.Text(readonly=True, help="A few of the rejected requests: time and what they named; "
                                              "never a token.")
    last_seen = fields.Datetime(readonly=True)

    def init(self):
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS fieldops_calendar_webhook_rejection_key
                ON fieldops_calendar_webhook_rejection
                (bucket, provider, reason, source, (COALESCE(company_id, 0)), (COALESCE(connection_id, 0)))
        """)

    # -- writing the tally -------------------------------------------------------
    @api.model
    def _flush_tally(self, force=False):
        """Write what this process counted, if due; a failed write keeps the counts for the next one."""
        tally = tally_for(self.env.cr.dbname)
        if not (force or tally.due()):
            return 0
        draining = tally.try_drain()
        if draining is None:
            return 0  # another thread of this process is writing right now
        with draining as rows:
            if rows:
                self._write_rows(rows)
        return len(rows)

    def _write_rows(self, rows):
        with self.env.registry.cursor() as cr:
            # a real cursor with nothing run on it yet (not a test cursor inside the test's transaction, which
            # changing the level would end): READ COMMITTED, so concurrent upserts wait instead of failing
            if isinstance(cr, sql_db.Cursor) and cr._cnx.info.transaction_status == TRANSACTION_STATUS_IDLE:
                cr._cnx.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            known = self._sources_in(cr, {row.key.minute for row in rows})
            for row in rows:
                key = row.key
                ident = (_utc(key.minute), key.provider, key.reason, key.company or 0, key.connection or 0)
                sources = known.setdefault(ident, set())
                source = row.source
                # workers each keep their top few: in the table too, a minute keeps only a few per reason
                if source not in sources and source != OTHER_SOURCE and len(sources - {OTHER_SOURCE}) >= TOP_SOURCES:
                    source = OTHER_SOURCE
                sources.add(source)
                cr.execute(UPSERT, {
                    "bucket": ident[0], "provider": key.provider, "reason": key.reason, "source": source,
                    "company": key.company, "connection": key.connection, "count": row.count,
                    "samples": "\n".join(row.samples) or None, "last_seen": _utc(row.last_seen),
                })

    @staticmethod
    def _sources_in(cr, minutes):
        cr.execute("SELECT bucket, provider, reason, COALESCE(company_id, 0), COALESCE(connection_id, 0), source "
                   "FROM fieldops_calendar_webhook_rejection WHERE bucket = ANY(%s)",
                   ([_utc(m) for m in minutes],))
        known = {}
        for *ident, source in cr.fetchall():
            known.setdefault(tuple(ident), set()).add(source)
        return known

    # -- retention ---------------------------------------------------------------
    @api.model
    def _cron_prune(self):
        """Keep two weeks of per-minute counts (``calendar_retention``): bounded whatever the traffic."""
        return prune(self.env, "rejections")
