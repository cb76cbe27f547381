"""Two Odoo servers on one PostgreSQL behind nginx; one is killed with -9 mid-push and restarted.

    python3 benchmarks/two_servers.py [--jobs 1000] [--connections 4] [--edits 5] [--capacity 4]

Needs Odoo 18 where the test command finds it and Debian's nginx. Starts, in a temporary
directory: a private PostgreSQL cluster, the sandbox (providers' quotas on), one database
with the addon, nginx (a generated config, not a daemon: its own pid and log files) in front
of Odoo servers A and B (threaded, ``--load=base,web,queue_job``, proxy_mode). queue_job's
runner runs in B only and reaches Odoo through nginx, so its runjob requests spread over A
and B. K connections (Google and Microsoft in turn) each get N/K jobs to push; once A is
running a push that has committed a batch and still owes more, a few calendar-side edits are
made (their webhooks go through nginx too) and A is killed with SIGKILL. B keeps going; A is
restarted; the addon's requeue cron (``_cron_requeue_owed_work``, triggered through nginx the
way its schedule would) requeues the dead job; the run waits until nothing is owed.

Then it prints, per connection: jobs, events on the emulator, duplicates by our identity
property, missing events, creates that landed twice, edits pulled, overlapping provider work
of two jobs on the connection; which server ran each job (nginx's $upstream_addr); failed
jobs; and where the time of a pushed job goes (provider wait, SQL, Python), measured inside
the servers by benchmarks/odoo_probe.py. Exits non-zero on a duplicate, a lost job or edit,
or an overlap.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from two_servers_check import Checks  # noqa: E402
from two_servers_report import Report  # noqa: E402
from two_servers_scenario import Scenario, cluster_arguments, prepared_home, say  # noqa: E402


class Run(Scenario, Checks, Report):
    """The scenario (two_servers_scenario.py), its checks (two_servers_check.py), its report (two_servers_report.py)."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cluster_arguments(parser)
    parser.add_argument("--down", type=float, default=5, help="seconds server A stays dead")
    parser.add_argument("--measure-jobs", type=int, default=100,
                        help="jobs per connection created afterwards over XML-RPC, to time pushes in a steady state")
    args = parser.parse_args(argv)
    odoo, home = prepared_home(__file__, argv, "fieldops-two-")
    run = Run(args, odoo, home)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a terminated run still stops what it started
    try:
        run.start()
        run.run()
        pushed_first = sum(c["jobs"] for c in run.connections)
        run.measure()
        print(f"\nMachine: {os.cpu_count()} cores shared by PostgreSQL, nginx, two Odoo servers, the sandbox and "
              "this script. Timeline:")
        for t, what in run.events:
            print(f"  +{t - run.t0:6.1f} s  {what}")
        failures = run.check()
        if run.killed is None:
            failures.append("server A never ran a push mid-batch, so nothing was killed: the run proves less; "
                            "run it again")
        failed_jobs = run.servers()
        phase2, phase3 = getattr(run, "phase2", float("inf")), getattr(run, "phase3", float("inf"))
        per = args.measure_jobs * len(run.connections)
        run.time_split("Where the time of a pushed job goes, run with the kill (pushes, pulls, requeue, at once)",
                       pushed_first, until=phase2)
        run.time_split("Where the time of a pushed job goes, steady phase (all connections at once, from XML-RPC)",
                       per, since=phase2, until=phase3)
        run.time_split("Where the time of a pushed job goes, solo phase (one connection at a time)", per,
                       since=phase3)
    finally:
        run.stop()
        if args.keep:
            say(f"logs kept in {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print(f"\nOK: no duplicate, nothing lost, no overlap ({failed_jobs} failed queue jobs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
