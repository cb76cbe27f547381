"""An organization's technician calendars in Odoo: the first sync and the steady state, with queue jobs.

    python3 benchmarks/org_odoo.py [--technicians 200] [--jobs-each 5] [--providers google,microsoft]

Needs Odoo 18 where the test command finds it. Starts its own PostgreSQL cluster, the sandbox and a
database with the addon (as benchmarks/odoo_sync.py does), and an Odoo server that only receives the
providers' webhooks (no queue_job runner, no crons). Then, inside ``odoo-bin shell``
(benchmarks/org_shell.py), for Google Workspace (domain-wide delegation) and Microsoft 365 (app-only):
one organization in sandbox mode, granted (``action_sandbox_grant``); ``--technicians`` workers with
work e-mails in its domain, each with ``--jobs-each`` scheduled jobs ahead, added to it
(``_add_technicians``); and three steps, running every queue job they queue (and the pulls the
webhooks queue) as queue_job's runner would, one at a time in the shell:

1. the first sync (each technician calendar's full pull, push and channel);
2. the steady state with nothing changed: the safety-net pull cron once;
3. the steady state with one job of each technician moved in Odoo.

Prints, per provider, per calendar: provider API calls (the emulator's request log), HTTP round trips,
queue jobs and time (wall, and of the jobs alone), with the calls by kind and the queue jobs by
method; the sign-in (token) requests of the whole run; and how many jobs ended in sync. Figures
only: nothing is asserted. The engine-only figures of the same scenario are benchmarks/org_calendars.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from types import SimpleNamespace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.odoo_sync import DB, Bench, say  # noqa: E402
from devtools import odoo_env, product  # noqa: E402

NAMES = {"google": "Google Workspace (domain-wide delegation)", "microsoft": "Microsoft 365 (app-only)"}
STEPS = [("first_sync", "first sync"), ("nothing_changed", "steady state, nothing changed"),
         ("one_job_moved", "steady state, one job moved")]


def run_shell(bench, odoo, args, base_url):
    shell = subprocess.Popen(
        [*odoo.odoo_bin, "shell", "-c", bench.config, "-d", DB, "--no-http", "--log-level", "warn"],
        stdin=open(os.path.join(ROOT, "benchmarks", "org_shell.py")),  # noqa: SIM115
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=odoo_env.process_env(BENCH_TECHNICIANS=str(args.technicians), BENCH_JOBS_EACH=str(args.jobs_each),
                                 BENCH_PROVIDERS=args.providers, BENCH_SANDBOX=bench.info_path,
                                 BENCH_BASE_URL=base_url))
    lines = []
    for line in shell.stdout:
        lines.append(line)
        if line.startswith(("PROGRESS ", "RESULT ")):
            say(line.rstrip()[:300])
    stderr = shell.stderr.read()
    shell.wait()
    return SimpleNamespace(stdout="".join(lines), stderr=stderr)


def print_table(r):
    n = r["calendars"] or 1
    print(f"\n{NAMES[r['provider']]}: {r['calendars']} technician calendars, {r['jobs_each']} jobs each; "
          f"jobs in sync after the first sync {r['jobs_in_sync']} of {r['technicians'] * r['jobs_each']}, "
          f"at the end {r['jobs_in_sync_at_end']}")
    print(f"  {'per calendar':32} {'API calls':>9} {'HTTP':>6} {'sign-in':>7} {'queue jobs':>10} {'wall ms':>8} "
          f"{'jobs ms':>8} {'ms/job':>7} {'calls/job':>9}")
    for key, label in STEPS:
        s = r[key]
        jobs = s["ran"] or 1
        print(f"  {label:32} {s['api_calls'] / n:>9.2f} {s['api_round_trips'] / n:>6.2f} "
              f"{s['token_requests'] / n:>7.2f} {s['ran'] / n:>10.2f} {1000 * s['wall_s'] / n:>8.1f} "
              f"{1000 * s['job_s'] / n:>8.1f} {1000 * s['job_s'] / jobs:>7.1f} {s['api_calls'] / jobs:>9.2f}")
    for key, label in STEPS:
        s = r[key]
        extra = f"; retried {s['retried']}, failed {s['failed']}" if s["retried"] or s["failed"] else ""
        print(f"  {label}: calls {s['by_kind']}, errors {s['errors'] or 'none'}; jobs {s['jobs_by_method']}{extra}; "
              f"the action itself {s['action_s']:.1f} s")
    tokens = r["token_requests_whole_run"]
    print(f"  sign-in service round trips, whole run (grant included): {tokens} ({tokens / n:.2f} per calendar)")
    print(f"  calendar states {r['states']}; links at the end {r['links_at_end']}; events in three sample "
          f"calendars {list(r['events_in_sample_calendars'].values())}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--technicians", type=int, default=200)
    parser.add_argument("--jobs-each", type=int, default=5)
    parser.add_argument("--providers", default="google,microsoft")
    args = parser.parse_args(argv)
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(f"this benchmark needs Odoo 18: {why}")
    odoo_env.run_under_odoo_python(odoo, __file__, argv or sys.argv[1:])
    home = tempfile.mkdtemp(prefix="fieldops-org-")
    bench = Bench(SimpleNamespace(jobs=0), odoo, home)
    try:
        bench.start()
        say("starting an Odoo server for the webhooks only (no queue_job runner, no crons: the shell runs the jobs)")
        log = os.path.join(home, "odoo-webhooks.log")
        server = product.start_odoo(odoo, bench.config, DB, log, "--load", "base,web", "--max-cron-threads", "0")
        bench.procs.append(server)
        base_url = f"http://127.0.0.1:{bench.port}"
        product.wait_ready(base_url, server, log_path=log)
        say(f"{args.technicians} technicians with {args.jobs_each} jobs each, for {args.providers}")
        done = run_shell(bench, odoo, args, base_url)
    finally:
        bench.stop()
    results = [json.loads(line[len("RESULT "):]) for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not results:
        sys.exit(f"the organization run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    print(f"\nMachine: {os.cpu_count()} cores; one Odoo shell running the queue jobs one at a time (as one queue_job "
          "worker would), the webhook server, the sandbox and PostgreSQL share them.")
    print("Per calendar: provider API calls (the emulator's log; a batch counts its calls), HTTP round trips to the "
          "API, sign-in service round trips (Google: token; Microsoft: token and msal's openid-configuration), "
          "queue jobs run, wall time of the step, time of its jobs alone; per queue job: "
          "time and API calls.")
    for r in results:
        print_table(r)
    if len(results) < len(args.providers.split(",")):
        print(f"\nOnly {len(results)} provider(s) finished:\n{done.stderr[-3000:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
