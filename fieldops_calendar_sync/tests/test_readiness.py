"""The readiness panel: every item in each of its states, the gate on a first live sync, its override."""

import os
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import config

from calsync.crypto import TokenCipher, generate_key

from ..models.calendar_readiness import RUNNER_QUEUED_PARAM, RUNNER_SEEN_PARAM
from .common import KEY_OPTION, trap_jobs
from .sandbox import SandboxCase, run_job


@tagged("post_install", "-at_install")
class TestReadiness(SandboxCase):
    account_prefix = "ready"

    def setUp(self):
        super().setUp()
        self.params = self.env["ir.config_parameter"].sudo()
        self.Readiness = self.env["fieldops.calendar.readiness"]

    def row(self, key, **refresh):
        self.Readiness._refresh(**refresh)
        return self.Readiness.search([("key", "=", key), ("connection_id", "=", False)])

    def connection_row(self):
        self.Readiness._refresh(probe_url=False)
        return self.Readiness.search([("connection_id", "=", self.connection.id)])

    def sandbox_off(self):
        self.params.set_param("fieldops_calendar_sync.sandbox_mode", False)  # as Settings store a cleared box

    def enter_app(self, provider):
        settings = self.env["res.config.settings"].create({
            f"fieldops_{provider}_client_id": f"{provider}-client.example", f"fieldops_{provider}_client_secret":
            f"{provider}-secret-value"})
        settings.execute()

    # -- each item ---------------------------------------------------------------------
    def test_sandbox_mode_is_said_plainly(self):
        row = self.row("sandbox", probe_url=False)
        self.assertEqual(row.state, "ready")
        self.assertIn("Sandbox mode is ON", row.advice)
        self.params.set_param("fieldops_calendar_sync.sandbox_info_path", "/nonexistent/sandbox.json")
        with patch.dict(config.options, {"fieldops_calendar_sync_sandbox": False}):
            row = self.row("sandbox", probe_url=False)
        self.assertEqual(row.state, "failing")
        self.assertIn("not running", row.advice)
        self.sandbox_off()
        row = self.row("sandbox", probe_url=False)
        self.assertEqual(row.state, "ready")
        self.assertIn("Sandbox mode is OFF", row.advice)

    def test_app_credentials_block_live_sign_in_until_entered(self):
        for provider in ("google", "microsoft"):
            row = self.row(f"{provider}_app", probe_url=False)
            self.assertEqual(row.state, "blocked_credentials")
            self.assertTrue(row.blocking)
            self.enter_app(provider)
            self.assertEqual(self.row(f"{provider}_app", probe_url=False).state, "ready")

    def test_encryption_key_configured_and_decrypting_every_secret(self):
        self.assertEqual(self.row("encryption_key", probe_url=False).state, "ready")
        other = TokenCipher.from_config(generate_key())
        self.connection.sudo().token_encrypted = other.encrypt('{"token": "x"}')
        row = self.row("encryption_key", probe_url=False)
        self.assertEqual(row.state, "failing")
        self.assertIn("1 of", row.observed)
        env = {k: v for k, v in os.environ.items() if k != "FIELDOPS_CALENDAR_SYNC_KEY"}
        with patch.dict(config.options, {KEY_OPTION: False}), patch.dict(os.environ, env, clear=True):
            row = self.row("encryption_key", probe_url=False)
        self.assertEqual(row.state, "missing")
        self.assertIn("fieldops_calendar_sync_key", row.advice)

    def test_public_url_is_https_and_answers_for_this_odoo(self):
        row = self.row("public_url")  # the test server, in sandbox mode: loopback http is what the sandbox uses
        self.assertEqual(row.state, "ready", f"{row.observed} / {row.advice}")
        self.params.set_param("fieldops_calendar_sync.public_base_url", "http://127.0.0.1:9")  # nothing listens
        row = self.row("public_url")
        self.assertEqual(row.state, "failing")
        self.assertIn("no answer", row.observed)
        self.assertIn("own public address", row.advice)
        self.sandbox_off()
        self.params.set_param("fieldops_calendar_sync.public_base_url", "http://erp.example.com")
        self.assertEqual(self.row("public_url").state, "failing")
        self.assertIn("only to https", self.Readiness.search([("key", "=", "public_url")]).advice)
        self.params.set_param("fieldops_calendar_sync.public_base_url", "")
        self.params.set_param("web.base.url", "")
        self.assertEqual(self.row("public_url").state, "missing")

    def test_a_wrong_answer_on_the_public_url_is_not_taken_for_ours(self):
        # an address that answers, but not as this database: the emulator's host stands in for a stranger
        self.params.set_param("fieldops_calendar_sync.public_base_url", self.sandbox.google.base_url)
        row = self.row("public_url")
        self.assertEqual(row.state, "failing")
        self.assertIn("database", row.observed)

    def test_live_webhooks_are_blocked_until_credentials(self):
        self.assertEqual(self.row("live_webhooks", probe_url=False).state, "blocked_credentials")
        self.sandbox_off()
        self.assertEqual(self.row("live_webhooks", probe_url=False).state, "blocked_credentials")
        self.enter_app("google")
        self.assertEqual(self.row("live_webhooks", probe_url=False).state, "missing")
        live = self.env["fieldops.calendar.connection"].create({
            "name": "Live crew", "provider": "google", "team_ids": [(6, 0, self.team.ids)],
            "responsible_user_id": self.admin.id, "state": "connected"})
        self.env["fieldops.calendar.notification"].sudo().create({
            "company_id": live.company_id.id, "connection_id": live.id, "provider": "google",
            "status": "accepted", "dedupe_key": "live-1"})
        self.assertEqual(self.row("live_webhooks", probe_url=False).state, "ready")

    def test_queue_job_is_server_wide_and_its_runner_alive(self):
        with patch.dict(config.options, {"server_wide_modules": "base,web"}):
            self.assertEqual(self.row("queue_job", probe_url=False).state, "failing")
        self.params.set_param(RUNNER_SEEN_PARAM, "")
        self.params.set_param(RUNNER_QUEUED_PARAM, "")
        with patch.dict(config.options, {"server_wide_modules": "base,web,queue_job"}), trap_jobs() as trap:
            row = self.row("queue_job", probe_url=False)
            self.assertEqual(row.state, "missing")
            self.assertIn("check again in a minute", row.advice)
            (probe,) = [j for j in trap.enqueued_jobs if j.method_name == "_job_runner_probe"]
            probe.perform()  # the runner runs it
            self.assertEqual(self.row("queue_job", probe_url=False).state, "ready")
            stale = fields.Datetime.now() - timedelta(days=2)
            self.params.set_param(RUNNER_SEEN_PARAM, fields.Datetime.to_string(stale))
            self.params.set_param(RUNNER_QUEUED_PARAM, fields.Datetime.to_string(stale + timedelta(days=1)))
            row = self.row("queue_job", probe_url=False)
            self.assertEqual(row.state, "failing")
            self.assertIn("runner", row.advice)

    def test_workers_or_a_warning_about_the_threaded_server(self):
        with patch.dict(config.options, {"workers": 0}):
            row = self.row("workers", probe_url=False)
        self.assertEqual(row.state, "missing")
        self.assertFalse(row.blocking)
        self.assertIn("webhook burst", row.advice)
        with patch.dict(config.options, {"workers": 4}):
            self.assertEqual(self.row("workers", probe_url=False).state, "ready")

    def test_each_connection_shows_its_push_channel_and_last_sync(self):
        row = self.connection_row()
        self.assertIn(row.state, ("missing", "ready"))
        # an open channel as the channel job leaves it (a real one would have the sandbox post its first
        # notification to the server while this test still runs on the shared test cursor)
        self.env["fieldops.calendar.channel"].sudo().create({
            "connection_id": self.connection.id, "external_id": "ready-channel", "state": "active",
            "expires_at": fields.Datetime.now() + timedelta(days=3)})
        run_job(self, self.connection, "_job_pull", full=True)
        run_job(self, self.connection, "_job_push")
        self.env.invalidate_all()
        row = self.connection_row()
        self.assertEqual(row.state, "ready", row.advice)
        self.assertIn("last pull", row.observed)
        self.connection.sudo().state = "needs_reauth"
        self.assertEqual(self.connection_row().state, "failing")
        self.assertIn("Reconnect", self.connection_row().advice)

    # -- the gate ----------------------------------------------------------------------
    @staticmethod
    def _sync_jobs(trap):
        return [j for j in trap.enqueued_jobs if j.method_name in ("_job_pull", "_job_push")]

    def _pending_live_connection(self):
        connection = self.env["fieldops.calendar.connection"].create({
            "name": "Live calendar", "provider": "microsoft", "team_ids": [(6, 0, self.team.ids)],
            "responsible_user_id": self.admin.id, "state": "connected", "first_sync_pending": True})
        return connection

    def test_in_sandbox_mode_nothing_gates_the_first_sync(self):
        connection = self._pending_live_connection()
        with trap_jobs() as trap:
            action = connection.action_start_first_sync()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("First sync started", action["params"]["message"])
        self.assertFalse(connection.first_sync_pending)
        self.assertTrue(self._sync_jobs(trap))

    def test_outside_sandbox_a_red_item_stops_the_first_sync_until_overridden_with_a_reason(self):
        self.sandbox_off()
        connection = self._pending_live_connection()
        with trap_jobs() as trap:
            action = connection.action_start_first_sync()
            self.assertEqual(action["res_model"], "fieldops.calendar.readiness.override")
            self.assertTrue(connection.first_sync_pending)
            self.assertFalse(self._sync_jobs(trap))
            wizard = self.env[action["res_model"]].browse(action["res_id"])
            self.assertIn("Microsoft app credentials", wizard.blockers)
            wizard.reason = "   "
            with self.assertRaises(UserError):
                wizard.action_start_anyway()
            wizard.reason = "Pilot with one mailbox; webhooks checked from outside"
            wizard.action_start_anyway()
            self.assertFalse(connection.first_sync_pending)
            self.assertTrue(self._sync_jobs(trap))
        # the override's note, then the usual "started the first sync"
        self.assertIn("started the first sync", connection.message_ids[0].body)
        note = connection.message_ids[1].body
        self.assertIn("although the integration is not ready", note)
        self.assertIn("Pilot with one mailbox", note)
        self.assertIn("Microsoft app credentials", note)

    def test_a_manager_is_told_what_blocks_and_cannot_override(self):
        self.sandbox_off()
        connection = self._pending_live_connection()
        manager = new_test_user(self.env, "ready_mgr", groups="fieldservice.group_fsm_manager,base.group_user")
        with self.assertRaises(UserError) as caught:
            connection.with_user(manager).action_start_first_sync()
        self.assertIn("Ask an administrator", str(caught.exception))
        self.assertTrue(connection.first_sync_pending)

    def test_connecting_without_a_preview_still_waits_while_not_ready(self):
        self.sandbox_off()
        self.params.set_param("fieldops_calendar_sync.preview_first_sync", "False")
        connection = self.env["fieldops.calendar.connection"].create({
            "name": "Live, no preview", "provider": "google", "team_ids": [(6, 0, self.team.ids)],
            "responsible_user_id": self.admin.id, "state": "connected"})
        with trap_jobs() as trap:
            connection._after_connect()
            self.assertFalse(self._sync_jobs(trap))
        self.assertTrue(connection.first_sync_pending)
        self.assertIn("not ready for live calendars", connection.message_ids[0].body)

    # -- who sees it -------------------------------------------------------------------
    def test_a_dispatcher_cannot_open_the_panel(self):
        dispatcher = new_test_user(self.env, "ready_disp",
                                   groups="fieldservice.group_fsm_dispatcher,base.group_user")
        self.Readiness._refresh(probe_url=False)
        with self.assertRaises(AccessError):
            self.Readiness.with_user(dispatcher).search([]).read(["name"])
        menu = self.env.ref("fieldops_calendar_sync.menu_calendar_readiness")
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(dispatcher)._visible_menu_ids())
        with self.assertRaises(UserError):
            self.Readiness.with_user(dispatcher).action_check_again()

    def test_the_panel_in_the_browser(self):
        self.start_tour("/odoo/action-fieldops_calendar_sync.action_calendar_readiness",
                        "fieldops_readiness_panel", login="admin")
