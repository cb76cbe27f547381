"""The two-server run's checks: no job pushed twice, none lost, no edit lost, no overlap of two jobs."""

from __future__ import annotations

import collections
import urllib.parse

from two_servers_scenario import CONNECTION, KEY_RE


class Checks:
    """What the scenario must have left behind (a mixin of the Run in two_servers.py)."""

    def job_rows(self):
        """Every queue job of our connections: uuid, method, state, worker_pid, connection id."""
        rows = self.sql("SELECT uuid, method_name, state, worker_pid, identity_key, date_started, date_done "
                        "FROM queue_job WHERE model_name = %s", (CONNECTION,))
        out = []
        for uuid, method, state, pid, key, started, done in rows:
            match = KEY_RE.match(key or "")
            if match and int(match.group(1)) in self.our_ids():
                out.append({"uuid": uuid, "method": method, "state": state, "pid": pid,
                            "connection": int(match.group(1)), "started": started, "done": done})
        return out

    def link_states(self):
        rows = self.sql("SELECT connection_id, state, count(*) FROM fieldops_calendar_link "
                        "WHERE connection_id IN %s GROUP BY 1, 2", (self.our_ids(),))
        out = collections.defaultdict(dict)
        for connection, state, count in rows:
            out[connection][state] = count
        return out

    def edits_missing(self):
        missing = []
        for connection_id, job_id, expected in self.edits:
            value = self.sql("SELECT scheduled_date_start FROM fsm_order WHERE id = %s", (job_id,))[0][0]
            if not value or value.strftime("%Y-%m-%d %H:%M:%S") != expected:
                missing.append((connection_id, job_id))
        return missing

    # -- checks ---------------------------------------------------------------------------------
    def check(self):
        failures = []
        calls = {p: self.control(p, "requests_log")["requests"] for p in ("google", "microsoft")}
        links = self.sql("SELECT connection_id, identity, event_id, state, job_id FROM fieldops_calendar_link "
                         "WHERE connection_id IN %s", (self.our_ids(),))
        per = collections.defaultdict(list)
        for row in links:
            per[row[0]].append(row)
        missing_edits = collections.Counter(c for c, _job in self.edits_missing())
        edits_made = collections.Counter(c for c, _job, _s in self.edits)
        overlaps = self.overlaps()
        print(f"\n{'conn':>4} {'provider':<9} {'jobs':>5} {'in sync':>7} {'events':>6} {'dup':>4} {'missing':>7} "
              f"{'sent 2x':>7} {'id taken':>8} {'landed 2x':>9} {'edits':>7} {'overlap':>7}")
        for c in self.connections:
            rows = per[c["id"]]
            events = self.control(c["provider"], "live_events", {"account": c["account"]})["events"]
            identity_of = (lambda e: e.get("transactionId")) if c["provider"] == "microsoft" else \
                (lambda e: ((e.get("extendedProperties") or {}).get("private") or {}).get("fieldops_identity"))
            by_identity = collections.Counter(identity_of(e) for e in events)
            duplicates = sum(n - 1 for n in by_identity.values() if n > 1)
            live = [r for r in rows if r[3] != "tombstone" and r[4]]
            in_sync = sum(1 for r in live if r[3] == "in_sync")
            missing = sum(1 for r in live if by_identity.get(r[1], 0) == 0)
            mine = {r[1] for r in rows}
            creates = collections.defaultdict(set)
            sent = collections.Counter()
            for call in calls[c["provider"]]:
                if call.get("identity") in mine:
                    creates[call["identity"]].add(call["event_id"])
                    sent[call["identity"]] += 1
            sent_twice = sum(1 for n in sent.values() if n > 1)
            taken = sum(1 for call in calls[c["provider"]] if call["method"] == "POST" and call.get("status") == 409
                        and c["account"] in urllib.parse.unquote(call["path"]) and call["path"].endswith("/events"))
            landed_twice = sum(1 for ids in creates.values() if len(ids) > 1)
            edits = f"{edits_made[c['id']] - missing_edits[c['id']]}/{edits_made[c['id']]}"
            print(f"{c['id']:>4} {c['provider']:<9} {c['jobs']:>5} {in_sync:>7} {len(events):>6} {duplicates:>4} "
                  f"{missing:>7} {sent_twice:>7} {taken:>8} {landed_twice:>9} {edits:>7} {len(overlaps[c['id']]):>7}")
            if duplicates or landed_twice:
                failures.append(f"connection {c['id']}: {duplicates} duplicate events, {landed_twice} creates landed "
                                "twice")
            if missing or in_sync != c["jobs"] or len(live) != c["jobs"] or len(events) != c["jobs"]:
                failures.append(f"connection {c['id']}: {c['jobs']} jobs, {len(live)} links, {in_sync} in sync, "
                                f"{len(events)} events, {missing} missing")
            if missing_edits[c["id"]]:
                failures.append(f"connection {c['id']}: {missing_edits[c['id']]} calendar edits never reached the job")
            for a, b in overlaps[c["id"]]:
                failures.append(f"connection {c['id']}: jobs {a} and {b} worked it at the same time")
        print("  dup: events sharing one identity; missing: jobs without an event; sent 2x: creates answered 2xx\n"
              "  more than once for one link (a retry the provider deduplicated); id taken: Google creates refused\n"
              "  with 409 because the event id was taken (a retried create that had landed); landed 2x: such\n"
              "  creates that made two events; edits: calendar edits that reached the job; overlap: pairs of jobs\n"
              "  whose provider work on the connection overlapped in time")
        return failures
