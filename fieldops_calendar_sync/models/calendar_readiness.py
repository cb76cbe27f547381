"""The readiness panel: item by item, what stands between this database and live calendars.

Rows are stored, so the panel shows when each item was last checked; "Check again" and an hourly cron
gather the facts (``_readiness_facts``), ``calsync.readiness`` judges them, and this model words the
result. A check makes real requests to the public base URL, the way Google and Microsoft will.
"""

import hashlib
import hmac
import logging
from concurrent.futures import ThreadPoolExecutor

import requests
from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from calsync import readiness

from ..adapters import providers
from ..tools.cipher import get_cipher
from ..tools.odoo_time import aware

_logger = logging.getLogger(__name__)

STATE_SELECTION = [
    (readiness.READY, "Ready"),
    (readiness.BLOCKED, "Blocked until credentials"),
    (readiness.MISSING, "Missing"),
    (readiness.FAILING, "Failing"),
]
RUNNER_SEEN_PARAM = "fieldops_calendar_sync.readiness_runner_seen_at"
RUNNER_QUEUED_PARAM = "fieldops_calendar_sync.readiness_probe_queued_at"
PROBE_PATH = "/fieldops_calendar_sync/readiness/probe"
PROBE_TIMEOUT = 4  # seconds per request to our own public URL
WEBHOOK_ROUTES = {
    "google_webhook": "/fieldops_calendar_sync/webhook/google",
    "microsoft_webhook": "/fieldops_calendar_sync/webhook/microsoft",
}
CALLBACK_ROUTES = {
    "google_callback": "/fieldops_calendar_sync/oauth/google/callback",
    "microsoft_callback": "/fieldops_calendar_sync/oauth/microsoft/callback",
}


def probe_answer(env, nonce):
    """What this database answers to a readiness probe: proves a request reached this Odoo, this database.

    Keyed with a key derived from ``database.secret`` for this purpose only, so the answer can never
    serve as a signature Odoo itself would accept (those are keyed with the secret itself).
    """
    secret = env["ir.config_parameter"].sudo().get_param("database.secret") or ""
    key = hmac.new(secret.encode(), b"fieldops_calendar_sync readiness probe", hashlib.sha256).digest()
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()


class CalendarReadiness(models.Model):
    _name = "fieldops.calendar.readiness"
    _description = "Calendar integration readiness item"
    _order = "sequence, id"

    key = fields.Char(required=True, index=True, readonly=True)
    sequence = fields.Integer(readonly=True)
    name = fields.Char(string="Item", required=True, readonly=True)
    state = fields.Selection(STATE_SELECTION, required=True, readonly=True)
    blocking = fields.Boolean(string="Blocks a first live sync", readonly=True,
                              help="While it is not ready, a new live connection cannot start its first sync.")
    observed = fields.Text(string="What was checked", readonly=True)
    advice = fields.Text(string="What to do", readonly=True)
    checked_at = fields.Datetime(string="Last checked", readonly=True)
    connection_id = fields.Many2one("fieldops.calendar.connection", ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", related="connection_id.company_id", store=True)

    # -- checking ------------------------------------------------------------------
    def action_check_again(self):
        self.env["fieldops.calendar.readiness"]._check_access_admin()
        self.env["fieldops.calendar.readiness"]._refresh()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    @api.model
    def _check_access_admin(self):
        if not self.env.is_system():
            raise UserError(_("Only administrators can check the integration's readiness."))

    @api.model
    def _cron_refresh(self):
        self._refresh()

    @api.model
    def _refresh(self, probe_url=True, probe_runner=True):
        """Check every item now and store the result; returns the engine's items (database-wide first).

        ``probe_url`` / ``probe_runner`` False: no request to the public URL, no probe job for queue_job's
        runner (at install, when neither a server nor a runner is there yet).
        """
        now = fields.Datetime.now()
        facts = self._readiness_facts(probe_url=probe_url, probe_runner=probe_runner)
        items = readiness.assess(facts)
        rows = [(item, False) for item in items]
        for connection in self.env["fieldops.calendar.connection"].sudo().search([]):
            rows.append((readiness.assess_connection(connection._readiness_connection_facts(), facts.now),
                         connection))
        Row = self.sudo()
        existing = {(r.key, r.connection_id.id): r for r in Row.search([])}
        seen = set()
        for sequence, (item, connection) in enumerate(rows):
            key = "connection" if connection else item.key
            values = {"key": key, "sequence": sequence, "name": self._item_name(item, connection),
                      "state": item.state, "blocking": bool(item.blocks), "checked_at": now,
                      "observed": self._item_observed(item), "advice": self._item_advice(item, connection),
                      "connection_id": connection.id if connection else False}
            row = existing.get((key, connection.id if connection else False))
            if row:
                row.write(values)
            else:
                row = Row.create(values)
            seen.add(row.id)
        Row.search([("id", "not in", list(seen))]).unlink()
        return items

    @api.model
    def _blockers(self, provider):
        """What stops a first sync of a ``provider`` calendar now (outside sandbox mode): checked afresh."""
        items = self._refresh()
        return readiness.blockers(items, provider, providers.sandbox_mode(self.env))

    # -- facts ---------------------------------------------------------------------
    @api.model
    def _readiness_facts(self, probe_url=True, probe_runner=True):
        env = self.env
        params = env["ir.config_parameter"].sudo()
        sandbox = providers.sandbox_mode(env)
        base = providers.public_base_url(env)
        key_configured, stored, undecryptable = self._key_facts()
        apps = {}
        for provider in readiness.PROVIDERS:
            client_id = params.get_param(f"fieldops_calendar_sync.{provider}_client_id")
            secret = params.get_param(f"fieldops_calendar_sync.{provider}_client_secret")
            apps[provider] = bool(client_id and secret)
        probes = self._probe_public_url(base) if probe_url and base else {}
        seen = params.get_param(RUNNER_SEEN_PARAM)
        queued = params.get_param(RUNNER_QUEUED_PARAM)
        now = fields.Datetime.now()
        if probe_runner and (not seen or now - fields.Datetime.to_datetime(seen) > readiness.RUNNER_FRESH / 2):
            queued = self._queue_runner_probe(queued, seen, now)
        live = env["fieldops.calendar.notification"].sudo().search(
            [("status", "=", "accepted"), ("connection_id.sandbox", "=", False)], order="received_at desc", limit=1)
        return readiness.Facts(
            now=aware(now), sandbox=sandbox, sandbox_running=sandbox and self._sandbox_running(),
            apps=apps, key_configured=key_configured, secrets_stored=stored, secrets_undecryptable=undecryptable,
            public_url=base, url_probes=probes,
            queue_job_server_wide="queue_job" in (config.get("server_wide_modules") or ""),
            runner_seen_at=aware(fields.Datetime.to_datetime(seen)) if seen else None,
            runner_probe_queued_at=aware(fields.Datetime.to_datetime(queued)) if queued else None,
            workers=int(config.get("workers") or 0),
            live_notification_at=aware(live.received_at) if live else None,
        )

    @api.model
    def _key_facts(self):
        """(key configured, secrets stored, secrets the key cannot decrypt): tokens, app and organization secrets."""
        params = self.env["ir.config_parameter"].sudo()
        # every company's tokens, whoever checks: the key is the whole database's
        self.env["fieldops.calendar.connection"].flush_model(["token_encrypted"])
        self.env.cr.execute(
            "SELECT token_encrypted FROM fieldops_calendar_connection WHERE token_encrypted IS NOT NULL")
        blobs = [row[0] for row in self.env.cr.fetchall()]
        # and the organizations' service-account keys and app secrets
        self.env["fieldops.calendar.organization"].flush_model(["google_key_encrypted", "microsoft_secret_encrypted"])
        self.env.cr.execute("SELECT google_key_encrypted FROM fieldops_calendar_organization "
                            "WHERE google_key_encrypted IS NOT NULL UNION ALL SELECT microsoft_secret_encrypted "
                            "FROM fieldops_calendar_organization WHERE microsoft_secret_encrypted IS NOT NULL")
        blobs += [row[0] for row in self.env.cr.fetchall()]
        blobs += [value for value in (params.get_param(f"fieldops_calendar_sync.{p}_client_secret")
                                      for p in readiness.PROVIDERS) if value]
        try:
            cipher = get_cipher()
        except UserError:
            return False, len(blobs), 0
        undecryptable = 0
        for blob in blobs:
            try:
                cipher.decrypt(blob)
            except Exception:  # any failure to decrypt is what this check reports
                undecryptable += 1
        return True, len(blobs), undecryptable

    @api.model
    def _sandbox_running(self):
        try:
            info = providers.sandbox_info(self.env)
        except UserError:
            return False
        session = requests.Session()
        session.trust_env = False
        for side in ("google", "microsoft"):
            try:
                session.get(info[side]["base_url"] + "/", verify=info["ca_cert"], timeout=PROBE_TIMEOUT)
            except (requests.RequestException, KeyError, OSError):
                return False
        return True

    @api.model
    def _probe_public_url(self, base):
        """Ask this Odoo, through its public base URL, what Google, Microsoft and a browser would ask.

        Each value is None when the route answered as ours does, else what went wrong. A request to one's
        own public address can fail where the providers' would not (a network without hairpin routing), so
        the words the panel shows for a failure say so.
        """
        nonce = hashlib.sha256(f"{base}{fields.Datetime.now()}".encode()).hexdigest()[:32]
        expected = probe_answer(self.env, nonce)
        session = requests.Session()
        session.trust_env = False

        def ask(name):
            try:
                if name == "database":
                    answer = session.get(f"{base}{PROBE_PATH}", params={"nonce": nonce}, timeout=PROBE_TIMEOUT)
                    return None if answer.status_code == 200 and answer.text.strip() == expected else _(
                        "answered %(status)s, not as this database", status=answer.status_code)
                if name in WEBHOOK_ROUTES:
                    # the routes take POST only: a GET that reaches one is refused with 405 (404: it is not
                    # there), and nothing is recorded, unlike a forged notification would be
                    answer = session.get(base + WEBHOOK_ROUTES[name], timeout=PROBE_TIMEOUT, allow_redirects=False)
                    return None if answer.status_code == 405 else _(
                        "answered %(status)s", status=answer.status_code)
                answer = session.get(base + CALLBACK_ROUTES[name], timeout=PROBE_TIMEOUT, allow_redirects=False)
                return None if answer.status_code < 500 and answer.status_code != 404 else _(
                    "answered %(status)s", status=answer.status_code)
            except requests.RequestException as exc:
                return _("no answer (%(error)s)", error=type(exc).__name__)

        names = ["database", *WEBHOOK_ROUTES, *CALLBACK_ROUTES]
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            return dict(zip(names, pool.map(ask, names), strict=True))

    @api.model
    def _queue_runner_probe(self, queued, seen, now):
        """Hand queue_job a probe job; the runner proves itself alive by running it.

        While an earlier probe still waits (queued after the runner was last seen), its time stands: the
        runner's silence is measured from it, not from each new check. The identity key keeps one probe.
        """
        self.sudo().with_delay(channel="root.fieldops_calendar", identity_key="fieldops-calendar-readiness-probe",
                               description=_("Readiness: show that the job runner is alive"))._job_runner_probe()
        if queued and (not seen or queued > seen):
            return queued
        stamp = fields.Datetime.to_string(now)
        self.env["ir.config_parameter"].sudo().set_param(RUNNER_QUEUED_PARAM, stamp)
        return stamp

    @api.model
    def _job_runner_probe(self):
        self.env["ir.config_parameter"].sudo().set_param(RUNNER_SEEN_PARAM,
                                                         fields.Datetime.to_string(fields.Datetime.now()))
        return True

    # -- words -----------------------------------------------------------------------
    @api.model
    def _item_name(self, item, connection):
        if connection:
            return _("Connection %(name)s (%(company)s)", name=connection.name, company=connection.company_id.name)
        return {
            "sandbox": _("Sandbox mode"),
            "google_app": _("Google app credentials (live sign-in)"),
            "microsoft_app": _("Microsoft app credentials (live sign-in)"),
            "encryption_key": _("Encryption key"),
            "public_url": _("Public base URL over https, answering for this Odoo"),
            "live_webhooks": _("Live webhooks (verified push notifications)"),
            "queue_job": _("Background jobs (queue_job and its runner)"),
            "workers": _("Server mode (prefork workers)"),
        }[item.key]

    @api.model
    def _item_observed(self, item):
        detail = item.detail
        lines = []
        if "url" in detail:
            lines.append(detail["url"])
        for route, error in (detail.get("failed") or {}).items():
            lines.append(f"{route}: {error}")
        if "total" in detail:
            lines.append(_("%(count)s of %(total)s stored secrets cannot be decrypted",
                           count=detail.get("count", 0), total=detail["total"]))
        if "workers" in detail:
            lines.append(_("%s workers", detail["workers"]))
        for label, key in ((_("last verified push received"), "notification_at"), (_("last pull"), "pull_at"),
                           (_("last push"), "push_at"), (_("channel expires"), "channel_expires_at"),
                           (_("runner last seen"), "seen"), (_("at"), "at")):
            if key in detail:
                value = detail[key]
                lines.append(f"{label}: {fields.Datetime.to_string(value.replace(tzinfo=None)) if value else '-'}")
        return "\n".join(str(line) for line in lines) or False

    @api.model
    def _item_advice(self, item, connection):
        if item.ready and item.key != "sandbox":
            return False
        reason = item.reason
        words = {
            ("sandbox", "on"): _("Sandbox mode is ON: every calendar is the local sandbox, no real Google or "
                                 "Microsoft calendar changes. Turn it off in Settings to go live."),
            ("sandbox", "off"): _("Sandbox mode is OFF: connections reach the real Google and Microsoft."),
            ("sandbox", "on_not_running"): _("Sandbox mode is ON but the sandbox providers are not running: start "
                                             "them with 'python -m calsync.sandbox' (the run command does)."),
            ("app", "not_entered"): _("Register an OAuth app with the provider (README: Registering the app) and "
                                      "enter its client id and secret in Settings > Calendar Sync."),
            ("app", "sandbox"): _("Live sign-in is blocked until credentials: the sandbox needs none. Register "
                                  "the provider's app and enter its client id and secret before going live."),
            ("encryption_key", "not_configured"): _(
                "Add 'fieldops_calendar_sync_key' to the Odoo configuration file (or the environment variable "
                "FIELDOPS_CALENDAR_SYNC_KEY) and restart Odoo."),
            ("encryption_key", "cannot_decrypt"): _(
                "Some secrets were encrypted with another key: put that key back (comma-separated, after the "
                "current one), then re-encrypt the secrets in Settings; or reconnect those calendars."),
            ("public_url", "not_set"): _("Enter the https address of this Odoo in Settings > Calendar Sync."),
            ("public_url", "not_https"): _(
                "Google and Microsoft deliver push notifications and sign-in redirects only to https. Serve Odoo "
                "behind a TLS proxy and enter the https address in Settings."),
            ("public_url", "not_probed"): _("Click Check again: the address has not been tried yet."),
            ("public_url", "unreachable"): _(
                "This Odoo could not reach itself at its public address (see what was checked). Check the proxy "
                "and DNS. Some networks do not let a server reach its own public address: then test from "
                "outside, e.g. curl -X POST <public URL>/fieldops_calendar_sync/webhook/google must answer 4xx."),
            ("live_webhooks", "sandbox"): _("Blocked until credentials: the sandbox's webhooks are not live ones."),
            ("live_webhooks", "not_entered"): _("Blocked until credentials: enter a provider's app credentials and "
                                                "connect a calendar."),
            ("live_webhooks", "none_yet"): _("No verified push notification from Google or Microsoft yet. Connect a "
                                             "calendar and edit an event in it; the next check should see it."),
            ("queue_job", "not_server_wide"): _(
                "Load queue_job server-wide: server_wide_modules = base,web,queue_job in the Odoo configuration "
                "file, then restart Odoo."),
            ("queue_job", "probe_waiting"): _("A test job was just queued: check again in a minute."),
            ("queue_job", "runner_not_seen"): _(
                "queue_job's runner has not run the test job: check that Odoo runs with workers or the threaded "
                "runner, that [queue_job] channels are set, and the server log."),
            ("workers", "threaded"): _(
                "Odoo runs a threaded server: it cannot hold a webhook burst. Run production with prefork workers "
                "(workers = N)."),
            ("connection", "not_connected"): _("Connect this calendar (or remove the connection)."),
            ("connection", "needs_reauth"): _("Reconnect this calendar: its sign-in is no longer accepted."),
            ("connection", "error"): _("Open the connection: its last error says what to fix, then Sync now."),
            ("connection", "channel_dead"): _("Its push channel failed or expired: click Sync now to open a new "
                                              "one; changes arrive with the safety-net pull meanwhile."),
            ("connection", "pull_stale"): _("No successful pull for over an hour: check failed sync jobs and the "
                                            "job runner."),
            ("connection", "push_refused"): _("No push channel: the public base URL is not https. Changes arrive "
                                              "with the safety-net pull."),
            ("connection", "no_channel"): _("No push channel yet: it opens within the hour, or at Sync now."),
            ("connection", "never_pulled"): _("Never synced yet: start its first sync."),
        }
        group = "connection" if connection else "app" if item.key.endswith("_app") else item.key
        return words.get((group, reason)) or False
