"""Whether a job's PostgreSQL session is gone (server restarted, backend terminated, network cut).

Once it is, every statement fails and nothing the job did since its last commit can be written: the
job must neither record an outcome nor be marked failed, but end as a queue_job retry. Its owed work
is on committed rows (links ``pending_push``, the write-ahead ``sent``), so the next try picks it up,
and the session's advisory lock died with it. psycopg2 flags the connection ``closed`` (non-zero)
as soon as libpq sees it broken ("connection.closed", psycopg2 docs).

queue_job stores the retry through a new session; while PostgreSQL is still restarting that fails
too and the job stays 'started' until the requeue cron finds it (benchmarks/two_servers_pg_restart.py
saw every cut job take that path: the retry came 15 ms after the cut, the restart took 0.7 s). So
the job first waits, a bounded while, for the database to accept a session again.
"""

import time

import psycopg2
from odoo import sql_db

SESSION_LOST_RETRY_SECONDS = 10  # a restart of PostgreSQL takes seconds; queue_job retries after this
DATABASE_WAIT_SECONDS = 30  # longer than a restart; a longer outage is left to the requeue cron


def session_lost(cr):
    """True if ``cr``'s connection to PostgreSQL is closed (a test cursor answers for the real one)."""
    connection = getattr(cr, "_cnx", None)
    return bool(connection is not None and connection.closed)


def wait_for_database(dbname, timeout=DATABASE_WAIT_SECONDS):
    """Block until PostgreSQL accepts a session on ``dbname`` again, at most ``timeout`` s; True if it did."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with sql_db.db_connect(dbname).cursor() as cr:
                cr.execute("SELECT 1")
            return True
        except psycopg2.Error:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.25)
