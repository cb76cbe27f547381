"""Run inside ``odoo-bin shell`` by benchmarks/odoo_sync.py: push N new jobs, then pull, and measure.

Reads its parameters from the environment (BENCH_JOBS, BENCH_ACCOUNT, BENCH_SANDBOX) and
prints one line ``RESULT {json}``. The push job runs in this process exactly as queue_job
would run it. Its quota meter keeps it under the provider's quota: short waits are slept
inside the job, longer ones hand the job back with a retry time, and this loop waits that
long; both are "quota wait". Answers the provider throttled (403/429) are counted.
"""

# ruff: noqa: F821  (``env`` is given by odoo-bin shell)
import json
import os
import time
from datetime import datetime, timedelta

import requests
from odoo import sql_db
from odoo.addons.queue_job.exception import RetryableJobError

JOBS = int(os.environ["BENCH_JOBS"])
ACCOUNT = os.environ["BENCH_ACCOUNT"]
SANDBOX = json.load(open(os.environ["BENCH_SANDBOX"]))  # noqa: SIM115


def control(action, payload=None):
    answer = requests.post(f"{SANDBOX['google']['base_url']}/_sandbox/{action}", json=payload or {},
                           verify=SANDBOX["ca_cert"], timeout=30)
    answer.raise_for_status()
    return answer.json()


def api_trips():
    return control("round_trips")["round_trips"].get("api", 0)


def api_calls():
    return len(control("requests_log")["requests"])


team = env["fsm.team"].create({"name": "Benchmark crew"})
connection = env["fieldops.calendar.connection"].create({
    "name": "Benchmark calendar", "provider": "google", "account_email": ACCOUNT,
    "team_ids": [(6, 0, team.ids)], "responsible_user_id": env.ref("base.user_admin").id,
})
env.cr.commit()
connection._demo_connect_sandbox()
assert connection.state == "sandbox_connected", connection.last_error
env.cr.commit()
location = env.ref("fieldservice.location_1")
start = datetime(2027, 2, 1, 8, 0)

# dispatchers create jobs one by one; the trigger marks links pending in the same transaction
queries, started = sql_db.sql_counter, time.perf_counter()
for n in range(JOBS):
    day = start + timedelta(days=n // 8, hours=n % 8)
    env["fsm.order"].create({"location_id": location.id, "team_id": team.id, "description": f"<p>Job {n}</p>",
                             "scheduled_date_start": day, "scheduled_date_end": day + timedelta(hours=1)})
env.cr.commit()
create_s, create_queries = time.perf_counter() - started, sql_db.sql_counter - queries

# the push, as queue_job runs it, with the sandbox enforcing Google's 600 calls / minute / user
trips, calls = api_trips(), api_calls()
queries, started, quota_wait, runs = sql_db.sql_counter, time.perf_counter(), 0.0, 0
job = connection._job_env()
while True:
    runs += 1
    try:
        job._job_push()
        env.cr.commit()
        break
    except RetryableJobError as exc:
        env.cr.rollback()
        quota_wait += exc.seconds
        time.sleep(exc.seconds)
push_s, push_queries = time.perf_counter() - started, sql_db.sql_counter - queries
push_trips, push_calls = api_trips() - trips, api_calls() - calls
throttled = sum(1 for r in control("requests_log")["requests"][calls:] if r.get("status") in (403, 429))
runs_rows = env["fieldops.calendar.sync.run"].search([("connection_id", "=", connection.id), ("kind", "=", "push")])
paced_inline = sum(runs_rows.mapped("quota_wait"))
env.invalidate_all()
in_sync = len(connection.link_ids.filtered(lambda link: link.state == "in_sync"))

# the round trip back: a pull sees our own events again; it must write nothing anywhere
orders = connection.link_ids.job_id
stamp = {o.id: o.write_date for o in orders}
messages = env["mail.message"].search_count([("model", "=", "fsm.order"), ("res_id", "in", orders.ids)])
calls = api_calls()
job._job_pull()
env.cr.commit()
job._job_push()
env.cr.commit()
env.invalidate_all()
echo = {
    "jobs written by the pull": sum(1 for o in orders if o.write_date != stamp[o.id]),
    "chatter messages added": env["mail.message"].search_count(
        [("model", "=", "fsm.order"), ("res_id", "in", orders.ids)]) - messages,
    "provider writes after the pull": sum(1 for r in control("requests_log")["requests"][calls:]
                                          if r["method"] in ("POST", "PATCH", "PUT", "DELETE")),
    "links owed after the pull": len(connection.link_ids.filtered(lambda link: link.state != "in_sync")),
}
# SQL per pulled change: a person edits a share of the events, one pull reads them all
edited = connection.link_ids.filtered(lambda link: link.state == "in_sync")[:max(1, JOBS // 5)]
for n, link in enumerate(edited):
    control("person_edit", {"id": link.event_id, "account": ACCOUNT,
                            "fields": {"description": f"Edited in the calendar {n}"}})
queries = sql_db.sql_counter
job._job_pull()
env.cr.commit()
pull_queries, pulled = sql_db.sql_counter - queries, len(edited)

print("RESULT " + json.dumps({
    "jobs": JOBS, "in_sync": in_sync, "create_s": create_s, "create_queries": create_queries,
    "push_s": push_s, "quota_wait_s": quota_wait, "push_runs": runs, "push_queries": push_queries,
    "push_trips": push_trips, "push_calls": push_calls, "echo": echo, "connection_id": connection.id,
    "throttled_answers": throttled, "paced_inline_s": paced_inline,
    "pull_queries": pull_queries, "pulled_changes": pulled,
}), flush=True)
