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
import base64
import collections
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from devtools import odoo_env  # noqa: E402
from devtools.pgcluster import PgCluster, free_port  # noqa: E402

DB = "fieldops_two"
CONNECTION = "fieldops.calendar.connection"
KEY_RE = re.compile(r"^fieldops-calendar-[a-z-]+?-(\d+)$")

# Run inside ``odoo-bin shell``: K connections, N jobs, all connected; prints ``RESULT {json}``.
SETUP = r"""
import json, os
from datetime import datetime, timedelta
jobs, count, public = int(os.environ["TWO_JOBS"]), int(os.environ["TWO_CONNECTIONS"]), os.environ["TWO_PUBLIC"]
env["ir.config_parameter"].sudo().set_param("fieldops_calendar_sync.public_base_url", public)
env["ir.config_parameter"].sudo().set_param("web.base.url", public)
env["ir.config_parameter"].sudo().set_param("web.base.url.freeze", "True")
location = env.ref("fieldservice.location_1")
admin = env.ref("base.user_admin")
out = []
for k in range(count):
    provider = "google" if k % 2 == 0 else "microsoft"
    account = f"two-{k}-{provider}@example.test"
    team = env["fsm.team"].create({"name": f"Crew {k}"})
    share = jobs // count + (1 if k < jobs % count else 0)
    connection = env["fieldops.calendar.connection"].create({
        "name": f"Two servers {k}", "provider": provider, "account_email": account,
        "team_ids": [(6, 0, team.ids)], "responsible_user_id": admin.id,
    })
    start = datetime(2026, 12, 1, 7, 0)
    env["fsm.order"].create([{
        "location_id": location.id, "team_id": team.id, "description": f"<p>Crew {k} job {n}</p>",
        "scheduled_date_start": start + timedelta(days=n // 10, hours=n % 10),
        "scheduled_date_end": start + timedelta(days=n // 10, hours=n % 10, minutes=45),
    } for n in range(share)])
    env.cr.commit()
    connection._demo_connect_sandbox()
    env.cr.commit()
    assert connection.state == "sandbox_connected", connection.last_error
    out.append({"id": connection.id, "provider": provider, "account": account, "jobs": share, "team": team.id,
                "location": location.id})
env.cr.commit()
print("RESULT " + json.dumps(out), flush=True)
"""

NGINX_BIN = shutil.which("nginx") or "/usr/sbin/nginx"
NGINX = """
worker_processes 1;
daemon off;
pid {home}/nginx.pid;
error_log {home}/nginx-error.log notice;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$msec "$request" $status upstream=$upstream_addr upstream_status=$upstream_status '
                        'request_time=$request_time upstream_time=$upstream_response_time';
    access_log {home}/nginx-access.log upstream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    client_max_body_size 64m;
    upstream odoo {{
        # max_fails=0: a dead server costs a refused connect on loopback, and the request goes to the other;
        # counting failures would also mark the live server down while a burst of webhooks fills its backlog,
        # turning slow answers into 502 "no live upstreams" for everyone (seen with max_fails=1)
        server 127.0.0.1:{port_a} max_fails=0;
        server 127.0.0.1:{port_b} max_fails=0;
    }}
    server {{
        listen 127.0.0.1:{port};
        proxy_read_timeout 720s;
        proxy_connect_timeout 5s;
        proxy_send_timeout 720s;
        location / {{
            proxy_pass http://odoo;
            proxy_redirect off;
            # what Odoo's proxy_mode reads (Werkzeug's ProxyFix): the public host, scheme and client address
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Real-IP $remote_addr;
        }}
    }}
}}
"""


def say(msg):
    print(f"[two] {msg}", flush=True)


class Run:
    def __init__(self, args, odoo, home):
        self.args, self.odoo, self.home = args, odoo, home
        self.cluster = PgCluster(os.path.join(home, "pg"))
        self.port, self.port_a, self.port_b = free_port(), free_port(), free_port()
        self.procs = {}
        self.probe = os.path.join(home, "probe.jsonl")
        self.events = []  # (time, what) of the run, printed at the end

    def note(self, what):
        self.events.append((time.time(), what))
        say(what)

    # -- set-up -----------------------------------------------------------------------------
    def start(self):
        oca = odoo_env.prepare(self.odoo, log=say)
        self.cluster.start()
        self.info_path = os.path.join(self.home, "sandbox.json")
        log = open(os.path.join(self.home, "sandbox.log"), "w")  # noqa: SIM115 (lives as long as the run)
        self.procs["sandbox"] = subprocess.Popen(
            [self.odoo.python, "-m", "calsync.sandbox", "--allow-http-loopback",  # Odoo receives webhooks on http://127.0.0.1
             "--info-file", self.info_path, "--no-seed"],
            stdout=log, stderr=subprocess.STDOUT, env=odoo_env.process_env())
        deadline = time.monotonic() + 30
        while not os.path.exists(self.info_path) and time.monotonic() < deadline:
            time.sleep(0.1)
        with open(self.info_path) as handle:
            self.sandbox = json.load(handle)
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        self.configs = {}
        for name, port in (("A", self.port_a), ("B", self.port_b)):
            self.configs[name] = os.path.join(self.home, f"odoo-{name}.conf")
            odoo_env.write_config(self.configs[name], self.odoo, oca, self.cluster,
                                  data_dir=os.path.join(self.home, "data"), http_port=port, extra={
                                      "fieldops_calendar_sync_key": key,
                                      "fieldops_calendar_sync_sandbox": self.info_path,
                                      "dbfilter": f"^{DB}$", "workers": str(self.args.workers),
                                      "proxy_mode": "True", "gevent_port": str(free_port()),
                                      "max_cron_threads": "1", "limit_time_real": "600", "log_level": "info",
                                  })
        say("creating the database (Odoo, fieldservice, queue_job, the addon with demo data)")
        subprocess.run([*self.odoo.odoo_bin, "-c", self.configs["A"], "-d", DB, "-i", "fieldops_calendar_sync",
                        "--stop-after-init"], check=True, env=odoo_env.process_env(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        say(f"{self.args.connections} connections, {self.args.jobs} jobs to push")
        done = subprocess.run(
            [*self.odoo.odoo_bin, "shell", "-c", self.configs["A"], "-d", DB, "--no-http", "--log-level", "warn"],
            input=SETUP, capture_output=True, text=True,
            env=odoo_env.process_env(TWO_JOBS=str(self.args.jobs), TWO_CONNECTIONS=str(self.args.connections),
                                     TWO_PUBLIC=f"http://127.0.0.1:{self.port}"))
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:
            sys.exit(f"setting up the connections failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        self.connections = json.loads(lines[-1][len("RESULT "):])
        self.start_nginx()
        self.start_odoo("A")
        self.start_odoo("B")
        self.wait_health()

    def start_nginx(self):
        tmp = os.path.join(self.home, "nginx-tmp")
        os.makedirs(tmp, exist_ok=True)
        os.chmod(tmp, 0o777)  # noqa: S103 (nginx's worker runs as nobody when we are root; a throwaway dir)
        conf = os.path.join(self.home, "nginx.conf")
        with open(conf, "w") as handle:
            handle.write(NGINX.format(home=self.home, tmp=tmp, port=self.port, port_a=self.port_a,
                                      port_b=self.port_b))
        subprocess.run([NGINX_BIN, "-t", "-p", self.home, "-c", conf, "-e", os.path.join(self.home, "nginx-error.log")],
                       check=True, capture_output=True)
        self.procs["nginx"] = subprocess.Popen(
            [NGINX_BIN, "-p", self.home, "-c", conf, "-e", os.path.join(self.home, "nginx-error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_odoo(self, name):
        channels = f"root:{self.args.capacity},root.fieldops_calendar:{self.args.capacity}"
        runner = {"ODOO_QUEUE_JOB_CHANNELS": channels, "ODOO_QUEUE_JOB_SCHEME": "http",
                  "ODOO_QUEUE_JOB_HOST": "127.0.0.1", "ODOO_QUEUE_JOB_PORT": str(self.port)}
        env = odoo_env.process_env(FIELDOPS_PROBE_SERVER=name,
                                   **(runner if name == "B" else {"ODOO_QUEUE_JOB_CHANNELS": "root:0"}))
        log = open(os.path.join(self.home, f"odoo-{name}.log"), "a")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(
            [self.odoo.python, os.path.join(ROOT, "benchmarks", "odoo_probe.py"), self.probe,
             "-c", self.configs[name], "-d", DB, "--load=base,web,queue_job"],
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)  # its own process group

    def wait_health(self, names=("A", "B")):
        import requests

        for name in names:
            port = self.port_a if name == "A" else self.port_b
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.3)
            else:
                sys.exit(f"Odoo server {name} did not answer")

    def stop(self):
        for name in ("A", "B", "nginx", "sandbox"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            if name in ("A", "B"):  # prefork workers left behind, if any
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        self.cluster.stop()

    # -- helpers ------------------------------------------------------------------------------
    def sql(self, query, params=()):
        import psycopg2

        if getattr(self, "_conn", None) is None:
            self._conn = psycopg2.connect(host="127.0.0.1", port=self.cluster.port, user="fieldops", dbname=DB)
            self._conn.autocommit = True
        with self._conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()

    def control(self, provider, action, payload=None):
        import requests

        answer = requests.post(f"{self.sandbox[provider]['base_url']}/_sandbox/{action}", json=payload or {},
                               verify=self.sandbox["ca_cert"], timeout=60)
        answer.raise_for_status()
        return answer.json()

    def rpc(self, model, method, *args):
        """An XML-RPC call as the demo admin, through nginx (again after a 502/503/504, as a client would)."""
        url = f"http://127.0.0.1:{self.port}"
        for attempt in range(5):
            try:
                if getattr(self, "_uid", None) is None:
                    self._uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
                        DB, "admin", "admin", {})
                models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
                return models.execute_kw(DB, self._uid, "admin", model, method, list(args))
            except xmlrpc.client.ProtocolError as exc:
                if exc.errcode not in (502, 503, 504) or attempt == 4:
                    raise
                self.note(f"XML-RPC {model}.{method} answered {exc.errcode}; again in 2 s")
                time.sleep(2)
        return None

    def trigger_requeue_cron(self):
        """Run the addon's requeue cron now, through nginx, as its schedule (every 5 minutes) would."""
        cron = self.rpc("ir.model.data", "check_object_reference", "fieldops_calendar_sync",
                        "cron_requeue_owed_work")[1]
        self.rpc("ir.cron", "method_direct_trigger", [cron])

    def create_jobs(self, connection, count, month):
        self.rpc("fsm.order", "create", [{
            "location_id": connection["location"], "team_id": connection["team"],
            "description": f"<p>Job {n} of month {month}</p>",
            "scheduled_date_start": f"2027-{month:02d}-{1 + n % 28:02d} {7 + n % 10:02d}:00:00",
            "scheduled_date_end": f"2027-{month:02d}-{1 + n % 28:02d} {7 + n % 10:02d}:40:00",
        } for n in range(count)])
        connection["jobs"] += count

    def wait_idle(self):
        deadline = time.monotonic() + self.args.timeout
        while time.monotonic() < deadline:
            active = [j for j in self.job_rows() if j["state"] in ("pending", "enqueued", "started")]
            if not active and not sum(s.get("pending_push", 0) for s in self.link_states().values()):
                return
            time.sleep(0.3)

    def measure(self):
        """After the kill: dispatchers create jobs over XML-RPC (through nginx) and both servers push them.

        Steady phase: every connection at once. Solo phase: one connection at a time, so that a job's
        figures are not those of a machine whose 2 cores run four pushes and their webhooks at once.
        """
        per = self.args.measure_jobs
        if not per:
            return
        self.phase2 = time.time()
        self.note(f"steady phase: {per} new jobs per connection created over XML-RPC, nobody killed")
        for c in self.connections:
            self.create_jobs(c, per, 2)
        self.wait_idle()
        self.phase3 = time.time()
        self.note(f"steady phase done in {self.phase3 - self.phase2:.1f} s; solo phase: {per} jobs on one "
                  "connection at a time")
        for c in self.connections:
            self.create_jobs(c, per, 3)
            self.wait_idle()
        self.note(f"solo phase done in {time.time() - self.phase3:.1f} s")

    def our_ids(self):
        return tuple(c["id"] for c in self.connections)

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

    # -- the run ------------------------------------------------------------------------------
    def make_edits(self):
        """A person moves a few events of each calendar; their webhooks reach Odoo through nginx."""
        self.edits = []
        for c in self.connections:
            rows = self.sql("SELECT event_id, job_id FROM fieldops_calendar_link WHERE connection_id = %s "
                            "AND state = 'in_sync' ORDER BY id LIMIT %s", (c["id"], self.args.edits))
            for n, (event_id, job_id) in enumerate(rows):
                start = f"2027-01-{10 + n:02d}T06:30:00Z"
                self.control(c["provider"], "person_edit", {"id": event_id, "fields": {
                    "start": start, "end": f"2027-01-{10 + n:02d}T07:10:00Z"}})
                self.edits.append((c["id"], job_id, start.replace("T", " ").rstrip("Z")))
        self.note(f"{len(self.edits)} calendar-side edits made")

    def running_on(self):
        """uuid -> server name of the jobs the probe saw start and not end, read as the file grows."""
        if not hasattr(self, "_probe_pos"):
            self._probe_pos, self._running = 0, {}
        if not os.path.exists(self.probe):
            return self._running
        with open(self.probe, "rb") as handle:
            handle.seek(self._probe_pos)
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                self._probe_pos += len(line)
                item = json.loads(line)
                if item["kind"] == "start":
                    self._running[item["uuid"]] = item["server"]
                elif item["kind"] == "end":
                    self._running.pop(item["uuid"], None)
        return self._running

    def victim(self):
        """A push job running on A that committed a batch and still owes more, or None."""
        states = self.link_states()
        running = self.running_on()
        for job in self.job_rows():
            if job["method"] == "_job_push" and job["state"] == "started" and running.get(job["uuid"]) == "A":
                counts = states.get(job["connection"], {})
                if counts.get("in_sync") and counts.get("pending_push"):
                    return job, counts
        return None

    def run(self):
        pid_a = self.procs["A"].pid  # the process group of server A, its workers included
        self.t0 = time.time()
        deadline = time.monotonic() + self.args.timeout
        killed = None
        while time.monotonic() < deadline and killed is None:
            found = self.victim()
            if found:
                job, counts = found
                self.make_edits()
                found = self.victim()  # still mid-push after the edits were sent?
                if found:
                    job, counts = found
                os.killpg(pid_a, signal.SIGKILL)  # the whole server: master, HTTP and cron workers
                self.procs["A"].wait()
                killed = job
                self.killed_at = time.time()
                self.note(f"killed server A (process group {pid_a}, kill -9) while it ran push job {job['uuid'][:8]} "
                          f"of connection "
                          f"{job['connection']} (links: {counts})")
            elif not any(j["state"] in ("pending", "enqueued", "started") for j in self.job_rows()):
                break
            time.sleep(0.02)
        if killed is None:
            self.killed_at = None
            self.note("server A never ran a push mid-batch: nothing was killed")
            self.make_edits()
        self.killed = killed
        time.sleep(self.args.down)
        if killed:
            self.note("restarting server A")
            self.start_odoo("A")
            self.wait_health(("A",))
        last_cron = 0
        while time.monotonic() < deadline:
            jobs = self.job_rows()
            states = self.link_states()
            active = [j for j in jobs if j["state"] in ("pending", "enqueued", "started")]
            owed = sum(s.get("pending_push", 0) for s in states.values())
            edits_due = self.edits_missing()
            if not active and not owed and not edits_due:
                break
            if time.monotonic() - last_cron > self.args.cron_every:
                self.trigger_requeue_cron()
                last_cron = time.monotonic()
                shown = ", ".join(f"{j['uuid'][:8]} {j['method']} {j['state']}" for j in active[:4])
                self.note(f"requeue cron run: {len(active)} jobs active ({shown}), {owed} links owed, "
                          f"{len(edits_due)} edits not pulled yet")
            time.sleep(0.5)
        self.t_end = time.time()
        self.note(f"run finished in {self.t_end - self.t0:.1f} s")

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--edits", type=int, default=5, help="calendar-side edits per connection")
    parser.add_argument("--workers", type=int, default=4, help="HTTP worker processes per Odoo server (prefork)")
    parser.add_argument("--capacity", type=int, default=4, help="queue_job channel capacity (jobs at once)")
    parser.add_argument("--down", type=float, default=5, help="seconds server A stays dead")
    parser.add_argument("--cron-every", type=float, default=5, help="seconds between runs of the requeue cron")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--measure-jobs", type=int, default=100,
                        help="jobs per connection created afterwards over XML-RPC, to time pushes in a steady state")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args(argv)
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(f"this benchmark needs Odoo 18: {why}")
    if not os.path.exists(NGINX_BIN):  # before anything is started, not after the database is built
        sys.exit("nginx not found: apt-get install -y nginx-light")
    odoo_env.run_under_odoo_python(odoo, __file__, argv or sys.argv[1:])
    home = tempfile.mkdtemp(prefix="fieldops-two-")
    os.chmod(home, 0o755)  # noqa: S103 (PostgreSQL and nginx's worker run as other users)
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
