"""The two-server run's report: which server ran what, the overlaps, where a pushed job's time goes."""

from __future__ import annotations

import collections
import json
import os
import re


class Report:
    """Figures printed after the run (a mixin of the Run in two_servers.py)."""

    def executions(self):
        """Job runs seen by the probe: (uuid, pid, start) -> {start, end, http intervals, stats}."""
        runs, http = {}, []
        with open(self.probe) as handle:
            for line in handle:
                item = json.loads(line)
                if item["kind"] == "start":
                    runs[(item["uuid"], item["pid"], item["t"])] = {"uuid": item["uuid"], "pid": item["pid"],
                                                                     "server": item["server"],
                                                                     "t0": item["t"], "t1": None, "http": [],
                                                                     "method": item["method"]}
                elif item["kind"] == "end":
                    run = runs.get((item["uuid"], item["pid"], item["t0"]))
                    if run:
                        run.update(t1=item["t1"], stats=item)
                elif item["kind"] == "http":
                    http.append(item)
        for item in http:
            candidates = [r for r in runs.values() if r["uuid"] == item["uuid"] and r["pid"] == item["pid"]
                          and r["t0"] <= item["t0"]]
            if candidates:
                max(candidates, key=lambda r: r["t0"])["http"].append((item["t0"], item["t1"]))
        return list(runs.values())

    def overlaps(self):
        connection_of = {j["uuid"]: j["connection"] for j in self.job_rows()}
        work = collections.defaultdict(list)
        for run in self.executions():
            if run["uuid"] not in connection_of or not run["http"]:
                continue
            start = min(t0 for t0, _t1 in run["http"])
            end = max(t1 for _t0, t1 in run["http"])
            if run["t1"] is None and self.killed_at and run["server"] == "A" and run["t0"] < self.killed_at:
                end = self.killed_at  # killed mid-job: it may have been working until the kill
            label = f"{run['uuid'][:8]} {run['method']} on {run['server']} (pid {run['pid']})"
            work[connection_of[run["uuid"]]].append((start, end, label))
        out = collections.defaultdict(list)
        for connection, spans in work.items():
            spans.sort()
            for i, (start, end, label) in enumerate(spans):
                for other_start, other_end, other in spans[i + 1:]:
                    if other_start < end:
                        out[connection].append(
                            (f"{label} [{start - self.t0:.3f}, {end - self.t0:.3f}]",
                             f"{other} [{other_start - self.t0:.3f}, {other_end - self.t0:.3f}]"))
        return out

    def servers(self):
        """Which server answered each runjob request (nginx's $upstream_addr), and jobs failed."""
        names = {f"127.0.0.1:{self.port_a}": "A", f"127.0.0.1:{self.port_b}": "B"}
        by_server = collections.Counter()
        retried = 0
        ours = {j["uuid"] for j in self.job_rows()}
        with open(os.path.join(self.home, "nginx-access.log")) as handle:
            for line in handle:
                match = re.search(r"job_uuid=([0-9a-f-]+).* upstream=(\S+(?:, \S+)*) upstream_status", line)
                if not match or match.group(1) not in ours:
                    continue
                hops = [names.get(h.strip(), h.strip()) for h in match.group(2).split(",")]
                by_server[hops[-1]] += 1
                retried += len(hops) > 1
        print(f"\nrunjob requests for our jobs through nginx: {dict(by_server)}; passed to the other server after "
              f"the first failed: {retried}")
        hooks = collections.Counter()
        with open(os.path.join(self.home, "nginx-access.log")) as handle:
            for line in handle:
                match = re.search(r'"POST /fieldops_calendar_sync/webhook/\S+ [^"]*" (\d+)', line)
                if match:
                    hooks[match.group(1)] += 1
        print(f"webhook deliveries through nginx by answer: {dict(sorted(hooks.items()))} (the providers send one "
              "per change, our own pushes' echoes included)")
        states = collections.Counter(j["state"] for j in self.job_rows())
        print(f"our queue jobs by state: {dict(states)}")
        methods = collections.Counter(j["method"] for j in self.job_rows())
        print(f"our queue jobs by method: {dict(methods.most_common())}")
        failed = self.sql("SELECT uuid, method_name, exc_info FROM queue_job WHERE state = 'failed'")
        print(f"failed queue jobs (all of the database): {len(failed)}")
        for uuid, method, exc in failed[:5]:
            print(f"  {uuid[:8]} {method}: {(exc or '').strip().splitlines()[-1:]}")
        done_on = {r["uuid"]: r["server"] for r in sorted(self.executions(), key=lambda r: r["t0"])
                   if r["t1"] is not None and r["stats"]["outcome"] == "done"}
        ours_done = [j for j in self.job_rows() if j["state"] == "done"]
        print(f"done jobs by the server that ran them to the end (probe): "
              f"{dict(collections.Counter(done_on.get(j['uuid'], '?') for j in ours_done))}; job runs per server "
              f"(retries and the killed run included): "
              f"{dict(collections.Counter(r['server'] for r in self.executions() if r['uuid'] in ours))}")
        return len(failed)

    def time_split(self, title, pushed, since=0.0, until=float("inf")):
        """Where a pushed job's time goes: provider wait, SQL, Python; from the probe's completed push runs."""
        connection_of = {j["uuid"]: j["connection"] for j in self.job_rows()}
        runs = [r for r in self.executions() if r["method"] == "_job_push" and r["t1"] is not None
                and r["uuid"] in connection_of and since <= r["t0"] < until]
        if not runs or not pushed:
            return
        print(f"\n{title}")
        done = [r for r in runs if r["stats"]["outcome"] == "done"]
        retried = [r for r in runs if r["stats"]["outcome"] != "done"]
        tot = {k: sum(r["stats"][k] for r in runs) for k in ("http_s", "sql_s", "http_n", "sql_n", "lock_s")}
        wall = sum(r["t1"] - r["t0"] for r in runs)
        python = wall - tot["http_s"] - tot["sql_s"] - tot["lock_s"]
        print(f"  {len(runs)} push runs in the servers "
              f"({len(done)} done, {len(retried)} ended early: "
              f"{dict(collections.Counter(r['stats']['outcome'] for r in retried))}), "
              f"{pushed} jobs pushed")
        print(f"  {'':<22} {'total s':>8} {'ms / job':>9} {'share':>6}")
        for name, value in (("provider wait (HTTP)", tot["http_s"]), ("SQL", tot["sql_s"]), ("Python", python),
                            ("lock / back-off wait", tot["lock_s"]), ("wall time in jobs", wall)):
            print(f"  {name:<22} {value:>8.2f} {value / pushed * 1000:>9.2f} {value / wall:>6.0%}")
        work = wall - tot["lock_s"]
        print(f"  working time (wall minus lock wait): {work / pushed * 1000:.2f} ms per job = "
              f"{pushed / work:.0f} jobs per second per worker thread")
        print(f"  HTTP requests {tot['http_n']} ({tot['http_n'] / pushed:.3f} per job), SQL statements "
              f"{tot['sql_n']} ({tot['sql_n'] / pushed:.1f} per job)")
        per_provider = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0, 0.0])
        provider_of = {c["id"]: c["provider"] for c in self.connections}
        jobs_of = collections.Counter()
        for c in self.connections:
            jobs_of[c["provider"]] += pushed * c["jobs"] / sum(x["jobs"] for x in self.connections)
        for r in runs:
            p = provider_of.get(connection_of.get(r["uuid"]), "?")
            acc = per_provider[p]
            acc[0] += r["stats"]["http_s"]
            acc[1] += r["stats"]["sql_s"]
            acc[2] += r["t1"] - r["t0"]
            acc[3] += r["stats"]["sql_n"]
            acc[4] += r["stats"]["lock_s"]
        for p, (h, s, w, n, lk) in sorted(per_provider.items()):
            jobs = jobs_of[p] or 1
            print(f"  {p:<10} per job: provider {h / jobs * 1000:.2f} ms, SQL {s / jobs * 1000:.2f} ms "
                  f"({n / jobs:.1f} statements), Python {(w - h - s - lk) / jobs * 1000:.2f} ms, "
                  f"lock wait {lk / jobs * 1000:.2f} ms")
        quota = [r for r in runs if r["stats"]["outcome"] == "RetryableJobError"]
        print(f"  runs that gave their worker back (quota, lock busy): {len(quota)}")
