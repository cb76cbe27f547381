"""Start an Odoo server that records where each queue job's time goes; used by benchmarks/two_servers.py.

    python benchmarks/odoo_probe.py PROBE_FILE odoo-bin-arguments...

Before Odoo starts, it wraps (in this process only; nothing in the product changes):

- queue_job's ``Job.perform``: one ``start`` line when a job starts, one ``end`` line with its
  wall time, provider time, SQL time and SQL statement count when it returns or raises;
- ``httplib2.Http.request`` (Google) and ``requests.Session.request`` (Microsoft, OAuth): time
  spent waiting for the provider, one ``http`` line per call with its start and end;
- ``odoo.sql_db.Cursor.execute`` and ``commit`` (after the ORM's flush): time spent in PostgreSQL,
  except the tries of the connection lock, which with ``time.sleep`` in a job make its lock wait.

Lines are JSON (with the process id and ``FIELDOPS_PROBE_SERVER``, the server's name),
appended to PROBE_FILE and flushed at once, so a job killed with its server leaves its
``start`` line and the provider calls it completed. Prefork workers inherit the wrapping.
"""

import json
import os
import sys
import threading
import time

PROBE_FILE = sys.argv[1]
ODOO_ARGS = sys.argv[2:]
SLOW_SQL = 0.02  # seconds: statements slower than this are logged with their text
_local = threading.local()
_write_lock = threading.Lock()
_out = open(PROBE_FILE, "a", buffering=1)  # noqa: SIM115 (lives as long as the server)


def _emit(**line):
    line["pid"] = os.getpid()
    line["server"] = os.environ.get("FIELDOPS_PROBE_SERVER", "?")
    with _write_lock:
        _out.write(json.dumps(line) + "\n")


def _stats():
    return getattr(_local, "job", None)


def _timed(kind, method):
    def wrapper(*args, **kwargs):
        stats = _stats()
        if stats is None or getattr(_local, "depth_" + kind, 0):
            return method(*args, **kwargs)
        setattr(_local, "depth_" + kind, 1)
        started = time.time()
        try:
            return method(*args, **kwargs)
        finally:
            ended = time.time()
            setattr(_local, "depth_" + kind, 0)
            stats[kind + "_s"] += ended - started
            stats[kind + "_n"] += 1
            if kind == "http":
                url = next((a for a in args[1:3] if isinstance(a, str) and a.startswith("http")), "?")
                _emit(kind="http", uuid=stats["uuid"], t0=started, t1=ended, url=url.split("?")[0][:100])
            elif ended - started > SLOW_SQL:
                _emit(kind="slow_sql", uuid=stats["uuid"], t0=started, t1=ended, query=str(args[1:2])[:160])

    return wrapper


def _sql_execute(original):
    """SQL time; the connection lock's tries (and the sleeps between them) are counted apart as lock wait."""
    timed = _timed("sql", original)

    def execute(cr, query, *args, **kwargs):
        stats = _stats()
        if stats is not None and "pg_try_advisory_lock" in str(query):
            started = time.time()
            try:
                return original(cr, query, *args, **kwargs)
            finally:
                stats["lock_s"] += time.time() - started
        return timed(cr, query, *args, **kwargs)

    return execute


def _sleep(original):
    def sleep(seconds):
        stats = _stats()
        if stats is not None:
            stats["lock_s"] += seconds  # the only sleep in a job of ours is the wait for the connection lock
        return original(seconds)

    return sleep


def _perform(original):
    def perform(job):
        stats = {"uuid": job.uuid, "http_s": 0.0, "http_n": 0, "sql_s": 0.0, "sql_n": 0, "lock_s": 0.0}
        _local.job = stats
        started = time.time()
        _emit(kind="start", uuid=job.uuid, t=started, method=job.method_name)
        outcome = "done"
        try:
            return original(job)
        except BaseException as exc:
            outcome = type(exc).__name__
            raise
        finally:
            _local.job = None
            _emit(kind="end", uuid=job.uuid, t0=started, t1=time.time(), outcome=outcome, **{
                k: v for k, v in stats.items() if k != "uuid"})

    return perform


def main():
    import httplib2
    import odoo
    import requests
    from odoo import sql_db
    from odoo.tools import config

    httplib2.Http.request = _timed("http", httplib2.Http.request)
    requests.Session.request = _timed("http", requests.Session.request)
    sql_db.Cursor.execute = _sql_execute(sql_db.Cursor.execute)
    time.sleep = _sleep(time.sleep)
    timed_commit = _timed("sql", sql_db.Cursor.commit)

    def commit(cr):
        cr.flush()  # the ORM writing its pending values is Python; the commit itself is SQL
        return timed_commit(cr)

    sql_db.Cursor.commit = commit
    # the addons path comes from the configuration: read it to import queue_job before the server does
    config.parse_config(list(ODOO_ARGS))
    odoo.modules.module.initialize_sys_path()
    from odoo.addons.queue_job.job import Job

    Job.perform = _perform(Job.perform)
    # the prefork server starts its websocket worker as ``python sys.argv[0] gevent ...``: give it odoo-bin
    odoo_bin = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))), "odoo-bin")
    sys.argv = [odoo_bin, "server", *ODOO_ARGS]
    odoo.cli.main()


if __name__ == "__main__":
    main()
