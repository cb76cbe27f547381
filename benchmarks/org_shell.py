"""Run inside ``odoo-bin shell`` by benchmarks/org_odoo.py: an organization's technician calendars in Odoo.

Parameters from the environment: BENCH_TECHNICIANS, BENCH_JOBS_EACH, BENCH_PROVIDERS (``google,microsoft``),
BENCH_SANDBOX (the sandbox's info file), BENCH_BASE_URL (the Odoo server that receives the webhooks).
For each provider: one organization in sandbox mode, granted; N workers with work e-mails in its
domain, each with J scheduled jobs ahead, added to it; then three steps, each measured by the
provider's own request log (API calls), its HTTP round trips (sign-in requests apart), the queue
jobs run and the time: the first sync, a safety-net pull with nothing changed, and one job of each
technician moved in Odoo. Every queue job of the addon's channels is run here, one at a time, as
queue_job's runner would run it (its eta honoured, a retryable error postponed); webhooks reach
the Odoo server, which queues the pulls they call for, and a step ends when nothing has been
pending for QUIET seconds. Prints one line ``RESULT {json}`` per provider.
"""

# ruff: noqa: F821  (``env`` is given by odoo-bin shell)
import json
import os
import time
from datetime import datetime, timedelta

import requests
from odoo import SUPERUSER_ID, api
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

TECHNICIANS = int(os.environ["BENCH_TECHNICIANS"])
JOBS_EACH = int(os.environ["BENCH_JOBS_EACH"])
PROVIDERS = os.environ["BENCH_PROVIDERS"].split(",")
SANDBOX = json.load(open(os.environ["BENCH_SANDBOX"]))  # noqa: SIM115
DOMAIN = "bench-org.test"
QUIET = 3.0  # seconds with nothing pending before a step ends: webhooks may still queue a pull
STEP_LIMIT = 3600  # seconds: a step never runs longer than this
CHANNELS = "root.fieldops%%"


def control(provider, action, payload=None):
    answer = requests.post(f"{SANDBOX[provider]['base_url']}/_sandbox/{action}", json=payload or {},
                           verify=SANDBOX["ca_cert"], timeout=120)
    answer.raise_for_status()
    return answer.json()


def say(message):
    print(f"PROGRESS {time.strftime('%H:%M:%S')} {message}", flush=True)


def run_one(uuid):
    """One job as queue_job's runner runs it: (ran, retried, failed)."""
    job = Job.load(env, uuid)
    try:
        job.set_started()
        job.store()
        env.cr.commit()
        job.perform()
        env.flush_all()
        job.set_done()
        job.store()
        env.flush_all()
        env.cr.commit()
        return 1, 0, 0
    except RetryableJobError as exc:  # postponed, as queue_job's controller does
        env.cr.rollback()
        env.invalidate_all()
        with env.registry.cursor() as cr:
            job = Job.load(api.Environment(cr, SUPERUSER_ID, {}), uuid)
            job.postpone(result=str(exc), seconds=exc.seconds)
            job.set_pending(reset_retry=False)
            job.store()
        return 0, 1, 0
    except Exception as exc:  # recorded failed as queue_job would, and the run goes on
        env.cr.rollback()
        env.invalidate_all()
        job = Job.load(env, uuid)
        job.set_failed(exc_info=repr(exc)[:2000])
        job.store()
        env.cr.commit()
        return 0, 0, 1


def run_queued():
    """Every queue job of the addon's channels until none has been pending for QUIET seconds; ``last_end``: when
    the last job ended (perf_counter)."""
    counts = {"ran": 0, "retried": 0, "failed": 0, "job_s": 0.0, "last_end": None}
    last_work = time.monotonic()
    deadline = last_work + STEP_LIMIT
    while time.monotonic() < deadline:
        env.cr.execute("SELECT uuid FROM queue_job WHERE state = 'pending' AND channel LIKE %s "
                       "AND (eta IS NULL OR eta <= now() at time zone 'utc') ORDER BY id LIMIT 500", (CHANNELS,))
        uuids = [row[0] for row in env.cr.fetchall()]
        if not uuids:
            env.cr.execute("SELECT count(*) FROM queue_job WHERE state IN ('pending', 'enqueued', 'started') "
                           "AND channel LIKE %s", (CHANNELS,))
            waiting = env.cr.fetchone()[0]
            env.cr.commit()  # the next look sees what the webhooks queued meanwhile
            if not waiting and time.monotonic() - last_work > QUIET:
                break
            time.sleep(0.2)
            continue
        for uuid in uuids:
            started = time.perf_counter()
            ran, retried, failed = run_one(uuid)
            counts["job_s"] += time.perf_counter() - started
            counts["ran"] += ran
            counts["retried"] += retried
            counts["failed"] += failed
        last_work = time.monotonic()
        counts["last_end"] = time.perf_counter()
    else:
        counts["gave_up_after_s"] = STEP_LIMIT
    return counts


def last_queue_job_id():
    env.cr.execute("SELECT coalesce(max(id), 0) FROM queue_job")
    return env.cr.fetchone()[0]


def measure(provider, action):
    """Run ``action`` (which queues work), then the queued jobs; what it cost at the provider and here."""
    first_job = last_queue_job_id()
    trips = control(provider, "round_trips")["round_trips"]
    since = time.time()
    started = time.perf_counter()
    action()
    env.cr.commit()
    action_s = time.perf_counter() - started
    counts = run_queued()
    # from the action to the end of the last job: the QUIET wait after it is the benchmark's, not the product's
    wall = (counts.pop("last_end") or started + action_s) - started
    log = [entry for entry in control(provider, "requests_log")["requests"] if entry["time"] >= since]
    after = control(provider, "round_trips")["round_trips"]
    by_kind, errors = {}, {}
    for entry in log:
        path = entry["path"]
        kind = entry["method"] + (" channel" if any(w in path for w in ("watch", "channels/stop", "subscriptions"))
                                  else "")
        by_kind[kind] = by_kind.get(kind, 0) + 1
        if entry.get("status", 200) >= 400:
            errors[str(entry.get("status"))] = errors.get(str(entry.get("status")), 0) + 1
    env.cr.execute("SELECT method_name, state, count(*) FROM queue_job WHERE id > %s AND channel LIKE %s "
                   "GROUP BY method_name, state", (first_job, CHANNELS))
    jobs_by_method = {f"{method} ({state})": n for method, state, n in env.cr.fetchall()}
    return {"api_calls": len(log), "api_round_trips": after.get("api", 0) - trips.get("api", 0),
            "token_requests": after.get("oauth", 0) - trips.get("oauth", 0),
            "by_kind": by_kind, "errors": errors, "jobs_by_method": jobs_by_method,
            "wall_s": wall, "action_s": action_s, **counts}


def links(org):
    env.cr.execute("SELECT l.state, count(*) FROM fieldops_calendar_link l JOIN fieldops_calendar_connection c "
                   "ON c.id = l.connection_id WHERE c.organization_id = %s AND l.job_id IS NOT NULL GROUP BY l.state",
                   (org.id,))
    return dict(env.cr.fetchall())


def bench(provider):
    admin = env.ref("base.user_admin")
    location = env.ref("fieldservice.location_1")
    result = {"provider": provider, "technicians": TECHNICIANS, "jobs_each": JOBS_EACH}
    trips_at_start = control(provider, "round_trips")["round_trips"]
    org = env["fieldops.calendar.organization"].create({
        "name": f"Bench {provider} technicians", "provider": provider, "google_domain": DOMAIN,
        "responsible_user_id": admin.id})
    org.action_sandbox_grant()
    env.cr.commit()
    if org.state != "connected":
        raise SystemExit(f"the sandbox grant failed: {org.last_error}")
    persons = env["fsm.person"].create([{"name": f"Bench {provider} technician {n:03d}",
                                         "email": f"{provider}-tech{n:03d}@{DOMAIN}"} for n in range(TECHNICIANS)])
    day = datetime.now().replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    orders = env["fsm.order"].create([
        {"location_id": location.id, "person_id": person.id,
         "scheduled_date_start": day + timedelta(days=j, hours=n % 8),
         "scheduled_date_end": day + timedelta(days=j, hours=n % 8 + 1)}
        for n, person in enumerate(persons) for j in range(JOBS_EACH)])
    env.cr.commit()
    say(f"{provider}: {len(persons)} technicians with {len(orders)} jobs; adding them and running the first sync")

    result["first_sync"] = measure(provider, lambda: org._add_technicians(persons))
    calendars = org.connection_ids
    result["calendars"] = len(calendars)
    result["states"] = {state: len(calendars.filtered(lambda c, s=state: c.state == s))
                        for state in set(calendars.mapped("state"))}
    result["links_after_first_sync"] = links(org)
    env.cr.execute("SELECT count(*) FROM fieldops_calendar_link WHERE job_id = ANY(%s) AND state = 'in_sync'",
                   (orders.ids,))
    result["jobs_in_sync"] = env.cr.fetchone()[0]
    sample = persons[:3]
    result["events_in_sample_calendars"] = {p.email: len(control(provider, "live_events", {"account": p.email})
                                                         ["events"]) for p in sample}
    say(f"{provider}: first sync done ({result['jobs_in_sync']} of {len(orders)} jobs in sync); safety-net pull")

    cron = env.ref("fieldops_calendar_sync.cron_safety_net_pull")
    result["nothing_changed"] = measure(provider, cron.method_direct_trigger)
    say(f"{provider}: safety-net pull done; moving one job of each technician")

    first_jobs = env["fsm.order"].browse([orders[n * JOBS_EACH].id for n in range(TECHNICIANS)])

    def move():
        for order in first_jobs:  # a dispatcher moves one job of each technician, one save each
            order.write({"scheduled_date_start": order.scheduled_date_start + timedelta(minutes=30),
                         "scheduled_date_end": order.scheduled_date_end + timedelta(minutes=30)})
            env.cr.commit()

    result["one_job_moved"] = measure(provider, move)
    env.cr.execute("SELECT count(*) FROM fieldops_calendar_link WHERE job_id = ANY(%s) AND state = 'in_sync'",
                   (orders.ids,))
    result["jobs_in_sync_at_end"] = env.cr.fetchone()[0]
    result["links_at_end"] = links(org)
    trips_at_end = control(provider, "round_trips")["round_trips"]
    result["token_requests_whole_run"] = trips_at_end.get("oauth", 0) - trips_at_start.get("oauth", 0)
    # this organization's calendars leave the next provider's safety-net pull alone (SQL: no side effect)
    env.cr.execute("UPDATE fieldops_calendar_connection SET state = 'disconnected' WHERE organization_id = %s",
                   (org.id,))
    env.cr.commit()
    env.invalidate_all()
    return result


params = env["ir.config_parameter"].sudo()
for key, value in (("web.base.url", os.environ["BENCH_BASE_URL"]), ("web.base.url.freeze", "True"),
                   ("fieldops_calendar_sync.public_base_url", os.environ["BENCH_BASE_URL"])):
    params.set_param(key, value)
# the demo data's calendars are not the organization's: out of the crons' way, their queued jobs dropped
env.cr.execute("UPDATE fieldops_calendar_connection SET state = 'disconnected' WHERE organization_id IS NULL")
env.cr.execute("UPDATE queue_job SET state = 'cancelled' WHERE state IN ('pending', 'enqueued', 'wait_dependencies')")
env.cr.commit()
env.invalidate_all()
for name in PROVIDERS:
    print("RESULT " + json.dumps(bench(name)), flush=True)
