"""Whether a job's PostgreSQL session is gone (server restarted, backend terminated, network cut).

Once it is, every statement fails and nothing the job did since its last commit can be written: the
job must neither record an outcome nor be marked failed, but end as a queue_job retry. Its owed work
is on committed rows (links ``pending_push``, the write-ahead ``sent``), so the next try picks it up,
and the session's advisory lock died with it. psycopg2 flags the connection ``closed`` (non-zero)
as soon as libpq sees it broken ("connection.closed", psycopg2 docs).
"""

SESSION_LOST_RETRY_SECONDS = 10  # a restart of PostgreSQL takes seconds; queue_job retries after this


def session_lost(cr):
    """True if ``cr``'s connection to PostgreSQL is closed (a test cursor answers for the real one)."""
    connection = getattr(cr, "_cnx", None)
    return bool(connection is not None and connection.closed)
