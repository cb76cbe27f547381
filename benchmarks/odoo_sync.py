"""Figures of the running product: real Odoo 18 with queue_job, and the sandbox with the providers' quotas on.

    python3 benchmarks/odoo_sync.py [--jobs 1000] [--senders 1,10,50] [--per-level 300] [--edits 20]
                                    [--modes 2,0] [--flood 10]

Needs Odoo 18 where the test command finds it. Starts its own PostgreSQL cluster,
sandbox and Odoo server in a temporary directory, and prints:

1. pushing N new jobs to Google (quota on: 600 calls / minute / user): wall time and
   how much of it was quota wait, HTTP round trips per change (target <= 0.05), SQL
   queries per job, and echo writes after the full round trip (target 0);
2. webhook acknowledgement latency p50 / p99 / max at 1, 10 and 50 concurrent senders, and at
   50 during a flood of forged requests, for each server mode of ``--modes`` (HTTP worker
   counts: 2 = prefork workers as production runs, 0 = the threaded server of the demo)
   (targets: p50 < 10 ms at 1 sender, p99 < 100 ms at 10, every answer < 3 s at 50), each
   beside the same figure for a route that answers 200 at once (the floor Odoo itself sets
   on this machine, from the test-only addon ``benchmarks/addons/fieldops_bench_floor``,
   never shipped) and as a ratio to it, and how many duplicate deliveries caused work (target 0);
3. calendar edit -> job updated, p50 / p95, through the real watch channel, the webhook
   and queue_job's runner (target p95 < 2 s).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from devtools import odoo_env, product  # noqa: E402
from devtools.pgcluster import PgCluster, free_port  # noqa: E402

DB = "fieldops_bench"
ACCOUNT = "bench-dispatch@example.test"
WEBHOOK = "/fieldops_calendar_sync/webhook/google"
FLOOR = "/fieldops_bench/floor"
BENCH_ADDONS = os.path.join(ROOT, "benchmarks", "addons")


def say(msg):
    print(f"[bench] {msg}", flush=True)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Bench:
    def __init__(self, args, odoo, home):
        self.args, self.odoo, self.home = args, odoo, home
        self.procs = []
        self.cluster = PgCluster(os.path.join(home, "pg"))
        self.port = free_port()

    # -- set-up ------------------------------------------------------------------------------
    def start(self):
        oca = odoo_env.prepare(self.odoo, log=say)
        self.cluster.start()
        self.info_path = os.path.join(self.home, "sandbox.json")
        sandbox, self.sandbox = product.start_sandbox(self.odoo, self.info_path,
                                                      os.path.join(self.home, "sandbox.log"), "--no-seed")
        self.procs.append(sandbox)
        self.config = os.path.join(self.home, "odoo.conf")
        self.oca = oca
        self.key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        self.write_config(0)
        say("creating the database (Odoo, fieldservice, queue_job, the addon with demo data, the floor route)")
        subprocess.run([*self.odoo.odoo_bin, "-c", self.config, "-d", DB, "-i",
                        "fieldops_calendar_sync,fieldops_bench_floor", "--stop-after-init"], check=True,
                       env=odoo_env.process_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def write_config(self, workers):
        odoo_env.write_config(self.config, self.odoo, self.oca, self.cluster, data_dir=os.path.join(self.home, "data"),
                              http_port=self.port, extra={
                                  "addons_path": ",".join([*self.odoo.addons_paths(), self.oca, ROOT, BENCH_ADDONS]),
                                  "fieldops_calendar_sync_key": self.key,
                                  "fieldops_calendar_sync_sandbox": self.info_path,
                                  "dbfilter": f"^{DB}$", "workers": str(workers), "log_level": "warn",
                                  "max_cron_threads": "1", "limit_time_real": "600",
                                  "gevent_port": str(free_port()),
                              })

    def stop(self):
        product.stop(self.procs)
        self.cluster.stop()

    def control(self, action, payload=None):
        import requests

        answer = requests.post(f"{self.sandbox['google']['base_url']}/_sandbox/{action}", json=payload or {},
                               verify=self.sandbox["ca_cert"], timeout=30)
        answer.raise_for_status()
        return answer.json()

    def sql(self, query, params=()):
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.cluster.port, user="fieldops", dbname=DB)
        try:
            with conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall()
        finally:
            conn.close()

    # -- 1. push -------------------------------------------------------------------------------
    def push(self):
        say(f"pushing {self.args.jobs} new jobs through the push job (Google quota on)")
        done = subprocess.run(
            [*self.odoo.odoo_bin, "shell", "-c", self.config, "-d", DB, "--no-http", "--log-level", "warn"],
            stdin=open(os.path.join(ROOT, "benchmarks", "odoo_push_shell.py")),  # noqa: SIM115
            capture_output=True, text=True,
            env=odoo_env.process_env(BENCH_JOBS=str(self.args.jobs), BENCH_ACCOUNT=ACCOUNT,
                                     BENCH_SANDBOX=self.info_path))
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:
            sys.exit(f"the push run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        self.pushed = json.loads(lines[-1][len("RESULT "):])
        return self.pushed

    # -- 2. webhook acknowledgements -----------------------------------------------------------------
    def serve(self, workers):
        say(f"starting the Odoo server ({workers or 'threaded, no'} workers) with queue_job's runner")
        self.write_config(workers)
        odoo_log = os.path.join(self.home, f"odoo-{workers}.log")
        self.server = product.start_odoo(self.odoo, self.config, DB, odoo_log)
        self.procs.append(self.server)
        product.wait_ready(f"http://127.0.0.1:{self.port}", self.server, log_path=odoo_log)
        # the connection's channel opens through the job queued at connect, run by the runner
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            channels = [c for c in self.control("webhooks")["webhooks"] if c["calendar"] == ACCOUNT]
            if channels:
                self.channel = channels[-1]
                break
            time.sleep(0.3)
        else:
            sys.exit("the benchmark calendar's watch channel never opened")
        self.wait_quiet()

    def stop_server(self):
        product.stop([self.server])
        self.procs.remove(self.server)

    def wait_quiet(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.sql("SELECT count(*) FROM queue_job WHERE state IN ('pending', 'enqueued', 'started') "
                            "AND (eta IS NULL OR eta < now() at time zone 'utc')")[0][0]:
                return
            time.sleep(0.1)

    def floor(self, session, _number):
        started = time.perf_counter()
        answer = session.post(f"http://127.0.0.1:{self.port}{FLOOR}", data=b"", timeout=30)
        return time.perf_counter() - started, answer.status_code

    def forge(self, session, number):
        """A forged notification: an unknown channel id (counted in the aggregate, nothing else written)."""
        headers = {"X-Goog-Channel-ID": f"forged-{number}", "X-Goog-Message-Number": str(number),
                   "X-Goog-Resource-ID": "forged", "X-Goog-Resource-State": "exists", "Content-Length": "0"}
        started = time.perf_counter()
        answer = session.post(f"http://127.0.0.1:{self.port}{WEBHOOK}", headers=headers, data=b"", timeout=30)
        return time.perf_counter() - started, answer.status_code

    def flood(self, senders, stop):
        """Forged requests from ``senders`` threads until ``stop`` is set; returns how many were sent."""
        import requests

        sent = [0] * senders

        def run(slot):
            session = requests.Session()
            session.trust_env = False
            while not stop.is_set():
                self.forge(session, slot * 10**7 + sent[slot])
                sent[slot] += 1

        threads = [threading.Thread(target=run, args=(n,), daemon=True) for n in range(senders)]
        for thread in threads:
            thread.start()
        return threads, sent

    def notify(self, session, number):
        channel = self.channel
        headers = {"X-Goog-Channel-ID": channel["id"], "X-Goog-Message-Number": str(number),
                   "X-Goog-Resource-ID": channel["resourceId"], "X-Goog-Resource-State": "exists",
                   "X-Goog-Resource-URI": channel["uri"], "X-Goog-Channel-Token": channel["token"],
                   "Content-Length": "0"}
        started = time.perf_counter()
        answer = session.post(f"http://127.0.0.1:{self.port}{WEBHOOK}", headers=headers, data=b"", timeout=30)
        return time.perf_counter() - started, answer.status_code

    def load(self, senders, count, first_number, duplicate_every=0, send_one=None):
        """``count`` notifications from ``senders`` concurrent senders; every ``duplicate_every``-th is sent twice."""
        send_one = send_one or self.notify
        import requests

        numbers = []
        for n in range(count):
            numbers.append(first_number + n)
            if duplicate_every and n % duplicate_every == 0:
                numbers.append(first_number + n)
        local = threading.local()

        def send(number):
            if not hasattr(local, "session"):
                local.session = requests.Session()
                local.session.trust_env = False
            return send_one(local.session, number)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=senders) as pool:
            results = list(pool.map(send, numbers))
        elapsed = time.perf_counter() - started
        latencies = [r[0] * 1000 for r in results]
        return {"sent": len(numbers), "duplicates": len(numbers) - count, "rate": len(numbers) / elapsed,
                "p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "max": max(latencies),
                "non_2xx": sum(1 for r in results if not 200 <= r[1] < 300)}

    # -- 3. edit -> job ------------------------------------------------------------------------------
    def edit_to_job(self, edits):
        rows = self.sql("SELECT l.event_id, l.job_id FROM fieldops_calendar_link l WHERE l.connection_id = %s "
                        "AND l.state = 'in_sync' ORDER BY l.id LIMIT %s", (self.pushed["connection_id"], edits))
        latencies = []
        for n, (event_id, job_id) in enumerate(rows):
            self.wait_quiet()
            start = f"2027-06-{1 + n % 28:02d}T{7 + n % 10:02d}:15:00Z"
            end = f"2027-06-{1 + n % 28:02d}T{8 + n % 10:02d}:45:00Z"
            expected = start.replace("T", " ").rstrip("Z")
            started = time.perf_counter()
            self.control("person_edit", {"id": event_id, "fields": {"start": start, "end": end}})
            deadline = started + 30
            while time.perf_counter() < deadline:
                value = self.sql("SELECT scheduled_date_start FROM fsm_order WHERE id = %s", (job_id,))[0][0]
                if value and value.strftime("%Y-%m-%d %H:%M:%S") == expected:
                    latencies.append(time.perf_counter() - started)
                    break
                time.sleep(0.01)
            else:
                latencies.append(float("inf"))
        return latencies


def measure_webhooks(bench, args, workers, number):
    """One server mode: every sender level for the webhook and for the floor route, then 50 under a flood."""
    bench.serve(workers)
    levels = []
    plan = [(int(s), 0) for s in args.senders.split(",")]
    if args.flood:
        plan.append((max(n for n, _f in plan), args.flood))
    for senders, flood in plan:
        label = f"{senders} concurrent sender(s)" + (f" during a flood from {flood} forgers" if flood else "")
        say(f"[{workers or 'threaded'}] webhook load: {args.per_level} notifications from {label}")
        stop = threading.Event()
        forgers, forged = bench.flood(flood, stop) if flood else ([], [0])
        time.sleep(0.5 if flood else 0)
        duplicates_before = bench.sql("SELECT count(*) FROM fieldops_calendar_notification "
                                      "WHERE status = 'duplicate'")[0][0]
        result = bench.load(senders, args.per_level, number, duplicate_every=10)
        number += args.per_level
        recorded = bench.sql("SELECT count(*) FROM fieldops_calendar_notification "
                             "WHERE status = 'duplicate'")[0][0] - duplicates_before
        result["duplicates_that_acted"] = result["duplicates"] - recorded
        result["floor"] = bench.load(senders, args.per_level, 0, send_one=bench.floor)
        stop.set()
        for thread in forgers:
            thread.join(timeout=30)
        result["forged"] = sum(forged)
        levels.append((senders, flood, result))
        bench.wait_quiet()
    result_rows = bench.sql("SELECT count(*), coalesce(sum(count), 0) FROM fieldops_calendar_webhook_rejection")[0]
    bench.stop_server()
    return levels, number, result_rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--senders", default="1,10,50")
    parser.add_argument("--per-level", type=int, default=300, help="notifications per load level")
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--modes", default="2,0",
                        help="Odoo HTTP worker counts to measure, in turn (0: one threaded process, as bin/run)")
    parser.add_argument("--flood", type=int, default=10,
                        help="threads sending forged notifications during the last level (0: no flood level)")
    args = parser.parse_args(argv)
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(f"this benchmark needs Odoo 18: {why}")
    odoo_env.run_under_odoo_python(odoo, __file__, argv or sys.argv[1:])
    home = tempfile.mkdtemp(prefix="fieldops-bench-")
    bench = Bench(args, odoo, home)
    modes = []
    try:
        bench.start()
        pushed = bench.push()
        number = 10**6  # above the numbers Google's own deliveries use
        for workers in [int(w) for w in args.modes.split(",")]:
            levels, number, rejected = measure_webhooks(bench, args, workers, number)
            modes.append((workers, levels, rejected))
        bench.serve([int(w) for w in args.modes.split(",")][-1])
        say(f"calendar edit -> job, {args.edits} edits one after another")
        latencies = bench.edit_to_job(args.edits)
    finally:
        bench.stop()

    jobs = pushed["jobs"]
    quota_wait = pushed["quota_wait_s"] + pushed.get("paced_inline_s", 0.0)
    print(f"\nMachine: {os.cpu_count()} cores; senders, Odoo (queue_job runner with 2 channels) and "
          "PostgreSQL share them.\n")
    print(f"1. Push of {jobs} new jobs to Google (sandbox quota on: 600 calls / minute / user)")
    rows = [
        ("jobs in sync after the push", f"{pushed['in_sync']} / {jobs}"),
        ("push wall time", f"{pushed['push_s']:.1f} s"),
        ("  of which quota wait (pacing)", f"{quota_wait:.1f} s ({quota_wait / pushed['push_s']:.0%}), "
                                           f"{pushed['push_runs']} job runs"),
        ("  working time per job", f"{(pushed['push_s'] - quota_wait) / jobs * 1000:.1f} ms"),
        ("answers the provider throttled (403/429)", f"{pushed.get('throttled_answers', 0)} (target 0)"),
        ("HTTP round trips per change (target <= 0.05)", f"{pushed['push_trips'] / jobs:.3f}"),
        ("provider API calls per change (quota units)", f"{pushed['push_calls'] / jobs:.2f}"),
        ("SQL queries per job, push", f"{pushed['push_queries'] / jobs:.1f}"),
        ("SQL queries per job, creating it (trigger incl.)", f"{pushed['create_queries'] / jobs:.1f}"),
        ("SQL queries per pulled change (a person's edit applied to its job)",
         f"{pushed['pull_queries'] / max(1, pushed['pulled_changes']):.1f}"),
        *[(f"echo: {k} (target 0)", str(v)) for k, v in pushed["echo"].items()],
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print("\n2. Webhook acknowledgement latency (Google notifications, verified, recorded, pull enqueued), "
          "beside the floor route (200 at once) and as a ratio to it")
    for workers, levels, (agg_rows, agg_count) in modes:
        server = f"prefork, {workers} HTTP workers" if workers else "threaded server"
        print(f"  {server}:")
        print(f"  {'senders':>7} {'flood':>5} {'sent':>5} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'floor p50/p99/max ms':>21} {'ratio p50/p99/max':>18} {'non-2xx':>7} {'dup acted':>9} "
              f"{'forged':>6}")
        for senders, flood, r in levels:
            f = r["floor"]
            floor = f"{f['p50']:.1f}/{f['p99']:.1f}/{f['max']:.1f}"
            ratio = "/".join(f"{r[k] / f[k]:.1f}" if f[k] else "-" for k in ("p50", "p99", "max"))
            print(f"  {senders:>7} {flood:>5} {r['sent']:>5} {r['rate']:>6.0f} {r['p50']:>7.1f} {r['p99']:>7.1f} "
                  f"{r['max']:>7.1f} {floor:>21} {ratio:>18} {r['non_2xx']:>7} {r['duplicates_that_acted']:>9} "
                  f"{r['forged']:>6}")
        print(f"  rejected-request aggregate after this mode: {agg_rows} rows counting {agg_count} requests")
    print("  targets: p50 < 10 ms at 1 sender; p99 < 100 ms at 10; every answer < 3000 ms at 50 (flood too); "
          "duplicates that acted = 0")
    finite = [x for x in latencies if x != float("inf")]
    print("\n3. Calendar edit -> job updated (watch channel, webhook, queue_job runner, pull)")
    if finite:
        print(f"  edits {len(latencies)}, reached the job {len(finite)}; p50 {statistics.median(finite):.2f} s, "
              f"p95 {percentile(finite, 95):.2f} s, max {max(finite):.2f} s (target p95 < 2 s)")
    else:
        print("  no edit reached its job within 30 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
