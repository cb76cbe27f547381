"""Run inside ``odoo-bin shell`` by benchmarks/idle_connections.py: what idle connections cost per hour.

Parameters from the environment: BENCH_SIZES (connection counts, ascending, e.g. ``250,500,1000``),
BENCH_JOBS_EACH, BENCH_SANDBOX. For each size it adds connections until there are that many (each
a sandbox Google calendar with its own crew and jobs, connected, pushed, pulled, its channel
open), then plays one hour of the addon's crons with nothing changing anywhere: each cron runs as
often as data/ir_cron.xml schedules it in an hour, and every queue job it enqueues is run here
as queue_job would run it. Prints one line ``RESULT {json}`` per size.
"""

# ruff: noqa: F821  (``env`` is given by odoo-bin shell)
import json
import os
import time
from datetime import datetime, timedelta

import requests
from odoo import sql_db
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

SIZES = [int(n) for n in os.environ["BENCH_SIZES"].split(",")]
JOBS_EACH = int(os.environ["BENCH_JOBS_EACH"])
SANDBOX = json.load(open(os.environ["BENCH_SANDBOX"]))  # noqa: SIM115
# one hour of data/ir_cron.xml: (cron, runs per hour)
HOUR = [("cron_safety_net_pull", 4), ("cron_requeue_owed_work", 12), ("cron_keep_channels_alive", 1),
        ("cron_warn_before_expiry", 1 / 6)]
TABLES = ["fieldops_calendar_link", "fieldops_calendar_notification", "fieldops_calendar_sync_run",
          "fieldops_calendar_sync_history", "fieldops_calendar_quota_use", "fieldops_calendar_channel",
          "fieldops_calendar_webhook_rejection", "queue_job", "mail_message", "mail_activity"]


def provider_requests():
    answer = requests.post(f"{SANDBOX['google']['base_url']}/_sandbox/requests_log", json={},
                           verify=SANDBOX["ca_cert"], timeout=60)
    answer.raise_for_status()
    return answer.json()["requests"]


def table_bytes():
    env.cr.execute("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relname = ANY(%s)",
                   (TABLES,))
    return int(env.cr.fetchone()[0] or 0)


def run_queued():
    """Every pending queue job of the addon, run here as queue_job's runner would; returns how many ran."""
    ran = 0
    for _round in range(5):
        env.cr.execute("SELECT uuid FROM queue_job WHERE state = 'pending' AND channel LIKE 'root.fieldops%%' "
                       "ORDER BY id")
        uuids = [row[0] for row in env.cr.fetchall()]
        if not uuids:
            break
        for uuid in uuids:
            job = Job.load(env, uuid)
            try:
                job.set_started()
                job.store()
                env.cr.commit()
                job.perform()
                job.set_done()
            except RetryableJobError:
                env.cr.rollback()
                job = Job.load(env, uuid)
                job.set_done()  # an idle calendar has nothing to wait for: do not loop on it here
            except Exception as exc:  # a failed job is recorded as queue_job would, and the run goes on
                env.cr.rollback()
                job = Job.load(env, uuid)
                job.set_failed(exc_info=repr(exc)[:500])
            job.store()
            env.cr.commit()
            ran += 1
    return ran


CHUNK = 50  # connections set up together: one create per model, one connect pass, one round of jobs


def not_in_sync():
    env.cr.execute("SELECT count(*) FROM fieldops_calendar_link l JOIN fieldops_calendar_connection c "
                   "ON c.id = l.connection_id WHERE c.name LIKE 'Idle calendar %%' AND l.state != 'in_sync'")
    return env.cr.fetchone()[0]


def add_connections(target, first):
    """Grow to ``target`` connections in chunks: teams, connections and jobs each made by one ``create``
    of the chunk (not one at a time), then connected, pulled, pushed and given a channel by the addon's
    own queue jobs, as a person connecting calendars would have them."""
    location = env.ref("fieldservice.location_1")
    admin = env.ref("base.user_admin")
    start = datetime(2027, 3, 1, 8, 0)
    for low in range(first, target, CHUNK):
        numbers = range(low, min(target, low + CHUNK))
        teams = env["fsm.team"].create([{"name": f"Idle crew {n}"} for n in numbers])
        connections = env["fieldops.calendar.connection"].create([
            {"name": f"Idle calendar {n}", "provider": "google", "account_email": f"idle-{n}@example.test",
             "team_ids": [(6, 0, team.ids)], "responsible_user_id": admin.id}
            for n, team in zip(numbers, teams, strict=True)])
        env.cr.commit()
        connections._demo_connect_sandbox()
        env.cr.commit()
        env["fsm.order"].create([
            {"location_id": location.id, "team_id": team.id,
             "scheduled_date_start": start + timedelta(days=j // 8, hours=j % 8),
             "scheduled_date_end": start + timedelta(days=j // 8, hours=j % 8 + 1)}
            for team in teams for j in range(JOBS_EACH)])
        env.cr.commit()
        run_queued()  # first pull, push, channel
        for connection in connections:
            connection._job_env()._job_push()
        env.cr.commit()
        print(f"PROGRESS {numbers[-1] + 1} connections at {time.strftime('%H:%M:%S')}", flush=True)


connected = 0
for size in SIZES:
    add_connections(size, connected)
    connected = size
    run_queued()
    env["fieldops.calendar.connection"].invalidate_model()
    # the emulator keeps the last 50,000 calls only (kernel/call_log.py): at 1,000 x 50 the set-up alone
    # fills it, so the hour's calls are told by their time, not by their position in the log
    hour_started, jobs_before = time.time(), env["queue.job"].search_count([])
    bytes_before, queries_before = table_bytes(), sql_db.sql_counter
    cron_seconds, job_seconds, by_path = {}, 0.0, {}
    for xmlid, per_hour in HOUR:
        cron = env.ref(f"fieldops_calendar_sync.{xmlid}")
        runs = max(1, round(per_hour))
        times = []
        for _run in range(runs):
            started = time.perf_counter()
            cron.method_direct_trigger()
            env.cr.commit()
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            run_queued()
            job_seconds += (time.perf_counter() - started) * (per_hour / runs)
        cron_seconds[xmlid] = {"max_s": max(times), "runs_per_hour": per_hour}
    log = [entry for entry in provider_requests() if entry["time"] >= hour_started]
    for entry in log:
        kind = "watch/stop" if ("watch" in entry["path"] or "stop" in entry["path"]) else entry["method"]
        by_path[kind] = by_path.get(kind, 0) + 1
    print("RESULT " + json.dumps({
        "connections": size, "jobs_each": JOBS_EACH,
        "provider_requests": len(log), "by_kind": by_path,
        "queue_jobs": env["queue.job"].search_count([]) - jobs_before,
        "sql": sql_db.sql_counter - queries_before, "db_bytes": table_bytes() - bytes_before,
        "cron": cron_seconds, "job_s": job_seconds,
        "links_not_in_sync": not_in_sync(),
        "activities": env["mail.activity"].search_count([("res_model", "=", "fieldops.calendar.connection")]),
    }), flush=True)
