"""Two Odoo servers behind nginx; PostgreSQL is restarted mid-push, and again during a webhook burst.

    python3 benchmarks/two_servers_pg_restart.py [--jobs 1000] [--connections 4] [--burst 600] [--senders 8]

The set-up of benchmarks/two_servers.py (a private cluster, the sandbox, nginx in front of servers A
and B, queue_job's runner in B): K connections get N/K jobs to push. Once a push has committed a
batch and still owes more, a few calendar-side edits are made and PostgreSQL is restarted with
``pg_ctl restart -m fast`` (devtools/pgcluster.py): every session of both servers is cut. Nobody
touches the servers; the addon's requeue cron is run through nginx as its schedule would, and the
run waits until nothing is owed. Then a burst of provider-shaped Google notifications (the
registrations' own tokens, from the sandbox's ``webhooks`` action) goes through nginx from
``--senders`` threads, and PostgreSQL is restarted again a third of the way in.

Prints: the restart times, the time until pushes resumed and until nothing was owed, jobs that ended
as a retry (the addon's log line), jobs the addon's requeue cron requeued (its log line), queue jobs
failed; the per-connection table of two_servers.py (events == jobs, duplicates by our identity
property, edits pulled); and the burst's answers before, during and after the restart. Exits
non-zero on a duplicate, a lost job or edit, a link left ``pending_push``, a job left active, or a
notification sent after the database was back that got no 2xx/4xx answer.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import signal
import sys
import threading
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

from two_servers_check import Checks  # noqa: E402
from two_servers_report import Report  # noqa: E402
from two_servers_scenario import Scenario, cluster_arguments, prepared_home, say  # noqa: E402

WEBHOOK = "/fieldops_calendar_sync/webhook/google"
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) ")
RETRIED = "the database session was lost"  # calendar_connection_sync_jobs._provider_lock's warning
REQUEUED = re.compile(r"requeueing (\d+) (?:dead )?job\(s\)")  # _requeue_dead_jobs, _requeue_lost_dispatches


class Run(Scenario, Checks, Report):
    """The two-server scenario with PostgreSQL restarted instead of a server killed."""

    def sql(self, query, params=()):
        """The checks' own session: opened again after a restart cut it."""
        import psycopg2

        for attempt in range(30):
            try:
                return super().sql(query, params)
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                self._conn = None
                if attempt == 29:
                    raise
                time.sleep(0.5)
        return None

    def restart_pg(self, why):
        self.note(f"restarting PostgreSQL (pg_ctl restart -m fast) {why}")
        started = time.time()
        took = self.cluster.restart()
        self.restarts.append((started, started + took))
        self.note(f"PostgreSQL accepts connections again after {took:.2f} s")
        return started + took

    def cron_through_nginx(self):
        try:
            self.trigger_requeue_cron()
            return True
        except Exception as exc:  # a server may answer 500 while its sessions are renewed
            self.note(f"requeue cron through nginx failed ({type(exc).__name__}: {str(exc)[:120]}); again later")
            self._uid = None
            return False

    def mid_push(self):
        """A started push of a connection that has links in sync and links still owed, or None."""
        states = self.link_states()
        for job in self.job_rows():
            if job["method"] == "_job_push" and job["state"] == "started":
                counts = states.get(job["connection"], {})
                if counts.get("in_sync") and counts.get("pending_push"):
                    return job, counts
        return None

    def wait_settled(self, since):
        """Run the requeue cron every --cron-every s until no job is active and no link owed; returns figures."""
        deadline = time.monotonic() + self.args.timeout
        last_cron, resumed, in_sync_at_restart = 0.0, None, self.in_sync_total()
        while time.monotonic() < deadline:
            active, owed, edits_due = self.outstanding()
            if resumed is None and self.in_sync_total() > in_sync_at_restart:
                resumed = time.time()
            if not active and not owed and not edits_due:
                return {"settled": time.time(), "resumed": resumed}
            if time.monotonic() - last_cron > self.args.cron_every:
                self.cron_through_nginx()
                last_cron = time.monotonic()
                self.note_cron_run(active, owed, edits_due)
            time.sleep(0.5)
        self.note(f"not settled after {self.args.timeout:.0f} s")
        return {"settled": None, "resumed": resumed}

    def in_sync_total(self):
        return sum(s.get("in_sync", 0) for s in self.link_states().values())

    # -- phase 1: the push ---------------------------------------------------------------------
    def run(self):
        self.t0, self.restarts, self.killed_at = time.time(), [], None
        deadline = time.monotonic() + self.args.timeout
        found = None
        while time.monotonic() < deadline and not found:
            found = self.mid_push()
            if not found and not any(j["state"] in ("pending", "enqueued", "started") for j in self.job_rows()):
                break
            time.sleep(0.05)
        self.make_edits()
        if found:
            job, counts = found
            self.restart_pg(f"while push {job['uuid'][:8]} of connection {job['connection']} runs (links: {counts})")
        else:
            self.note("no push was caught mid-batch: PostgreSQL restarted anyway, the run proves less")
            self.restart_pg("after the push")
        self.push_restart = self.restarts[-1]
        self.push_figures = self.wait_settled(self.push_restart[0])
        self.t_end = time.time()
        self.note(f"push phase settled in {self.t_end - self.t0:.1f} s")

    # -- phase 2: the webhook burst ------------------------------------------------------------------
    def burst(self):
        import requests

        prefix = f"http://127.0.0.1:{self.port}"
        channels = [w for w in self.control("google", "webhooks")["webhooks"]
                    if w["address"].startswith(prefix)]
        if not channels:
            self.note("no Google channel to notify: no burst")
            return []
        results, lock = [], threading.Lock()
        count, senders = self.args.burst, self.args.senders
        numbers = iter(range(count))
        restart_after = count // 3

        def send():
            session = requests.Session()
            session.trust_env = False
            while True:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return
                channel = channels[n % len(channels)]
                headers = {"X-Goog-Channel-ID": channel["id"], "X-Goog-Message-Number": str(10**6 + n),
                           "X-Goog-Resource-ID": channel["resourceId"], "X-Goog-Resource-State": "exists",
                           "X-Goog-Resource-URI": channel["uri"], "X-Goog-Channel-Token": channel["token"],
                           "Content-Length": "0"}
                sent = time.time()
                try:
                    status = session.post(prefix + WEBHOOK, headers=headers, data=b"", timeout=60).status_code
                except requests.RequestException as exc:
                    status = type(exc).__name__
                with lock:
                    results.append((n, sent, time.time(), status))

        self.note(f"webhook burst: {count} Google notifications from {senders} senders over "
                  f"{len(channels)} channels; PostgreSQL restarted after {restart_after}")
        threads = [threading.Thread(target=send, daemon=True) for _n in range(senders)]
        for thread in threads:
            thread.start()
        while len(results) < restart_after and any(t.is_alive() for t in threads):
            time.sleep(0.01)
        self.restart_pg("during the webhook burst")
        self.burst_restart = self.restarts[-1]
        for thread in threads:
            thread.join()
        self.note(f"burst sent: {len(results)} answers collected")
        self.burst_figures = self.wait_settled(self.burst_restart[0])
        return results

    # -- report ---------------------------------------------------------------------------------
    def log_counts(self, since):
        """(jobs that ended as a retry, jobs requeued by the addon's cron) in both servers' logs since ``since``."""
        retried = requeued = 0
        for name in ("A", "B"):
            path = os.path.join(self.home, f"odoo-{name}.log")
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as handle:
                for line in handle:
                    stamp = LOG_TIME.match(line)
                    if not stamp:
                        continue
                    when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=timezone.utc)
                    if when.timestamp() < since:
                        continue
                    if RETRIED in line:
                        retried += 1
                    found = REQUEUED.search(line)
                    if found:
                        requeued += int(found.group(1))
        return retried, requeued

    def phase_report(self, label, restart, figures, until):
        start, back = restart
        retried, requeued = self.log_counts(start)
        if until:
            retried_all, requeued_all = retried, requeued
            later = self.log_counts(until)
            retried, requeued = retried_all - later[0], requeued_all - later[1]
        resumed = f"{figures['resumed'] - back:.1f} s" if figures.get("resumed") else "n/a"
        settled = f"{figures['settled'] - start:.1f} s" if figures.get("settled") else "never"
        print(f"  {label}: restart {back - start:.2f} s; pushes resumed {resumed} after the database was back; "
              f"nothing owed {settled} after the restart began; {retried} jobs ended as a retry (session lost), "
              f"{requeued} requeued by the addon's cron")
        return figures.get("settled") is not None

    def burst_report(self, results):
        failures = []
        if not results:
            return failures
        start, back = self.burst_restart
        windows = collections.OrderedDict((("before the restart", []), ("during it", []), ("after it", [])))
        for _n, sent, answered, status in results:
            if answered < start:
                windows["before the restart"].append(status)
            elif sent < back:
                windows["during it"].append(status)
            else:
                windows["after it"].append(status)
        print("\nWebhook burst answers (by when each was sent and answered):")
        for label, statuses in windows.items():
            counts = collections.Counter(s if isinstance(s, str) else f"{s // 100}xx" for s in statuses)
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            print(f"  {label:>19}: {len(statuses):>5} sent  {shown}")
        bad = [s for s in windows["after it"] if isinstance(s, str) or not 200 <= s < 500]
        if bad:
            failures.append(f"{len(bad)} notifications sent after the database was back got no 2xx/4xx answer: "
                            f"{collections.Counter(map(str, bad))}")
        return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    cluster_arguments(parser)
    parser.add_argument("--burst", type=int, default=600, help="notifications in the webhook burst")
    parser.add_argument("--senders", type=int, default=8, help="concurrent senders of the burst")
    args = parser.parse_args(argv)
    odoo, home = prepared_home(__file__, argv, "fieldops-pgrestart-")
    run = Run(args, odoo, home)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failures = []
    try:
        run.start()
        run.run()
        results = run.burst()
        print(f"\nMachine: {os.cpu_count()} cores shared by PostgreSQL, nginx, two Odoo servers, the sandbox and "
              "this script (and other runs). Timeline:")
        for t, what in run.events:
            print(f"  +{t - run.t0:6.1f} s  {what}")
        print("\nRecovery:")
        burst_restart = getattr(run, "burst_restart", None)
        if not run.phase_report("mid-push restart", run.push_restart, run.push_figures,
                                burst_restart[0] if burst_restart else None):
            failures.append("the push phase never settled after the restart")
        if burst_restart and not run.phase_report("burst restart", burst_restart, run.burst_figures, None):
            failures.append("the burst phase never settled after the restart")
        failures += run.check()
        active = [j for j in run.job_rows() if j["state"] in ("pending", "enqueued", "started")]
        owed = sum(s.get("pending_push", 0) for s in run.link_states().values())
        if active or owed:
            failures.append(f"{len(active)} jobs still active, {owed} links still pending_push at the end")
        failures += run.burst_report(results)
        failed_jobs = sum(1 for j in run.job_rows() if j["state"] == "failed")
        by_method = collections.Counter(j["method"] for j in run.job_rows())
        print(f"\nQueue jobs: {sum(by_method.values())} ({dict(by_method)}), {failed_jobs} failed")
        if failed_jobs:
            failures.append(f"{failed_jobs} queue jobs failed")
    finally:
        run.stop()
        if args.keep:
            say(f"logs kept in {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nOK: nothing lost or duplicated, nothing left owed, every notification after the restart answered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
