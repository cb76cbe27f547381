"""What every phase of the security suite shares: the running product, HTTP clients, results and the needles."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import urllib.parse
from collections import OrderedDict
from dataclasses import dataclass

from devtools import odoo_env
from devtools import product as harness
from devtools.pgcluster import PgCluster, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

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
    "fieldops.calendar.organization": "fieldops_calendar_organization",
    "fieldops.calendar.busy": "fieldops_calendar_busy",
}
WIZARDS = ["fieldops.calendar.conflict.review", "fieldops.calendar.conflict.review.line",
           "fieldops.calendar.sync.preview", "fieldops.calendar.sync.preview.line"]
SECRET_FIELDS = {
    "fieldops.calendar.connection": ["token_encrypted", "sync_cursor"],
    "fieldops.calendar.channel": ["token_hash"],
    "fieldops.calendar.oauth.session": ["payload_encrypted"],
    "fieldops.calendar.organization": ["google_key_encrypted", "microsoft_secret_encrypted"],
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
    "fieldops.calendar.organization": {"name": "pwned"},
    "fieldops.calendar.busy": {"status": "tentative"},
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
        sandbox, self.sandbox = harness.start_sandbox(self.odoo, self.info_path, self.sandbox_log)
        self.procs.append(sandbox)
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
        self.procs.append(harness.start_odoo(self.odoo, self.config, DB, os.path.join(self.home, "odoo-stdout.log"),
                                             "--logfile", self.odoo_log, *logging_args))
        harness.wait_ready(self.base, self.procs[-1], log_path=self.odoo_log)
        say(f"Odoo at {self.base} (log {self.odoo_log})")

    def stop(self):
        harness.stop(self.procs)
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
        conflicts, credentials in the parameters, queued work, sign-ins in progress, messages, attachments,
        organization connections (their keys and secrets), busy times."""
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
              UNION ALL SELECT 'organizations', concat_ws('/', id, name, state, md5(coalesce(google_key_encrypted, '')),
                                                 md5(coalesce(microsoft_secret_encrypted, '')), company_id)
                FROM fieldops_calendar_organization
              UNION ALL SELECT 'busy times', concat_ws('/', id, status, start, "end") FROM fieldops_calendar_busy
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
