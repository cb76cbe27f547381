"""The two-server run's scenario: PostgreSQL, the sandbox, nginx and two Odoo servers, the push, the kill, the edits."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from devtools import odoo_env, product, tools  # noqa: E402
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
{webhook_http}
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
{webhook_server}
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


def cluster_arguments(parser):
    """The options every two-server run takes: its size, its servers, the proxy's webhook limits."""
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--edits", type=int, default=5, help="calendar-side edits per connection")
    parser.add_argument("--workers", type=int, default=4, help="HTTP worker processes per Odoo server (prefork)")
    parser.add_argument("--capacity", type=int, default=4, help="queue_job channel capacity (jobs at once)")
    parser.add_argument("--cron-every", type=float, default=5, help="seconds between runs of the requeue cron")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--webhook-rate", default="1000r/s",
                        help="nginx limit_req rate per address on the webhook paths (the admin guide's: 20r/s)")
    parser.add_argument("--webhook-burst", type=int, default=2000, help="its burst (the admin guide's: 100)")
    parser.add_argument("--webhook-conns", type=int, default=200,
                        help="nginx limit_conn per address on the webhook paths (the admin guide's: 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")


def prepared_home(script, argv, prefix):
    """``(odoo, home)``: Odoo 18 and nginx found (else exit, before anything starts), ``script`` running under
    Odoo's Python, and a temporary home the cluster's other users (PostgreSQL, nginx's worker) can enter."""
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        sys.exit(f"this benchmark needs Odoo 18: {why}")
    try:
        tools.nginx()
    except tools.ToolMissing as missing:
        sys.exit(str(missing))
    odoo_env.run_under_odoo_python(odoo, script, argv or sys.argv[1:])
    home = tempfile.mkdtemp(prefix=prefix)
    os.chmod(home, 0o755)  # noqa: S103 (PostgreSQL and nginx's worker run as other users)
    return odoo, home


def say(msg):
    print(f"[two] {msg}", flush=True)


ADMIN_GUIDE_NGINX = os.path.join(ROOT, "docs", "nginx-fieldops.conf")


def webhook_parts(rate, burst, conns):
    """The admin guide's nginx settings for the webhook paths (docs/nginx-fieldops.conf), its marked parts.

    The per-address limits are raised to ``rate``/``burst``/``conns``: here every notification comes from
    the sandbox on 127.0.0.1, one address standing for all of Google's and Microsoft's delivery addresses.
    Returns ('', '') where the file is absent.
    """
    if not os.path.exists(ADMIN_GUIDE_NGINX):
        return "", ""
    with open(ADMIN_GUIDE_NGINX) as handle:
        text = handle.read()

    def part(name):
        found = re.search(rf"# BEGIN fieldops webhooks \({name} context\)\n(.*?)\n\s*# END fieldops webhooks", text,
                          flags=re.S)
        if not found:
            raise SystemExit(f"{ADMIN_GUIDE_NGINX}: no '{name} context' part")
        return found.group(1)

    http = re.sub(r"rate=\d+r/s", f"rate={rate}", part("http"))
    server = re.sub(r"burst=\d+", f"burst={burst}", part("server"))
    server = re.sub(r"(limit_conn fieldops_webhook_conns) \d+;", rf"\1 {conns};", server)
    return http, server


class Scenario:
    """Starts and drives the run; the checks and the report read what it left (mixins beside it)."""

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
        self.procs["sandbox"], self.sandbox = product.start_sandbox(
            self.odoo, self.info_path, os.path.join(self.home, "sandbox.log"), "--no-seed")
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
            webhook_http, webhook_server = webhook_parts(self.args.webhook_rate, self.args.webhook_burst,
                                                         self.args.webhook_conns)
            if not webhook_server:
                say(f"{os.path.relpath(ADMIN_GUIDE_NGINX, ROOT)} not found: webhooks go through the plain proxy")
            handle.write(NGINX.format(home=self.home, tmp=tmp, port=self.port, port_a=self.port_a,
                                      port_b=self.port_b, webhook_http=webhook_http, webhook_server=webhook_server))
        nginx = tools.nginx()
        subprocess.run([nginx, "-t", "-p", self.home, "-c", conf, "-e", os.path.join(self.home, "nginx-error.log")],
                       check=True, capture_output=True)
        self.procs["nginx"] = subprocess.Popen(
            [nginx, "-p", self.home, "-c", conf, "-e", os.path.join(self.home, "nginx-error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_odoo(self, name):
        channels = f"root:{self.args.capacity},root.fieldops_calendar:{self.args.capacity}"
        runner = {"ODOO_QUEUE_JOB_CHANNELS": channels, "ODOO_QUEUE_JOB_SCHEME": "http",
                  "ODOO_QUEUE_JOB_HOST": "127.0.0.1", "ODOO_QUEUE_JOB_PORT": str(self.port)}
        env = odoo_env.process_env(FIELDOPS_PROBE_SERVER=name,
                                   **(runner if name == "B" else {"ODOO_QUEUE_JOB_CHANNELS": "root:0"}))
        self.procs[name] = product.start_odoo(  # in its own process group, so its prefork workers die with it
            self.odoo, self.configs[name], DB, os.path.join(self.home, f"odoo-{name}.log"), "--load=base,web,queue_job",
            env=env, command=[self.odoo.python, os.path.join(ROOT, "benchmarks", "odoo_probe.py"), self.probe],
            new_session=True)

    def wait_health(self, names=("A", "B")):
        for name in names:
            port = self.port_a if name == "A" else self.port_b
            try:
                product.wait_ready(f"http://127.0.0.1:{port}", self.procs.get(name), what=f"Odoo server {name}",
                                   log_path=os.path.join(self.home, f"odoo-{name}.log"))
            except product.NotReady as exc:
                sys.exit(str(exc))

    def stop(self):
        for name in ("A", "B", "nginx", "sandbox"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            try:
                proc.wait(timeout=product.STOP_TIMEOUT)
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

    def outstanding(self):
        """``(jobs still active, links owed, edits not pulled yet)``: all empty once the run has settled."""
        active = [j for j in self.job_rows() if j["state"] in ("pending", "enqueued", "started")]
        owed = sum(s.get("pending_push", 0) for s in self.link_states().values())
        return active, owed, self.edits_missing()

    def note_cron_run(self, active, owed, edits_due):
        shown = ", ".join(f"{j['uuid'][:8]} {j['method']} {j['state']}" for j in active[:4])
        self.note(f"requeue cron run: {len(active)} jobs active ({shown}), {owed} links owed, "
                  f"{len(edits_due)} edits not pulled yet")

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
            active, owed, edits_due = self.outstanding()
            if not active and not owed and not edits_due:
                break
            if time.monotonic() - last_cron > self.args.cron_every:
                self.trigger_requeue_cron()
                last_cron = time.monotonic()
                self.note_cron_run(active, owed, edits_due)
            time.sleep(0.5)
        self.t_end = time.time()
        self.note(f"run finished in {self.t_end - self.t0:.1f} s")
