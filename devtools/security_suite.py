"""Security suite: the running product attacked over real HTTP, then its database and logs scanned for secrets.

    python3 -m devtools.security_suite [--require-odoo] [--keep]

Needs Odoo 18 where the test command finds it (otherwise prints SKIPPED and exits 0, or 1 with
``--require-odoo``). Starts its own PostgreSQL cluster, the sandbox providers and a real Odoo
server (threaded, queue_job's runner on) with the addon and its demo data, in a temporary
directory; Odoo logs at info, the addon and the engine at debug, to files that are scanned.

First it makes the product hold real secrets, the way an administrator would: client secrets
entered in Settings, Google and Microsoft calendars connected through the OAuth code flow
(browser -> sandbox authorize -> the addon's callback) in two companies, jobs pushed, calendar
edits pulled through real webhooks, access tokens refreshed, Google channels renewed and Graph
subscriptions reauthorized and recreated. Then, printing one row per attempt
("what was tried -> outcome (expected)"):

1. webhooks: forged, replayed, cross-tenant, stopped-channel, malformed and oversized
   notifications, Graph validation-handshake abuse; each must be refused with a 4xx, recorded as
   rejected, and queue no work; genuine duplicates are acknowledged once and act once;
2. OAuth: tampered, forged, replayed (after success and after a failed exchange), another user's
   state, code without state, callback after logout and after the sign-in expired;
3. probing as company A's dispatcher and as company B's user (given export rights, B also the
   queue-job manager group, to be the strongest realistic attacker): every model of the addon,
   queue jobs, mail tracking values, messages and attachments (search_read, read across companies,
   write, unlink, export_data, /web/export/csv and xlsx, /web/content, /web/image, reports, mail
   routes), every public method of the addon through call_kw, the wizards with another company's
   records; a secret must never come back, not even encrypted; then (3b) as a visitor with no
   session: the addon's models, buttons, pages, exports, binary routes and OAuth callbacks;
4. leak scan: a plain pg_dump of the whole database (every table and column, large objects),
   the filestore and session store, the Odoo, install, sandbox and PostgreSQL logs, for every
   secret the sandbox issued or was handed (listed by its ``secrets`` control action), raw,
   URL-encoded, base64 (any alignment) and hex, and for the encryption key.

Exits non-zero on any failed row or leak; prints where a leak is (file / table, column, row id),
never the secret.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets as pysecrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import OrderedDict
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from devtools import odoo_env  # noqa: E402
from devtools.pgcluster import PgCluster, free_port  # noqa: E402

ADDON = "fieldops_calendar_sync"
DB = "fieldops_security"
HOOK = "/fieldops_calendar_sync/webhook"
CALLBACK = "/fieldops_calendar_sync/oauth/%s/callback"
FERNET_MARK = "gAAAAA"  # every Fernet token starts with it (version byte 0x80 + timestamp)
LOG_HANDLERS = ["odoo.addons.fieldops_calendar_sync:DEBUG", "calsync:DEBUG"]

ADDON_MODELS = {
    "fieldops.calendar.connection": "fieldops_calendar_connection",
    "fieldops.calendar.link": "fieldops_calendar_link",
    "fieldops.calendar.channel": "fieldops_calendar_channel",
    "fieldops.calendar.notification": "fieldops_calendar_notification",
    "fieldops.calendar.conflict": "fieldops_calendar_conflict",
    "fieldops.calendar.conflict.line": "fieldops_calendar_conflict_line",
    "fieldops.calendar.oauth.session": "fieldops_calendar_oauth_session",
    "fieldops.calendar.quota.use": "fieldops_calendar_quota_use",
    "fieldops.calendar.sync.history": "fieldops_calendar_sync_history",
    "fieldops.calendar.sync.run": "fieldops_calendar_sync_run",
}
WIZARDS = ["fieldops.calendar.conflict.review", "fieldops.calendar.conflict.review.line",
           "fieldops.calendar.sync.preview", "fieldops.calendar.sync.preview.line"]
SECRET_FIELDS = {
    "fieldops.calendar.connection": ["token_encrypted", "sync_cursor"],
    "fieldops.calendar.channel": ["token_hash"],
    "fieldops.calendar.oauth.session": ["payload_encrypted"],
}
WRITE_PROBE = {
    "fieldops.calendar.connection": {"name": "pwned"},
    "fieldops.calendar.link": {"state": "error"},
    "fieldops.calendar.channel": {"state": "stopped"},
    "fieldops.calendar.notification": {"status": "processed"},
    "fieldops.calendar.conflict": {"state": "dismissed"},
    "fieldops.calendar.conflict.line": {"job_value": "pwned"},
    "fieldops.calendar.oauth.session": {"nonce": "pwned"},
    "fieldops.calendar.quota.use": {"units": 0},
    "fieldops.calendar.sync.history": {"changes": "pwned"},
    "fieldops.calendar.sync.run": {"outcome": "error"},
    "queue.job": {"state": "done"},
    "mail.message": {"body": "pwned"},
    "mail.tracking.value": {"old_value_char": "pwned"},
    "ir.attachment": {"name": "pwned"},
}
# buttons a dispatcher sees but may not use: configuring a calendar is the managers' job
MANAGER_BUTTONS = ["action_connect", "action_reconnect", "action_disconnect", "action_disconnect_remove_events",
                   "action_sync_now", "action_full_resync", "action_confirm_held_pull", "action_discard_held_pull",
                   "action_start_first_sync"]
PRIVATE_METHODS = ["_reencrypt_all_secrets", "_load_token", "_make_client", "_demo_connect_sandbox", "_job_push",
                   "_oauth_finish"]


def say(msg):
    print(f"[security] {msg}", flush=True)


# -- results -------------------------------------------------------------------------------------------------
class Results:
    def __init__(self):
        self.rows = []
        self.categories = OrderedDict()

    def section(self, category, title):
        self.current = category
        self.categories.setdefault(category, [0, 0])
        print(f"\n== {title} ==", flush=True)

    def add(self, tried, outcome, expected, ok):
        counts = self.categories.setdefault(self.current, [0, 0])
        counts[0 if ok else 1] += 1
        self.rows.append((self.current, tried, outcome, expected, ok))
        print(f"  [{'ok' if ok else 'FAIL'}] {tried} → {outcome} (expected: {expected})", flush=True)
        return ok

    @property
    def failed(self):
        return sum(f for _p, f in self.categories.values())

    def summary(self):
        width = max([len(c) for c in self.categories] + [8])
        lines = [f"  {'category':<{width}}  {'tried':>5}  {'passed':>6}  {'failed':>6}"]
        for category, (passed, failed) in self.categories.items():
            lines.append(f"  {category:<{width}}  {passed + failed:>5}  {passed:>6}  {failed:>6}")
        total_p = sum(p for p, _f in self.categories.values())
        lines.append(f"  {'total':<{width}}  {total_p + self.failed:>5}  {total_p:>6}  {self.failed:>6}")
        return "\n".join(lines)


# -- secrets and their encodings -------------------------------------------------------------------------------
def _b64_variants(raw: bytes) -> list[str]:
    """Base64 (standard and URL-safe) of ``raw`` inside any larger blob: the part that does not depend on
    the neighbouring bytes, for each of the three alignments."""
    out = []
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw + b"\0\0\0").decode()
            start = -(-shift * 8 // 6) + 1
            end = (shift + len(raw)) * 8 // 6 - 1
            if end - start >= 16:
                out.append(text[start:end])
    return out


class Needles:
    """Every form in which a secret could sit in a text or a binary: raw, URL-encoded, base64, hex."""

    def __init__(self, secrets_by_value: dict[str, str]):
        self.kinds = secrets_by_value
        self.text = []  # (needle, secret index, form)
        self.values = list(secrets_by_value)
        for index, value in enumerate(self.values):
            forms = {}  # needle -> form; the plainest name wins where two forms coincide
            for needle, form in ((value, "raw"), (urllib.parse.quote(value, safe=""), "url-encoded"),
                                 (urllib.parse.quote_plus(value), "url-encoded"), (value.encode().hex(), "hex"),
                                 (value.encode().hex().upper(), "hex"),
                                 *((variant, "base64") for variant in _b64_variants(value.encode()))):
                forms.setdefault(needle, form)
            for needle, form in forms.items():
                self.text.append((needle, index, form))
        self.bytes_ = [(n.encode(), i, f) for n, i, f in self.text]

    def find_text(self, text: str):
        return [(self.kinds[self.values[i]], form) for needle, i, form in self.text if needle in text]

    def find_bytes(self, data: bytes):
        return [(self.kinds[self.values[i]], form) for needle, i, form in self.bytes_ if needle in data]


# -- HTTP clients --------------------------------------------------------------------------------------------
@dataclass
class Answer:
    ok: bool
    result: object = None
    error: str = ""
    message: str = ""
    text: str = ""

    def brief(self):
        if self.ok:
            if isinstance(self.result, list):
                return f"ok, {len(self.result)} row(s)"
            return "ok"
        name = self.error.rsplit(".", 1)[-1] or "error"
        return f"{name}: {self.message.splitlines()[0][:90] if self.message else ''}".rstrip(": ")


class Client:
    def __init__(self, base, label):
        import requests

        self.base, self.label = base, label
        self.http = requests.Session()
        self.http.trust_env = False
        self.uid = None
        self.context = {}
        self.seen = []  # every response text, scanned for secrets later

    def _remember(self, text):
        self.seen.append(text)
        return text

    def rpc(self, path, params):
        answer = self.http.post(self.base + path, json={"jsonrpc": "2.0", "method": "call", "id": 1,
                                                        "params": params}, timeout=120)
        self._remember(answer.text)
        try:
            return answer, answer.json()
        except ValueError:
            return answer, {"error": {"data": {"name": f"HTTP {answer.status_code}", "message": answer.text[:200]}}}

    def login(self, login, password, company_ids):
        _answer, body = self.rpc("/web/session/authenticate", {"db": DB, "login": login, "password": password})
        if not body.get("result", {}).get("uid"):
            raise RuntimeError(f"cannot sign in as {login}: {body.get('error')}")
        self.uid = body["result"]["uid"]
        self.context = {"allowed_company_ids": company_ids}
        return self

    def call(self, model, method, args=(), kwargs=None, context=None):
        kwargs = dict(kwargs or {})
        kwargs["context"] = {**self.context, **(context or {})}
        _http, body = self.rpc(f"/web/dataset/call_kw/{model}/{method}",
                               {"model": model, "method": method, "args": list(args), "kwargs": kwargs})
        raw = json.dumps(body)
        if "error" in body:
            data = body["error"].get("data") or {}
            return Answer(False, error=data.get("name", "error"), message=data.get("message", ""), text=raw)
        return Answer(True, body.get("result"), text=raw)

    def get(self, path, **kwargs):
        answer = self.http.get(self.base + path, timeout=120, allow_redirects=False, **kwargs)
        self._remember(answer.text if "text" in answer.headers.get("Content-Type", "") or
                       "json" in answer.headers.get("Content-Type", "") else answer.content.decode("latin-1"))
        return answer

    def post(self, path, **kwargs):
        answer = self.http.post(self.base + path, timeout=120, allow_redirects=False, **kwargs)
        self._remember(answer.content.decode("latin-1"))
        return answer

    def csrf(self):
        page = self.http.get(self.base + "/odoo", timeout=60).text
        found = re.search(r'csrf_token\W+([0-9a-f]{40}o\d*)', page)
        if not found:
            raise RuntimeError(f"no CSRF token in the web client page for {self.label}")
        return found.group(1)


# -- the product under attack ----------------------------------------------------------------------------------
class Product:
    def __init__(self, odoo, home):
        self.odoo, self.home = odoo, home
        self.procs = []
        self.cluster = PgCluster(os.path.join(home, "pg"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.odoo_log = os.path.join(home, "odoo.log")
        self.install_log = os.path.join(home, "odoo-install.log")
        self.sandbox_log = os.path.join(home, "sandbox.log")
        self.data_dir = os.path.join(home, "data")

    def start(self):
        oca = odoo_env.prepare(self.odoo, log=say)
        self.cluster.start()
        say(f"private PostgreSQL on 127.0.0.1:{self.cluster.port}")
        self.info_path = os.path.join(home_path(self.home, "sandbox.json"))
        log = open(self.sandbox_log, "w")  # noqa: SIM115 (lives as long as the run)
        self.procs.append(subprocess.Popen(
            [self.odoo.python, "-m", "calsync.sandbox", "--allow-http-loopback", "--info-file", self.info_path],
            stdout=log, stderr=subprocess.STDOUT, env=odoo_env.process_env()))
        deadline = time.monotonic() + 60
        while not os.path.exists(self.info_path):
            if time.monotonic() > deadline or self.procs[-1].poll() is not None:
                raise RuntimeError("the sandbox did not start (see sandbox.log)")
            time.sleep(0.1)
        with open(self.info_path) as handle:
            self.sandbox = json.load(handle)
        self.key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        self.config = os.path.join(self.home, "odoo.conf")
        odoo_env.write_config(self.config, self.odoo, oca, self.cluster, data_dir=self.data_dir,
                              http_port=self.port, extra={
                                  "fieldops_calendar_sync_key": self.key,
                                  "fieldops_calendar_sync_sandbox": self.info_path,
                                  "dbfilter": f"^{DB}$", "workers": "0", "max_cron_threads": "1",
                                  "limit_time_real": "600", "proxy_mode": "False"})
        logging_args = ["--log-level", "info", *[f"--log-handler={h}" for h in LOG_HANDLERS]]
        say("creating the database: Odoo, fieldservice, queue_job, the addon with demo data "
            "(the demo calendars connect to the sandbox)")
        started = time.monotonic()
        subprocess.run([*self.odoo.odoo_bin, "-c", self.config, "-d", DB, "-i", ADDON, "--stop-after-init",
                        "--logfile", self.install_log, *logging_args], check=True, env=odoo_env.process_env())
        say(f"  installed in {time.monotonic() - started:.0f} s")
        self.sql(f"""
            INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date)
            VALUES ('fieldops_calendar_sync.public_base_url', '{self.base}', 1, 1, now(), now()),
                   ('web.base.url', '{self.base}', 1, 1, now(), now()),
                   ('web.base.url.freeze', 'True', 1, 1, now(), now())
            ON CONFLICT (key) DO UPDATE SET value = excluded.value""")
        self.procs.append(subprocess.Popen(
            [*self.odoo.odoo_bin, "-c", self.config, "-d", DB, "--logfile", self.odoo_log, *logging_args],
            env=odoo_env.process_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        import requests

        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{self.base}/web/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.procs[-1].poll() is not None:
                raise RuntimeError(f"the Odoo server did not start (see {self.odoo_log})")
            time.sleep(0.3)
        say(f"Odoo at {self.base} (log {self.odoo_log})")

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.cluster.stop()

    # -- helpers -----------------------------------------------------------------------------------------------
    def sql(self, query):
        return self.cluster.psql(query, db=DB)

    def rows(self, query):
        out = self.sql(query)
        return [line.split("|") for line in out.splitlines()] if out else []

    def scalar(self, query):
        return self.sql(query).strip()

    def control(self, provider, action, payload=None):
        import requests

        answer = requests.post(f"{self.sandbox[provider]['base_url']}/_sandbox/{action}", json=payload or {},
                               verify=self.sandbox["ca_cert"], timeout=30)
        answer.raise_for_status()
        return answer.json()

    def wait_quiet(self, timeout=180):
        """No queue job waiting or running, retries due within two minutes (throttling, a busy lock) included."""
        deadline = time.monotonic() + timeout
        calm = 0
        while time.monotonic() < deadline:
            busy = int(self.scalar("SELECT count(*) FROM queue_job WHERE state IN ('pending', 'enqueued', 'started') "
                                   "AND (eta IS NULL OR eta < (now() at time zone 'utc') + interval '2 minutes')"))
            calm = calm + 1 if not busy else 0
            if calm >= 3:
                return True
            time.sleep(0.3)
        return False

    def max_id(self, table):
        return int(self.scalar(f"SELECT coalesce(max(id), 0) FROM {table}"))

    def fingerprint(self):
        """What an attacker must not change, by part: connections (tokens, cursors), channels, links,
        conflicts, credentials in the parameters, queued work, sign-ins in progress, messages, attachments."""
        rows = self.rows("""
            SELECT part, md5(string_agg(x, ',' ORDER BY x)) FROM (
              SELECT 'connections', concat_ws('/', id, name, state, md5(coalesce(token_encrypted, '')), sync_cursor,
                                               responsible_user_id, active, company_id)
                FROM fieldops_calendar_connection
              UNION ALL SELECT 'channels', concat_ws('/', id, state, token_hash, external_id, expires_at)
                FROM fieldops_calendar_channel
              UNION ALL SELECT 'links', concat_ws('/', id, state, event_id, job_id) FROM fieldops_calendar_link
              UNION ALL SELECT 'conflicts', concat_ws('/', id, state) FROM fieldops_calendar_conflict
              UNION ALL SELECT 'conflict lines', concat_ws('/', id, job_value) FROM fieldops_calendar_conflict_line
              UNION ALL SELECT 'parameters', concat_ws('/', key, value) FROM ir_config_parameter
              UNION ALL SELECT 'queue jobs', id::text FROM queue_job
              UNION ALL SELECT 'sign-ins', concat_ws('/', id, nonce) FROM fieldops_calendar_oauth_session
              UNION ALL SELECT 'messages', concat_ws('/', id, md5(coalesce(body, ''))) FROM mail_message
              UNION ALL SELECT 'attachments', concat_ws('/', id, name) FROM ir_attachment
              UNION ALL SELECT 'jobs', concat_ws('/', id, scheduled_date_start, md5(coalesce(description, '')))
                FROM fsm_order
            ) t(part, x) GROUP BY part""")
        return dict(rows)


def changed(before, after):
    """The parts of the fingerprint that differ, in words."""
    parts = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return f", CHANGED: {', '.join(parts)}" if parts else ""


def home_path(home, name):
    return os.path.join(home, name)


# -- setting the product up with real secrets -----------------------------------------------------------------
class World:
    """Ids and credentials the attacks need, gathered while setting up."""

    def __init__(self, product):
        self.p = product
        self.company_a = 1
        self.company_b = int(product.scalar(
            f"SELECT res_id FROM ir_model_data WHERE module = '{ADDON}' AND name = 'company_northwind'"))
        self.browser = None

    def ref(self, module, name):
        return int(self.p.scalar(f"SELECT res_id FROM ir_model_data WHERE module = '{module}' AND name = '{name}'"))


def sign_in_at_sandbox(world, client, connection_id, company, account, provider):
    """Start Connect as ``client`` and sign in on the sandbox's page as ``account``: the callback URL to follow."""
    answer = client.call("fieldops.calendar.connection", "action_connect", [[connection_id]],
                         context={"allowed_company_ids": [company]})
    if not answer.ok:
        return None, answer
    url = answer.result["url"]  # the sandbox's sign-in page, plain http
    page = world.browser.get(url, verify=world.p.sandbox["ca_cert"], timeout=30)
    consent = world.browser.post(page.url, data={"account": account, "decision": "allow"}, allow_redirects=False,
                                 timeout=30)
    location = consent.headers.get("Location", "")
    if consent.status_code != 302 or CALLBACK % provider not in location:
        raise RuntimeError(f"the sandbox did not redirect to the callback: {consent.status_code}")
    return location, answer


def callback_path(location, **changes):
    """The callback's path and query, with parameters changed (None removes one)."""
    split = urllib.parse.urlsplit(location)
    params = dict(urllib.parse.parse_qsl(split.query))
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return f"{split.path}?{urllib.parse.urlencode(params)}"


def setup(product, results):
    import requests

    world = World(product)
    world.browser = requests.Session()
    world.browser.trust_env = False
    A, B = world.company_a, world.company_b
    admin = Client(product.base, "admin").login("admin", "admin", [A, B])
    world.admin = admin
    results.section("setup", "Making the product hold real secrets (as an administrator would)")

    def check(what, ok, detail=""):
        results.add(what, detail or ("done" if ok else "did not happen"), "done", bool(ok))
        if not ok:
            raise RuntimeError(f"setup failed: {what}")

    # client secrets entered in Settings (stored encrypted; sandbox mode still reads the sandbox's own file)
    settings = admin.call("res.config.settings", "create", [{
        "fieldops_google_client_secret": product.sandbox["google"]["client_secret"],
        "fieldops_microsoft_client_secret": product.sandbox["microsoft"]["client_secret"]}])
    done = settings.ok and admin.call("res.config.settings", "execute", [[settings.result]]).ok
    check("client secrets of both providers entered in Settings", done, settings.brief())

    # the attackers get every right a tenant could grant them short of configuring calendars
    export_group = world.ref("base", "group_allow_export")
    queue_group = world.ref("queue_job", "group_queue_job_manager")
    world.dispatcher_id = world.ref(ADDON, "user_dispatcher")
    world.northwind_id = world.ref(ADDON, "user_northwind")
    ok = admin.call("res.users", "write", [[world.dispatcher_id], {"groups_id": [(4, export_group)]}]).ok and \
        admin.call("res.users", "write", [[world.northwind_id], {"groups_id": [(4, export_group),
                                                                               (4, queue_group)]}]).ok
    check("attackers: dispatcher (company A) and northwind (company B) may export; northwind manages queue jobs", ok)

    # the demo calendars connected at install; connect three more through the browser's code flow
    location_a = world.ref("fieldservice", "location_1")
    location_b = world.ref(ADDON, "location_northwind_depot")
    world.connections = {}
    plan = [("google", A, "sec-google-a@example.test", location_a),
            ("microsoft", A, "sec-outlook-a@example.test", location_a),
            ("microsoft", B, "sec-outlook-b@example.test", location_b)]
    for provider, company, account, location in plan:
        ctx = {"allowed_company_ids": [company]}
        team = admin.call("fsm.team", "create", [{"name": f"Security crew {account}", "company_id": company}],
                          context=ctx).result
        responsible = 2 if company == A else world.northwind_id
        conn = admin.call("fieldops.calendar.connection", "create", [{
            "name": f"Security {provider} {'A' if company == A else 'B'}", "provider": provider,
            "account_email": account, "team_ids": [(6, 0, [team])], "company_id": company,
            "responsible_user_id": responsible}], context=ctx).result
        location_url, _answer = sign_in_at_sandbox(world, admin, conn, company, account, provider)
        answer = admin.get(callback_path(location_url))
        state = product.scalar(f"SELECT state FROM fieldops_calendar_connection WHERE id = {conn}")
        check(f"connect {provider} calendar of company {'A' if company == A else 'B'} through the OAuth code flow",
              answer.status_code == 303 and state == "sandbox_connected", f"HTTP {answer.status_code}, {state}")
        # a new connection waits for its first-sync preview; the admin has seen it and starts syncing
        started = admin.call("fieldops.calendar.connection", "action_start_first_sync", [[conn]], context=ctx)
        check("first sync started after its preview", started.ok, started.brief())
        world.connections[(provider, company)] = (conn, account)
        jobs = admin.call("fsm.order", "create", [[{
            "location_id": location, "team_id": team, "company_id": company,
            "description": f"<p>Security job {n}</p>",
            "scheduled_date_start": f"2026-12-{10 + n:02d} 09:00:00",
            "scheduled_date_end": f"2026-12-{10 + n:02d} 10:00:00"} for n in range(3)]], context=ctx)
        check(f"3 jobs created for that calendar ({account})", jobs.ok, jobs.brief())
    check("queued pushes, pulls and channel openings ran", product.wait_quiet())
    missing = product.scalar("""
        SELECT count(*) FROM fieldops_calendar_connection c WHERE c.state = 'sandbox_connected'
           AND NOT EXISTS (SELECT 1 FROM fieldops_calendar_channel h WHERE h.connection_id = c.id
                                                                       AND h.state = 'active')""")
    check("every connected calendar has an active push channel / subscription", missing == "0",
          f"{missing} without")
    in_sync = product.scalar("SELECT count(*) FROM fieldops_calendar_link WHERE state = 'in_sync'")
    check("jobs pushed (links in sync)", int(in_sync) >= 9, f"{in_sync} links in sync")

    # calendar edits reach Odoo through real webhooks and pulls
    before = product.max_id("fieldops_calendar_notification")
    for (provider, _company), (_conn, account) in world.connections.items():
        events = product.control(provider, "live_events", {"account": account})["events"]
        if events:
            product.control(provider, "person_edit", {"id": events[0]["id"],
                                                      "fields": {"description": "Gate code 4412"}})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and int(product.scalar(
            f"SELECT count(*) FROM fieldops_calendar_notification WHERE id > {before} "
            "AND status = 'accepted'")) < 3:
        time.sleep(0.2)
    product.wait_quiet()
    accepted = product.scalar(f"SELECT count(*) FROM fieldops_calendar_notification WHERE id > {before} "
                              "AND status = 'accepted'")
    check("calendar edits delivered as real webhooks and pulled", int(accepted) >= 3, f"{accepted} accepted")

    # access tokens expire: the next sync refreshes them (new tokens stored encrypted)
    for provider in ("google", "microsoft"):
        product.control(provider, "expire_access_tokens")
    ids_by_company = {}
    for company in (A, B):
        ids_by_company[company] = [int(r[0]) for r in product.rows(
            f"SELECT id FROM fieldops_calendar_connection WHERE company_id = {company} "
            "AND state = 'sandbox_connected'")]
        admin.call("fieldops.calendar.connection", "action_sync_now", [ids_by_company[company]],
                   context={"allowed_company_ids": [company]})
    product.wait_quiet()
    check("access tokens expired at the providers and refreshed by the next sync",
          product.scalar("SELECT count(*) FROM fieldops_calendar_connection WHERE state = 'sandbox_connected'")
          == str(sum(len(v) for v in ids_by_company.values())))

    # channel renewal: Google by a new overlapping channel (old one stopped), Graph in place and recreated
    world.google_channels_before = {c["id"]: c for c in product.control("google", "webhooks")["webhooks"]}
    product.sql("UPDATE fieldops_calendar_channel SET expires_at = (now() at time zone 'utc') + interval '1 hour' "
                "WHERE provider = 'google' AND state = 'active'")
    cron = world.ref(ADDON, "cron_keep_channels_alive")
    admin.call("ir.cron", "method_direct_trigger", [[cron]])
    subs = product.control("microsoft", "webhooks")["webhooks"]
    for n, sub in enumerate(subs):
        product.control("microsoft", "send_lifecycle", {"subscription_id": sub["id"],
                                                   "event": "reauthorizationRequired" if n % 2 else
                                                   "subscriptionRemoved"})
    time.sleep(1)
    product.wait_quiet()
    stopped = product.scalar("SELECT count(*) FROM fieldops_calendar_channel WHERE provider = 'google' "
                             "AND state = 'stopped'")
    recreated = product.scalar("SELECT count(*) FROM fieldops_calendar_channel WHERE provider = 'microsoft' "
                               "AND state = 'stopped'")
    check("Google channels renewed (new channel, old one stopped), Graph subscriptions reauthorized / recreated",
          int(stopped) >= 1 and int(recreated) >= 1, f"{stopped} Google and {recreated} Graph rows stopped")

    # what the attacks need
    issued = product.control("google", "secrets")["secrets"] + product.control("microsoft", "secrets")["secrets"]
    kinds = sorted({item["kind"] for item in issued})
    check("the sandbox issued or received every kind of secret", len(kinds) >= 10,
          f"{len(issued)} secrets: " + ", ".join(kinds))
    world.dispatcher = Client(product.base, "dispatcher").login("dispatcher", "dispatcher", [A])
    world.northwind = Client(product.base, "northwind").login("northwind", "northwind", [B])
    # the addon's crons stay off during the attacks, so that nothing but an attack changes the data
    product.sql("UPDATE ir_cron SET active = false WHERE id IN "
                f"(SELECT res_id FROM ir_model_data WHERE module = '{ADDON}' AND model = 'ir.cron')")
    return world


# -- 1. webhooks -------------------------------------------------------------------------------------------------
def attack_webhooks(product, world, results):
    import requests

    results.section("webhooks", "1. Webhooks: forged, replayed, cross-tenant, malformed")
    A, B = world.company_a, world.company_b
    anonymous = requests.Session()
    anonymous.trust_env = False

    google = {c["id"]: c for c in product.control("google", "webhooks")["webhooks"]}
    rows = product.rows("SELECT external_id, company_id, state FROM fieldops_calendar_channel "
                        "WHERE provider = 'google'")
    active = {r[0]: int(r[1]) for r in rows if r[2] == "active" and r[0] in google}
    gA = google[next(cid for cid, comp in active.items() if comp == A)]
    gB = google[next(cid for cid, comp in active.items() if comp == B)]
    stopped_ids = [r[0] for r in rows if r[2] == "stopped" and r[0] in world.google_channels_before]
    subs = {s["id"]: s for s in product.control("microsoft", "webhooks")["webhooks"]}
    rows = product.rows("SELECT external_id, company_id FROM fieldops_calendar_channel "
                        "WHERE provider = 'microsoft' AND state = 'active'")
    ms_active = {r[0]: int(r[1]) for r in rows if r[0] in subs}
    mA = subs[next(sid for sid, comp in ms_active.items() if comp == A)]
    mB = subs[next(sid for sid, comp in ms_active.items() if comp == B)]

    def google_headers(channel, number, **override):
        headers = {"X-Goog-Channel-ID": channel["id"], "X-Goog-Resource-ID": channel["resourceId"],
                   "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": str(number),
                   "X-Goog-Resource-URI": channel["uri"], "X-Goog-Channel-Token": channel["token"]}
        headers.update(override)
        return {k: v for k, v in headers.items() if v is not None}

    def graph_item(sub, client_state=None, etag=None, change="updated"):
        event_id = "AAMk" + pysecrets.token_urlsafe(12)
        return {"subscriptionId": sub["id"], "clientState": sub["clientState"] if client_state is None
                else client_state, "changeType": change, "tenantId": "sandbox",
                "subscriptionExpirationDateTime": sub["expirationDateTime"],
                "resource": f"Users/x/Events/{event_id}",
                "resourceData": {"@odata.etag": etag or f'W/"{pysecrets.token_hex(8)}"', "id": event_id}}

    def attempt(what, send, expected_status, expect_rows, max_jobs=0):
        """Send; then check the answer, the inbox rows it made and the queue jobs it made."""
        inbox, jobs = product.max_id("fieldops_calendar_notification"), product.max_id("queue_job")
        answer = send()
        time.sleep(0.05)
        made = product.rows(f"SELECT status, coalesce(reason, ''), company_id FROM fieldops_calendar_notification "
                            f"WHERE id > {inbox} ORDER BY id")
        new_jobs = int(product.scalar(f"SELECT count(*) FROM queue_job WHERE id > {jobs}"))
        statuses = [r[0] for r in made]
        reasons = "; ".join(sorted({r[1] for r in made if r[1]}))
        ok = answer.status_code in (expected_status if isinstance(expected_status, tuple) else (expected_status,))
        ok = ok and sorted(statuses) == sorted(expect_rows) and new_jobs <= max_jobs
        ok = ok and all(r[1] for r in made if r[0] == "rejected")  # a rejection says why
        if "Traceback" in answer.text:
            ok = False
        outcome = f"HTTP {answer.status_code}, inbox {statuses or 'nothing'}" + \
            (f" ({reasons})" if reasons else "") + f", {new_jobs} job(s) queued"
        expected = f"HTTP {expected_status}, inbox {expect_rows or 'nothing'}, " + \
            ("at most one pull" if max_jobs else "no job")
        results.add(what, outcome, expected, ok)
        return made

    url_g = product.base + HOOK + "/google"
    number = 10 ** 7 + pysecrets.randbelow(10 ** 6)

    def post_g(headers, data=b""):
        return lambda: anonymous.post(url_g, headers=headers, data=data, timeout=30)

    attempt("Google: genuine notification (company A channel, its token)",
            post_g(google_headers(gA, number)), 200, ["accepted"], max_jobs=1)
    attempt("Google: the same message number again (provider retry / replay)",
            post_g(google_headers(gA, number)), 200, ["duplicate"])
    attempt("Google: unknown channel id", post_g(google_headers(gA, number + 1, **{
        "X-Goog-Channel-ID": "forged-" + pysecrets.token_hex(8)})), 404, ["rejected"])
    attempt("Google: wrong channel token", post_g(google_headers(gA, number + 2, **{
        "X-Goog-Channel-Token": pysecrets.token_urlsafe(32)})), 403, ["rejected"])
    attempt("Google: no channel token", post_g(google_headers(gA, number + 3, **{
        "X-Goog-Channel-Token": None})), 403, ["rejected"])
    attempt("Google: wrong resource id", post_g(google_headers(gA, number + 4, **{
        "X-Goog-Resource-ID": pysecrets.token_urlsafe(18)})), 403, ["rejected"])
    attempt("Google cross-tenant: company A channel id with company B's token",
            post_g(google_headers(gA, number + 5, **{"X-Goog-Channel-Token": gB["token"]})), 403, ["rejected"])
    attempt("Google cross-tenant: company A channel id with B's resource id and token",
            post_g(google_headers(gA, number + 6, **{"X-Goog-Channel-Token": gB["token"],
                                                       "X-Goog-Resource-ID": gB["resourceId"]})),
            403, ["rejected"])
    attempt("Google cross-tenant: company B channel id with company A's token and resource id",
            post_g(google_headers(gB, number + 7, **{"X-Goog-Channel-Token": gA["token"],
                                                       "X-Goog-Resource-ID": gA["resourceId"]})),
            403, ["rejected"])
    if stopped_ids:
        old = world.google_channels_before[stopped_ids[0]]
        attempt("Google: a renewed-away (stopped) channel with its real token",
                post_g(google_headers(old, number + 8)), 403, ["rejected"])
    attempt("Google: unknown resource state", post_g(google_headers(gA, number + 9, **{
        "X-Goog-Resource-State": "pwned"})), (403, 404), ["rejected"])
    attempt("Google: SQL in the message number", post_g(google_headers(gA, "1 OR 1=1")), (403, 404), ["rejected"])
    attempt("Google: 10 KB channel id", post_g(google_headers(gA, number + 10, **{
        "X-Goog-Channel-ID": "x" * 10000})), (400, 403, 404, 431), ["rejected"])
    attempt("Google: 300 KB body", post_g(google_headers(gA, number + 11), b"x" * (300 * 1024)), 413, [])
    results.add("Google: GET instead of POST", f"HTTP {anonymous.get(url_g, timeout=30).status_code}", "HTTP 405",
                anonymous.get(url_g, timeout=30).status_code == 405)

    url_m = product.base + HOOK + "/microsoft"
    url_l = product.base + HOOK + "/microsoft/lifecycle"

    def post_m(body, url=url_m, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return lambda: anonymous.post(url, data=data, headers={"Content-Type": content_type}, timeout=30)

    genuine = graph_item(mA)
    attempt("Graph: genuine notification (company A subscription, its clientState)",
            post_m({"value": [genuine]}), 202, ["accepted"], max_jobs=1)
    attempt("Graph: the same notification again (Graph retry / replay)",
            post_m({"value": [genuine]}), 202, ["duplicate"])
    attempt("Graph: wrong clientState", post_m({"value": [graph_item(mA, pysecrets.token_urlsafe(32))]}), 403,
            ["rejected"])
    attempt("Graph: no clientState", post_m({"value": [dict(graph_item(mA), clientState=None)]}), 403,
            ["rejected"])
    attempt("Graph: unknown subscription id", post_m({"value": [dict(graph_item(mA),
                                                                    subscriptionId=pysecrets.token_hex(16))]}),
            403, ["rejected"])
    attempt("Graph cross-tenant: company A subscription with company B's clientState",
            post_m({"value": [graph_item(mA, mB["clientState"])]}), 403, ["rejected"])
    attempt("Graph: a batch of one genuine item and one forged (B's clientState on A's subscription)",
            post_m({"value": [graph_item(mA), graph_item(mA, mB["clientState"])]}), 202,
            ["accepted", "rejected"], max_jobs=1)
    attempt("Graph: body that is not JSON", post_m(b"{not json"), 400, ["rejected"])
    attempt("Graph: JSON sent as text/plain", post_m({"value": [graph_item(mA)]}, content_type="text/plain"), 400,
            ["rejected"])
    attempt("Graph: empty 'value'", post_m({"value": []}), 400, ["rejected"])
    attempt("Graph: 'value' is not a list", post_m({"value": "x"}), 400, ["rejected"])
    attempt("Graph: 300 KB body", post_m(b'{"value": ["' + b"x" * (300 * 1024) + b'"]}'), 413, [])
    attempt("Graph lifecycle: forged reauthorizationRequired (wrong clientState)",
            post_m({"value": [dict(graph_item(mA, pysecrets.token_urlsafe(32)),
                                   lifecycleEvent="reauthorizationRequired")]}, url=url_l), 403, ["rejected"])
    attempt("Graph lifecycle cross-tenant: subscriptionRemoved on A's subscription with B's clientState",
            post_m({"value": [dict(graph_item(mA, mB["clientState"]), lifecycleEvent="subscriptionRemoved")]},
                   url=url_l), 403, ["rejected"])

    # the validation handshake echoes a token: only while one of our subscriptions is being created
    pending = product.scalar("SELECT count(*) FROM fieldops_calendar_channel WHERE provider = 'microsoft' "
                             "AND state = 'pending'")
    for label, url in (("notification", url_m), ("lifecycle", url_l)):
        payload = "<script>alert(document.cookie)</script>"
        answer = anonymous.post(url + "?" + urllib.parse.urlencode({"validationToken": payload}), data=b"",
                                headers={"Content-Type": "text/plain"}, timeout=30)
        echoed = payload in answer.text
        ok = not echoed and 400 <= answer.status_code < 500
        results.add(f"Graph {label} URL: validationToken with HTML while no subscription is being created "
                    f"({pending} pending)",
                    f"HTTP {answer.status_code}, {'echoed' if echoed else 'not echoed'}, "
                    f"Content-Type {answer.headers.get('Content-Type')}, "
                    f"nosniff {answer.headers.get('X-Content-Type-Options') == 'nosniff'}",
                    "4xx, not echoed", ok)
    answer = anonymous.post(url_m + "?validationToken=" + "A" * 2000, data=b"", timeout=30)
    results.add("Graph: 2,000-character validationToken", f"HTTP {answer.status_code}, "
                f"{'echoed' if 'A' * 2000 in answer.text else 'not echoed'}", "not echoed",
                "A" * 2000 not in answer.text and answer.status_code != 200)
    product.wait_quiet()


# -- 2. OAuth ------------------------------------------------------------------------------------------------------
def attack_oauth(product, world, results):
    results.section("oauth", "2. OAuth sign-in: state tampering and replay")
    A, B = world.company_a, world.company_b
    admin = world.admin
    ctx = {"allowed_company_ids": [A]}
    targets = {}
    for provider in ("google", "microsoft"):
        targets[provider] = admin.call("fieldops.calendar.connection", "create", [{
            "name": f"OAuth target {provider}", "provider": provider, "company_id": A,
            "account_email": f"oauth-{provider}@example.test", "responsible_user_id": 2}], context=ctx).result

    def snapshot(conn):
        return product.scalar(f"SELECT concat_ws('/', state, md5(coalesce(token_encrypted, '')), account_email) "
                              f"FROM fieldops_calendar_connection WHERE id = {conn}")

    def fresh(provider="google", client=admin):
        location, _answer = sign_in_at_sandbox(world, client, targets[provider], A,
                                               f"oauth-{provider}@example.test", provider)
        return location

    def refused(what, client, path, conn, expect=400):
        before = snapshot(conn)
        answer = client.get(path)
        after = snapshot(conn)
        changed = before != after
        ok = answer.status_code == expect and not changed and "Traceback" not in answer.text
        text = re.sub(r"<[^>]+>", " ", answer.text)
        hint = ""
        for phrase in ("already used", "not issued to you", "malformed", "took too long", "expired", "refused",
                       "failed", "another kind"):
            if phrase in text:
                hint = f" ('{phrase}')"
                break
        where = answer.headers.get("Location", "")
        outcome = f"HTTP {answer.status_code}{hint}{' to ' + where.split('?')[0] if where else ''}, " + \
            ("connection CHANGED" if changed else "connection unchanged")
        results.add(what, outcome, f"HTTP {expect}, connection unchanged", ok)
        return answer

    g = targets["google"]
    location = fresh()
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"]
    nonce, issued, signature = state.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    refused("state with its signature altered", admin, callback_path(location, state=f"{nonce}.{issued}.{flipped}"), g)
    refused("state with its issue time altered", admin,
            callback_path(location, state=f"{nonce}.{int(issued) + 1}.{signature}"), g)
    other = fresh()
    other_nonce = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(other).query))["state"].split(".")[0]
    refused("state carrying another live sign-in's nonce", admin,
            callback_path(location, state=f"{other_nonce}.{issued}.{signature}"), g)
    refused("code without state", admin, callback_path(location, state=None), g)
    refused("made-up state", admin, callback_path(location, state="abc.123.def"), g)
    refused("Google state sent to the Microsoft callback", admin,
            callback_path(location).replace("/google/", "/microsoft/"), g)
    refused("another user (company B's northwind) presents company A's state and code", world.northwind,
            callback_path(location), g)

    # a failed exchange must spend the state too: a second try with a good code is a replay
    location = fresh()
    refused("state used with a wrong code (the exchange fails)", admin,
            callback_path(location, code="sbx-gcode-" + pysecrets.token_urlsafe(32)), g)
    refused("the same state replayed with the genuine code after that failure", admin, callback_path(location), g)

    # the successful sign-in, then its replay
    location = fresh()
    answer = admin.get(callback_path(location))
    results.add("genuine callback (control)", f"HTTP {answer.status_code}", "HTTP 303", answer.status_code == 303)
    refused("the same callback replayed after the successful sign-in", admin, callback_path(location), g)

    # the web session ended between Connect and the callback
    late = Client(product.base, "admin (logged out)").login("admin", "admin", [A, B])
    location = fresh(client=late)
    late.rpc("/web/session/destroy", {})
    refused("callback after the user logged out of Odoo", late, callback_path(location), g, expect=303)
    # the sign-in outlived its 15 minutes
    location = fresh()
    nonce = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"].split(".")[0]
    product.sql(f"UPDATE fieldops_calendar_oauth_session SET expires_at = (now() at time zone 'utc') "
                f"- interval '1 minute' WHERE nonce = '{nonce}'")
    refused("callback after the sign-in expired (15 minutes)", admin, callback_path(location), g)
    refused("the expired sign-in replayed", admin, callback_path(location), g)

    m = targets["microsoft"]
    location = fresh("microsoft")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"]
    refused("Microsoft: state with its signature altered", admin, callback_path(location, state=state[:-2] + "xx"), m)
    location = fresh("microsoft")
    refused("Microsoft: code without state", admin, callback_path(location, state=None), m)
    answer = admin.get(callback_path(location))
    results.add("Microsoft: genuine callback after a refused one (control)", f"HTTP {answer.status_code}",
                "HTTP 400 (the state was spent by the refused try) or 303",
                answer.status_code in (303, 400))
    location = fresh("microsoft")
    admin.get(callback_path(location))
    refused("Microsoft: callback replayed after the successful sign-in", admin, callback_path(location), m)

    # starting a sign-in on a calendar one may not configure
    for client, conn, what in ((world.northwind, g, "company B's user starts Connect on company A's calendar"),
                               (world.dispatcher, g, "company A's dispatcher starts Connect (managers only)")):
        answer = client.call("fieldops.calendar.connection", "action_connect", [[conn]])
        sessions = product.scalar(f"SELECT count(*) FROM fieldops_calendar_oauth_session WHERE user_id = {client.uid}")
        results.add(what, f"{answer.brief()}, {sessions} sign-in(s) started", "AccessError, none started",
                    not answer.ok and "AccessError" in answer.error and sessions == "0")
    product.wait_quiet()


# -- 3. probing as a dispatcher of A and as a user of B ---------------------------------------------------------------
def public_methods():
    """Public methods (callable through call_kw) the addon defines, by model, read from its source."""
    found = {}
    base = os.path.join(ROOT, ADDON)
    for folder in ("models", "wizard"):
        for name in sorted(os.listdir(os.path.join(base, folder))):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(base, folder, name)) as handle:
                source = handle.read()
            for block in re.split(r"^class ", source, flags=re.M)[1:]:
                model = re.search(r'_name = "([\w.]+)"', block) or re.search(r'_inherit = "([\w.]+)"', block)
                if not model:
                    continue
                methods = re.findall(r"^    def ([a-z]\w*)\(self", block, flags=re.M)
                methods += re.findall(r"^    ([a-z]\w*) = (?:action_\w+)$", block, flags=re.M)
                skip = {"create", "write", "unlink", "default_get", "init", "copy", "get_values", "set_values"}
                found.setdefault(model.group(1), set()).update(m for m in methods if m not in skip)
    return found


def leaks_in(needles, text):
    """The secrets found in an answer, and any ciphertext at all (a non-admin must not get even that)."""
    hits = needles.find_text(text)
    if FERNET_MARK in text:
        hits.append(("encrypted blob", "ciphertext"))
    return hits


def add_responses_row(results, needles, client, label):
    """One row for everything ``client`` received during its probe: no secret, no ciphertext in any of it."""
    found = leaks_in(needles, "\n".join(client.seen))
    results.add(f"every response {label} received ({len(client.seen)})",
                f"secrets found: {sorted({k for k, _f in found})}" if found else "no secret, no ciphertext",
                "no secret, no ciphertext", not found)


def served_nothing(answer):
    """A binary route gave nothing away: refused, empty, or Odoo's placeholder image (no ciphertext in it)."""
    return (answer.status_code != 200 or not answer.content or
            (answer.headers.get("Content-Type", "").startswith("image/") and
             FERNET_MARK not in answer.content.decode("latin-1")))


def probe_user(product, world, results, client, own_company, other_company, label):
    results.section(f"probe {label}", f"3. Probing as {label}")
    needles = world.needles

    def record(what, answer_text, outcome, expected, ok):
        found = leaks_in(needles, answer_text)
        if found:
            outcome += f"; LEAKS {sorted({k for k, _f in found})}"
        return results.add(what, outcome, expected, ok and not found)

    def refused(answer):
        return not answer.ok

    foreign, own = {}, {}
    for model, table in ADDON_MODELS.items():
        foreign[model] = [int(r[0]) for r in product.rows(f"SELECT id FROM {table} WHERE company_id = {other_company}")]
        own[model] = [int(r[0]) for r in product.rows(f"SELECT id FROM {table} WHERE company_id = {own_company}")]
    conn_ids_other = foreign["fieldops.calendar.connection"]
    conn_ids_own = own["fieldops.calendar.connection"]
    models_sql = ", ".join(f"'{m}'" for m in [*ADDON_MODELS, *WIZARDS])
    foreign["queue.job"] = [int(r[0]) for r in product.rows(
        f"SELECT id FROM queue_job WHERE company_id = {other_company} AND model_name IN ({models_sql})")]
    own["queue.job"] = [int(r[0]) for r in product.rows(
        f"SELECT id FROM queue_job WHERE company_id = {own_company} AND model_name IN ({models_sql})")]
    foreign["mail.message"] = [int(r[0]) for r in product.rows(
        "SELECT id FROM mail_message WHERE model = 'fieldops.calendar.connection' AND res_id IN "
        f"({','.join(map(str, conn_ids_other)) or 0})")]
    foreign["mail.tracking.value"] = [int(r[0]) for r in product.rows(
        "SELECT t.id FROM mail_tracking_value t JOIN mail_message m ON m.id = t.mail_message_id WHERE "
        f"m.model IN ({models_sql}) AND m.res_id IN ({','.join(map(str, conn_ids_other)) or 0})")]
    foreign["ir.attachment"] = [int(r[0]) for r in product.rows(
        f"SELECT id FROM ir_attachment WHERE res_model IN ({models_sql}) AND company_id = {other_company}")]
    extra_domains = {"queue.job": [("model_name", "in", [*ADDON_MODELS, *WIZARDS])],
                     "mail.message": [("model", "in", list(ADDON_MODELS))],
                     "mail.tracking.value": [],
                     "ir.attachment": [("res_model", "in", list(ADDON_MODELS))]}

    can_read = {}
    for model in [*ADDON_MODELS, "queue.job", "mail.message", "mail.tracking.value", "ir.attachment"]:
        fields_answer = client.call(model, "fields_get", [], {"attributes": ["type"]})
        visible = sorted(fields_answer.result) if fields_answer.ok else []
        secret = SECRET_FIELDS.get(model, [])
        shown = [f for f in secret if f in visible]
        if fields_answer.ok or secret:
            record(f"{model}: fields_get", fields_answer.text,
                   fields_answer.brief() + (f", secret fields listed: {shown}" if shown else ""),
                   "secret fields not listed", not shown)
        readable = [f for f in visible if fields_answer.result[f]["type"] not in ("binary",)] or ["id"]
        domain = extra_domains.get(model, [])
        answer = client.call(model, "search_read", [domain], {"fields": readable, "limit": 500})
        can_read[model] = answer.ok
        got = [row["id"] for row in answer.result] if answer.ok else []
        crossed = sorted(set(got) & set(foreign.get(model, [])))
        record(f"{model}: search_read of every visible field", answer.text,
               answer.brief() + (f", {len(crossed)} of the other company's rows" if crossed else ""),
               "own company's rows only, or refused", not crossed)
        if secret:
            answer = client.call(model, "search_read", [[]], {"fields": ["id", *secret]})
            record(f"{model}: search_read of the secret fields {secret}", answer.text, answer.brief(),
                   "refused", refused(answer))
            for field in secret:
                answer = client.call(model, "web_search_read", [[]], {"specification": {field: {}}})
                record(f"{model}: web_search_read of {field}", answer.text, answer.brief(), "refused", refused(answer))
                answer = client.call(model, "read_group", [[], [field], [field]])
                record(f"{model}: read_group by {field}", answer.text, answer.brief(), "refused", refused(answer))
                answer = client.call(model, "search_count", [[(field, "like", FERNET_MARK)]])
                record(f"{model}: search_count on {field} (guessing it piece by piece)", answer.text,
                       f"{answer.result}" if answer.ok else answer.brief(), "refused", refused(answer))
            if own.get(model):
                answer = client.call(model, "read", [own[model][:5], secret])
                record(f"{model}: read of the secret fields of own company's rows", answer.text, answer.brief(),
                       "refused", refused(answer))
        ids = foreign.get(model, [])[:20]
        if not ids:
            continue
        answer = client.call(model, "read", [ids, readable])
        record(f"{model}: read {len(ids)} row(s) of the other company by id", answer.text, answer.brief(),
               "refused", refused(answer) or not answer.result)
        answer = client.call(model, "search_count", [[("id", "in", ids)]])
        record(f"{model}: search_count of the other company's ids", answer.text,
               f"{answer.result}" if answer.ok else answer.brief(), "0 or refused",
               refused(answer) or answer.result == 0)
        before = product.fingerprint()
        answer = client.call(model, "write", [ids, WRITE_PROBE.get(model, {"display_name": "x"})])
        diff = changed(before, product.fingerprint())
        record(f"{model}: write to the other company's rows", answer.text, answer.brief() + diff,
               "refused, nothing changed", refused(answer) and not diff)
        answer = client.call(model, "unlink", [ids])
        diff = changed(before, product.fingerprint())
        record(f"{model}: unlink the other company's rows", answer.text, answer.brief() + diff,
               "refused, nothing changed", refused(answer) and not diff)
        answer = client.call(model, "export_data", [ids, ["id", *readable[:30]]])
        record(f"{model}: export_data of the other company's rows", answer.text, answer.brief(), "refused",
               refused(answer))

    # exports through the web client's routes, reports, binary content
    csrf = client.csrf()
    for model in ADDON_MODELS:
        fields_answer = client.call(model, "fields_get", [], {"attributes": ["type", "string"]})
        if not fields_answer.ok:
            continue
        names = [n for n, f in fields_answer.result.items() if f["type"] not in ("binary", "one2many", "many2many")]
        for ids, whose in ((foreign.get(model, [])[:20], "the other company's"), (own.get(model, [])[:20], "own")):
            if not ids:
                continue
            for kind in ("csv", "xlsx"):
                data = {"model": model, "fields": [{"name": n, "label": n, "type": fields_answer.result[n]["type"]}
                                                   for n in names], "ids": ids, "domain": [], "import_compat": False}
                answer = client.post(f"/web/export/{kind}", data={"data": json.dumps(data), "csrf_token": csrf})
                if whose == "own" and can_read.get(model):
                    ok = answer.status_code == 200
                    expected = "exported, no secret in it"
                elif whose == "own":
                    ok = answer.status_code != 200
                    expected = "refused (no read access to the model)"
                else:
                    ok = answer.status_code != 200
                    expected = "refused"
                record(f"/web/export/{kind} of {whose} {model} rows, every field", answer.content.decode("latin-1"),
                       f"HTTP {answer.status_code}", expected, ok)
            for secret in SECRET_FIELDS.get(model, []):
                data = {"model": model, "fields": [{"name": "id", "label": "id", "type": "integer"},
                                                   {"name": secret, "label": secret, "type": "char"}],
                        "ids": ids, "domain": [], "import_compat": True}
                answer = client.post("/web/export/csv", data={"data": json.dumps(data), "csrf_token": csrf})
                record(f"/web/export/csv of {secret} of {whose} {model} rows", answer.text,
                       f"HTTP {answer.status_code}", "refused", answer.status_code != 200)
                for route in ("content", "image"):
                    answer = client.get(f"/web/{route}/{model}/{ids[0]}/{secret}")
                    record(f"/web/{route}/{model}/<{whose} id>/{secret}", answer.content.decode("latin-1"),
                           f"HTTP {answer.status_code}", "not served", served_nothing(answer))

    reports = product.rows("SELECT report_name, model FROM ir_act_report_xml WHERE model IN "
                           f"({models_sql}, 'fsm.order')")
    foreign_jobs = [int(r[0]) for r in product.rows(f"SELECT id FROM fsm_order WHERE company_id = {other_company}")]
    for report_name, model in reports:
        ids = foreign.get(model) or (foreign_jobs if model == "fsm.order" else [])
        if not ids:
            continue
        for kind in ("html", "pdf"):
            answer = client.get(f"/report/{kind}/{report_name}/{','.join(map(str, ids[:5]))}")
            record(f"/report/{kind}/{report_name} of the other company's records", answer.content.decode("latin-1"),
                   f"HTTP {answer.status_code}", "refused", answer.status_code != 200)
    answer = client.call("fsm.order", "read", [foreign_jobs[:5], ["calendar_link_ids", "calendar_sync_status",
                                                                   "calendar_conflict_ids"]])
    record("fsm.order: the other company's jobs' calendar links and status", answer.text, answer.brief(), "refused",
           refused(answer))

    # the chatter of another company's calendar
    for route, params in (
            ("/mail/thread/messages", {"thread_model": "fieldops.calendar.connection",
                                       "thread_id": conn_ids_other[0], "limit": 30}),
            ("/mail/thread/data", {"thread_model": "fieldops.calendar.connection", "thread_id": conn_ids_other[0],
                                   "request_list": ["followers", "attachments", "activities"]}),
            ("/mail/message/post", {"thread_model": "fieldops.calendar.connection", "thread_id": conn_ids_other[0],
                                    "post_data": {"body": "pwned", "message_type": "comment"}})):
        before = product.max_id("mail_message")
        _http, body = client.rpc(route, params)
        text = json.dumps(body)
        messages = body.get("result", {}) if isinstance(body.get("result"), dict) else {}
        leaked = [m for m in (messages.get("mail.message") or messages.get("data", {}).get("mail.message") or [])
                  if isinstance(m, dict) and m.get("res_id") in conn_ids_other]
        ok = ("error" in body or not leaked) and product.max_id("mail_message") == before
        record(f"{route} on the other company's calendar", text,
               ("refused" if "error" in body else f"{len(leaked)} message(s) of it") +
               (", a message was POSTED" if product.max_id("mail_message") != before else ""),
               "refused or nothing of it", ok)

    # every public method of the addon, on the other company's records (and managers' buttons on own ones)
    methods = public_methods()
    for model, names in sorted(methods.items()):
        targets = foreign.get(model) or (foreign_jobs[:3] if model == "fsm.order" else [])
        if model in ("res.config.settings",) or not targets:
            continue
        for name in sorted(names):
            for target in targets[:2]:  # one record at a time: buttons work on one
                before = product.fingerprint()
                answer = client.call(model, name, [[target]])
                diff = changed(before, product.fingerprint())
                record(f"{model}.{name} on the other company's record {target}", answer.text, answer.brief() + diff,
                       "refused, nothing changed", refused(answer) and not diff)
    if label.startswith("company A's dispatcher"):
        for name in MANAGER_BUTTONS:
            before = product.fingerprint()
            answer = client.call("fieldops.calendar.connection", name, [conn_ids_own[:1]])
            diff = changed(before, product.fingerprint())
            record(f"fieldops.calendar.connection.{name} on own company's calendar (managers only)", answer.text,
                   answer.brief() + diff, "refused or no effect", not diff)
    for name in PRIVATE_METHODS:
        answer = client.call("fieldops.calendar.connection", name, [conn_ids_own[:1] or conn_ids_other[:1]])
        record(f"private method {name} through call_kw", answer.text, answer.brief(), "refused", refused(answer))

    # Settings: the key-rotation button and the settings' own methods
    for name, args in (("action_fieldops_reencrypt_secrets", [[]]), ("set_values", [[]]), ("execute", [[]]),
                       ("get_values", [[]]), ("_fieldops_client_secret", ["google"])):
        before = product.fingerprint()
        answer = client.call("res.config.settings", name, args)
        diff = changed(before, product.fingerprint())
        record(f"res.config.settings.{name}", answer.text, answer.brief() + diff,
               "refused (get_values: no secret), nothing changed",
               not diff and (refused(answer) or name == "get_values"))

    # wizards pointed at the other company's records
    for model, vals, button in (
            ("fieldops.calendar.sync.preview", {"connection_id": conn_ids_other[0]}, "action_sync_now"),
            ("fieldops.calendar.conflict.review", {"conflict_id": (foreign["fieldops.calendar.conflict"] or [0])[0]},
             "action_confirm")):
        before = product.fingerprint()
        created = client.call(model, "create", [vals])
        detail = created.brief()
        if created.ok:
            wizard_id = created.result[0] if isinstance(created.result, list) else created.result
            read = client.call(model, "read", [[wizard_id], list(vals)])
            pressed = client.call(model, button, [[wizard_id]])
            detail += f"; read back: {read.brief()}; {button}: {pressed.brief()}"
            read_text = read.text + pressed.text
        else:
            read_text, read = created.text, None
        diff = changed(before, product.fingerprint())
        record(f"{model} created on the other company's record, then {button}", read_text,
               detail + diff, "refused, nothing changed", not created.ok and not diff)

    # naming someone of the other company as the calendar's responsible user (jobs run as them)
    if not label.startswith("company A's dispatcher") and conn_ids_own:
        other_user = world.dispatcher_id if own_company == world.company_b else world.northwind_id
        before = product.fingerprint()
        answer = client.call("fieldops.calendar.connection", "write",
                             [conn_ids_own[:1], {"responsible_user_id": other_user}])
        diff = changed(before, product.fingerprint())
        record("own calendar's responsible user set to the other company's user", answer.text,
               answer.brief() + diff, "refused, nothing changed", refused(answer) and not diff)

    # the addon's routes, as this user
    for path in (CALLBACK % "google" + "?state=x.1.y&code=sbx-gcode-forged",
                 CALLBACK % "microsoft" + "?code=sbx-mcode-forged"):
        answer = client.get(path)
        record(f"GET {path.split('?')[0]} with forged parameters", answer.text, f"HTTP {answer.status_code}",
               "HTTP 400", answer.status_code == 400)

    # whatever came back at all during this user's probing
    add_responses_row(results, needles, client, label)


def probe_anonymous(product, world, results):
    """A visitor with no Odoo session: nothing of the addon answers with data, and nothing changes."""
    results.section("probe anonymous", "3b. Probing without signing in (a public visitor)")
    visitor = Client(product.base, "anonymous visitor")
    visitor.context = {}
    before = product.fingerprint()
    ids = {model: [int(r[0]) for r in product.rows(f"SELECT id FROM {table} ORDER BY id LIMIT 5")]
           for model, table in ADDON_MODELS.items()}
    for model in [*ADDON_MODELS, *WIZARDS, "queue.job"]:
        answer = visitor.call(model, "search_read", [[]], {"limit": 5})
        results.add(f"{model}: search_read", answer.brief(), "refused (no session)", not answer.ok)
    for method in ("read", "write", "unlink"):
        args = [ids["fieldops.calendar.connection"]] + ([{"name": "pwned"}] if method == "write" else [])
        answer = visitor.call("fieldops.calendar.connection", method, args)
        results.add(f"fieldops.calendar.connection: {method} by id", answer.brief(), "refused", not answer.ok)
    for button in (*MANAGER_BUTTONS, "action_preview_sync"):
        answer = visitor.call("fieldops.calendar.connection", button, [ids["fieldops.calendar.connection"][:1]])
        results.add(f"fieldops.calendar.connection: {button}", answer.brief(), "refused", not answer.ok)
    conflict = ids["fieldops.calendar.conflict"][:1]
    if conflict:
        answer = visitor.call("fieldops.calendar.conflict", "action_review", [conflict])
        results.add("fieldops.calendar.conflict: action_review", answer.brief(), "refused", not answer.ok)
    for path in ("/odoo/calendar-connections", "/odoo/calendar-health", "/odoo/calendar-conflicts",
                 f"/odoo/calendar-connections/{(ids['fieldops.calendar.connection'] or [0])[0]}"):
        answer = visitor.get(path)
        where = answer.headers.get("Location", "")
        results.add(f"GET {path}", f"HTTP {answer.status_code}{' to ' + where.split('?')[0] if where else ''}",
                    "a redirect to the login page", answer.status_code in (302, 303) and "/web/login" in where)
    for model, table_ids in ids.items():
        if not table_ids:
            continue
        data = {"model": model, "fields": [{"name": "id", "label": "id", "type": "integer"}], "ids": table_ids,
                "domain": [], "import_compat": True}
        answer = visitor.post("/web/export/csv", data={"data": json.dumps(data)})
        results.add(f"/web/export/csv of {model} rows", f"HTTP {answer.status_code}", "refused",
                    answer.status_code != 200 or not answer.text.startswith("id"))
    for model, secrets_of in SECRET_FIELDS.items():
        for field in secrets_of:
            for route in ("content", "image"):
                answer = visitor.get(f"/web/{route}/{model}/{(ids[model] or [0])[0]}/{field}")
                results.add(f"/web/{route}/{model}/<id>/{field}",
                            f"HTTP {answer.status_code} {answer.headers.get('Content-Type', '')}".rstrip(),
                            "not served (a placeholder image at most)", served_nothing(answer))
    for provider in ("google", "microsoft"):
        answer = visitor.get(CALLBACK % provider + "?state=x.1.y&code=sbx-forged")
        where = answer.headers.get("Location", "")
        results.add(f"GET the {provider} OAuth callback", f"HTTP {answer.status_code}",
                    "a redirect to the login page", answer.status_code in (302, 303) and "/web/login" in where)
    diff = changed(before, product.fingerprint())
    results.add("the database after the visitor's attempts", diff.lstrip(", ") or "unchanged", "unchanged", not diff)
    add_responses_row(results, world.needles, visitor, "the visitor")


# -- 4. leak scan ------------------------------------------------------------------------------------------------
COPY_RE = re.compile(r"^COPY ([\w.\"]+) \((.*)\) FROM stdin;$")


def scan_dump(path, needles, results, key):
    """Every COPY row (table, column, row id) and everything else (large objects, sequences...) of the dump."""
    hits = []
    rows_by_table = {}
    table, columns = None, []
    key_needles = Needles({key: "encryption key"})
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if table is not None:
                if line == "\\.\n":
                    table = None
                    continue
                rows_by_table[table] = rows_by_table.get(table, 0) + 1
                if needles.find_text(line) or key_needles.find_text(line):
                    cells = line.rstrip("\n").split("\t")
                    row_id = cells[columns.index("id")] if "id" in columns else "?"
                    for index, cell in enumerate(cells):
                        for kind, form in sorted(set(needles.find_text(cell) + key_needles.find_text(cell))):
                            column = columns[index] if index < len(columns) else "?"
                            hits.append(f"{table}.{column} id={row_id}: {kind} ({form})")
                continue
            match = COPY_RE.match(line)
            if match:
                table = match.group(1).replace("public.", "").strip('"')
                columns = [c.strip().strip('"') for c in match.group(2).split(",")]
                continue
            for kind, form in needles.find_text(line) + key_needles.find_text(line):
                hits.append(f"dump line {number} (outside table data): {kind} ({form})")
    return hits, rows_by_table


def scan_files(paths, needles, key):
    hits, scanned = [], 0
    key_needles = Needles({key: "encryption key"})
    for path in paths:
        if not os.path.exists(path):
            continue
        walk = [(path, [], [os.path.basename(path)])] if os.path.isfile(path) else os.walk(path)
        for folder, _dirs, files in walk:
            for name in files:
                full = os.path.join(folder, name) if os.path.isdir(path) else path
                with open(full, "rb") as handle:
                    data = handle.read()
                scanned += 1
                found = needles.find_bytes(data) + key_needles.find_bytes(data)
                if found and data.count(b"\n") > 1:  # a log: say which lines
                    for number, line in enumerate(data.split(b"\n"), 1):
                        for kind, form in needles.find_bytes(line) + key_needles.find_bytes(line):
                            hits.append(f"{os.path.relpath(full, os.path.dirname(path))}:{number}: {kind} ({form})")
                else:
                    hits.extend(f"{os.path.relpath(full, os.path.dirname(path))}: {kind} ({form})"
                                for kind, form in found)
    return hits, scanned


def scanner_self_check(product, needles, by_value, results):
    """The scan finds what it should: the sandbox's info file holds both client secrets by design, and a
    made-up dump row hides a token in base64 at an odd offset and in hex."""
    hits, _scanned = scan_files([product.info_path], needles, product.key)
    kinds = sorted({line.rsplit(": ", 1)[-1] for line in hits})
    results.add("scanner self-check: the sandbox's own info file (client secrets in clear, by design)",
                f"found {kinds}", "both client secrets found",
                any("google client secret" in k for k in kinds) and any("microsoft client secret" in k for k in kinds))
    token = next(v for v, k in by_value.items() if "refresh token" in k)
    hidden = base64.b64encode(b"{x" + token.encode() + b"}").decode()
    fake = os.path.join(product.home, "selfcheck.sql")
    with open(fake, "w") as handle:
        handle.write(f"COPY public.demo (id, note, blob) FROM stdin;\n7\t{hidden}\t\\\\x{token.encode().hex()}\n\\.\n")
    found, _rows = scan_dump(fake, needles, results, product.key)
    results.add("scanner self-check: a refresh token in base64 at an odd offset and in hex, in a dump row",
                "; ".join(found) or "not found", "found, with table, column and row id",
                len(found) >= 2 and all(line.startswith("demo.") and "id=7" in line for line in found))
    os.remove(fake)


def leak_scan(product, world, results):
    results.section("leak scan", "4. Scanning the database, the filestore and the logs for every secret")
    issued = product.control("google", "secrets")["secrets"] + product.control("microsoft", "secrets")["secrets"]
    by_value = {item["value"]: item["kind"] for item in issued}
    needles = Needles(by_value)
    scanner_self_check(product, needles, by_value, results)
    counts = {}
    for kind in by_value.values():
        counts[kind] = counts.get(kind, 0) + 1
    say("secrets to look for: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) +
        ", the encryption key; each raw, URL-encoded, base64 (3 alignments, standard and URL-safe) and hex")
    dump = os.path.join(product.home, "dump.sql")
    started = time.monotonic()
    subprocess.run([os.path.join(product.cluster.bin, "pg_dump"), "-h", "127.0.0.1", "-p", str(product.cluster.port),
                    "-U", "postgres", "--no-owner", "-f", dump, DB], check=True)
    size = os.path.getsize(dump)
    hits, rows = scan_dump(dump, needles, results, product.key)
    blobs = product.scalar("SELECT count(*) FROM pg_largeobject_metadata")
    focus = ["queue_job", "mail_tracking_value", "mail_message", "ir_attachment", "ir_logging",
             "ir_config_parameter", "fieldops_calendar_connection", "fieldops_calendar_channel",
             "fieldops_calendar_notification", "fieldops_calendar_oauth_session", "mail_activity"]
    say("  rows scanned in the tables most likely to hold one: " +
        ", ".join(f"{t} {rows.get(t, 0)}" for t in focus))
    results.add(f"pg_dump of the whole database ({size // 1024} KB, {len(rows)} tables, "
                f"{sum(rows.values())} rows, {blobs} large objects; {time.monotonic() - started:.1f} s)",
                f"{len(hits)} hit(s)" + (": " + "; ".join(hits[:20]) if hits else ""), "no secret", not hits)
    for line in hits[20:]:
        say(f"  also: {line}")
    filestore = os.path.join(product.data_dir, "filestore")
    sessions = os.path.join(product.data_dir, "sessions")
    hits, scanned = scan_files([filestore], needles, product.key)
    results.add(f"filestore (attachments stored as files): {scanned} files", f"{len(hits)} hit(s)" +
                (": " + "; ".join(hits[:20]) if hits else ""), "no secret", not hits)
    hits, scanned = scan_files([sessions], needles, product.key)
    results.add(f"HTTP session store: {scanned} files", f"{len(hits)} hit(s)" +
                (": " + "; ".join(hits[:20]) if hits else ""), "no secret", not hits)
    for label, path in (("Odoo server log (HTTP access lines included)", product.odoo_log),
                        ("Odoo install log", product.install_log), ("sandbox log", product.sandbox_log),
                        ("PostgreSQL log", os.path.join(product.cluster.directory, "postgres.log"))):
        lines = 0
        if os.path.exists(path):
            with open(path, "rb") as handle:
                lines = sum(1 for _line in handle)
        hits, _scanned = scan_files([path], needles, product.key)
        results.add(f"{label}: {lines} lines", f"{len(hits)} hit(s)" + (": " + "; ".join(hits[:20]) if hits else ""),
                    "no secret", not hits)


# -- main -----------------------------------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m devtools.security_suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--require-odoo", action="store_true",
                        default=os.environ.get("FIELDOPS_REQUIRE_ODOO", "") not in ("", "0"))
    parser.add_argument("--keep", action="store_true", help="keep the working directory (database, logs, dump)")
    args = parser.parse_args(argv)
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        say(f"SKIPPED: {why}")
        return 1 if args.require_odoo else 0
    try:
        import psycopg2  # noqa: F401
        import requests  # noqa: F401
    except ImportError:  # run again under Odoo's Python, which has both
        if os.environ.get("FIELDOPS_SECURITY_REEXEC"):
            raise
        os.execve(odoo.python,  # noqa: S606 (Odoo's own interpreter, our own module)
                  [odoo.python, "-m", "devtools.security_suite", *(argv or sys.argv[1:])],
                  odoo_env.process_env(FIELDOPS_SECURITY_REEXEC="1"))
    started = time.monotonic()
    home = tempfile.mkdtemp(prefix="fieldops-security-")
    say(f"working directory {home}")
    product = Product(odoo, home)
    results = Results()
    try:
        product.start()
        world = setup(product, results)
        issued = product.control("google", "secrets")["secrets"] + product.control("microsoft", "secrets")["secrets"]
        world.needles = Needles({item["value"]: item["kind"] for item in issued})
        attack_webhooks(product, world, results)
        attack_oauth(product, world, results)
        probe_user(product, world, results, world.dispatcher, world.company_a, world.company_b,
                   "company A's dispatcher")
        probe_user(product, world, results, world.northwind, world.company_b, world.company_a,
                   "company B's user (manager)")
        probe_anonymous(product, world, results)
        product.wait_quiet()
        leak_scan(product, world, results)
    except Exception as exc:  # a broken run is a failed run, with its reason
        import traceback

        traceback.print_exc()
        results.section("suite", "The suite itself")
        results.add("running the suite to the end", f"stopped: {exc}", "completed", False)
    finally:
        product.stop()
        if args.keep:
            say(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    print(f"\nSummary ({time.monotonic() - started:.0f} s):\n{results.summary()}")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
