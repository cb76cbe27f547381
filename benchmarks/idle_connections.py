"""What idle connections cost: provider requests, queue jobs, SQL and database growth per connection per hour.

    python3 benchmarks/idle_connections.py [--sizes 250,500,1000] [--jobs-each 50]

Needs Odoo 18 where the test command finds it. Starts its own PostgreSQL cluster, the sandbox
and a database with the addon (as benchmarks/odoo_sync.py does), then, inside ``odoo-bin shell``
(benchmarks/idle_shell.py), grows the number of connected sandbox calendars through ``--sizes``
(each with ``--jobs-each`` jobs, pushed and in sync) and plays one hour of the addon's crons
with nothing changing: the safety-net pull (4 runs), re-enqueueing owed work (12), channel
renewal (1) and expiry warnings (every 6 hours: one run counted as 1/6). It prints, per size,
per connection per hour: provider requests, queue jobs, SQL queries, database growth, and each
cron's run time against the connection count (targets: no provider request more often than the
safety-net interval; database growth no more than the history it keeps; cron time linear in the
connection count and shorter than its interval at 1,000).
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
from devtools import odoo_env  # noqa: E402

INTERVALS = {"cron_safety_net_pull": 900, "cron_requeue_owed_work": 300, "cron_keep_channels_alive": 3600,
             "cron_warn_before_expiry": 21600}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="250,500,1000")
    parser.add_argument("--jobs-each", type=int, default=50)
    args = parser.parse_args(argv)
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(f"this benchmark needs Odoo 18: {why}")
    odoo_env.run_under_odoo_python(odoo, __file__, argv or sys.argv[1:])
    home = tempfile.mkdtemp(prefix="fieldops-idle-")
    bench = Bench(SimpleNamespace(jobs=0), odoo, home)
    try:
        bench.start()
        say(f"connecting calendars up to {args.sizes.split(',')[-1]} with {args.jobs_each} jobs each, "
            "then one idle hour of crons at each size")
        shell = subprocess.Popen(
            [*odoo.odoo_bin, "shell", "-c", bench.config, "-d", DB, "--no-http", "--log-level", "warn"],
            stdin=open(os.path.join(ROOT, "benchmarks", "idle_shell.py")),  # noqa: SIM115
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=odoo_env.process_env(BENCH_SIZES=args.sizes, BENCH_JOBS_EACH=str(args.jobs_each),
                                     BENCH_SANDBOX=bench.info_path))
        lines = []
        for line in shell.stdout:  # the set-up takes long at full size: show how far it got
            lines.append(line)
            if line.startswith(("PROGRESS ", "RESULT ")):
                say(line.rstrip())
        stderr = shell.stderr.read()
        shell.wait()
        done = SimpleNamespace(stdout="".join(lines), stderr=stderr)
    finally:
        bench.stop()
    results = [json.loads(line[len("RESULT "):]) for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not results:
        sys.exit(f"the idle run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    print(f"\nMachine: {os.cpu_count()} cores; one Odoo shell (jobs run in it as queue_job would), the sandbox and "
          "PostgreSQL share them. Nothing changes on either side during the hour.\n")
    print("Per connection per idle hour:")
    print(f"  {'connections':>11} {'jobs each':>9} {'provider req':>12} {'queue jobs':>10} {'SQL':>8} "
          f"{'DB bytes':>9}  provider requests by kind (whole hour)")
    for r in results:
        n = r["connections"]
        print(f"  {n:>11} {r['jobs_each']:>9} {r['provider_requests'] / n:>12.2f} {r['queue_jobs'] / n:>10.2f} "
              f"{r['sql'] / n:>8.0f} {r['db_bytes'] / n:>9.0f}  {r['by_kind']}"
              f"  (links not in sync: {r.get('links_not_in_sync')})")
    print("\nCron run time (longest run) against the connection count, and the cron's interval:")
    names = list(INTERVALS)
    print(f"  {'connections':>11} " + " ".join(f"{name.replace('cron_', ''):>22}" for name in names)
          + f" {'jobs run (s/h)':>14}")
    for r in results:
        cells = " ".join(f"{r['cron'][name]['max_s']:>17.2f} s   " for name in names)
        print(f"  {r['connections']:>11} {cells} {r['job_s']:>14.1f}")
    print("  intervals: " + ", ".join(f"{name.replace('cron_', '')} {s // 60} min" for name, s in INTERVALS.items()))
    print("  targets: provider requests no more often than the safety-net interval (<= 4 pulls / hour); "
          "DB growth only the history kept; cron time linear in connections and under its interval at 1,000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
