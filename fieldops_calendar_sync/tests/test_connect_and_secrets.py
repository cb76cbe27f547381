"""Connecting a calendar through the real OAuth code flow, and what is stored afterwards."""

import base64
import urllib.parse

from odoo.tests import new_test_user, tagged

from .sandbox import SandboxHttpCase


@tagged("post_install", "-at_install")
class TestConnectFlow(SandboxHttpCase):
    def setUp(self):
        super().setUp()
        self.manager = new_test_user(self.env, "calmgr", groups="fieldservice.group_fsm_manager,base.group_user",
                                     email="calmgr@example.test", password="calmgr-password-1")
        self.connection = self.env["fieldops.calendar.connection"].create({
            "name": "Dispatch", "provider": "google", "account_email": "dispatch-flow@example.test",
            "responsible_user_id": self.manager.id,
        })

    def _consent(self, connection, user):
        """What the browser does: open the sign-in page, sign in as the typed account; it redirects back."""
        action = connection.with_user(user).action_connect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        location = self.sign_in_page(action["url"], "dispatch-flow@example.test")
        self.assertTrue(location.startswith(self.base_url() + "/fieldops_calendar_sync/oauth/google/callback"))
        return location

    def _callback(self, location):
        self.env.flush_all()
        split = urllib.parse.urlsplit(location)
        return self.url_open(f"{split.path}?{split.query}", allow_redirects=False)

    def test_connect_end_to_end_and_secrets_at_rest(self):
        location = self._consent(self.connection, self.manager)
        self.authenticate("calmgr", "calmgr-password-1")
        answer = self._callback(location)
        self.assertEqual(answer.status_code, 303, answer.text[:300])
        self.assertEqual(answer.headers.get("Referrer-Policy"), "no-referrer", "the code must not leak by Referer")
        self.assertIn(f"/odoo/calendar-connections/{self.connection.id}", answer.headers["Location"])
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "sandbox_connected")
        self.assertEqual(self.connection.calendar_ref, "primary")
        # the tokens the sandbox issued appear nowhere in the database in plaintext
        issued = [t for t in list(self.sandbox.google.refresh) + list(self.sandbox.google.access)]
        self.assertTrue(issued)
        self.env.flush_all()
        for secret in [*issued, self.sandbox.google.client_secret]:
            self.assertFalse(self._database_contains(secret), "a token or secret is stored in plaintext")
        blob = self.connection.sudo().token_encrypted
        self.assertTrue(blob and blob.startswith("gAAAA"))
        # a non-admin cannot read the encrypted fields at all
        dispatcher = new_test_user(self.env, "disp_secret", groups="fieldservice.group_fsm_manager,base.group_user")
        record = self.connection.with_user(dispatcher)
        self.assertNotIn("token_encrypted", record.fields_get())
        with self.assertRaises(Exception):  # noqa: B017 - AccessError or a missing-field error, both refuse
            record.read(["token_encrypted"])
        # the sign-in session was consumed: the same callback again is refused and changes nothing
        replay = self._callback(location)
        self.assertEqual(replay.status_code, 400)
        self.assertIn("already used", replay.text)
        self.assertEqual(replay.headers.get("Referrer-Policy"), "no-referrer", "refusals carry it too")

    def test_tampered_state_is_refused_and_changes_nothing(self):
        location = self._consent(self.connection, self.manager)
        tampered = location.replace("state=", "state=x")
        self.authenticate("calmgr", "calmgr-password-1")
        answer = self._callback(tampered)
        self.assertEqual(answer.status_code, 400)
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "draft")
        self.assertFalse(self.connection.sudo().token_encrypted)

    def test_another_user_cannot_finish_my_sign_in(self):
        location = self._consent(self.connection, self.manager)
        new_test_user(self.env, "intruder", groups="fieldservice.group_fsm_manager,base.group_user",
                      password="intruder-password-1")
        self.authenticate("intruder", "intruder-password-1")
        answer = self._callback(location)
        self.assertEqual(answer.status_code, 400)
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "draft")

    def test_provider_error_on_callback_shows_a_clear_message(self):
        location = self._consent(self.connection, self.manager)
        split = urllib.parse.urlsplit(location)
        params = dict(urllib.parse.parse_qsl(split.query))
        params = {"state": params["state"], "error": "access_denied", "error_description": "The user said no"}
        self.authenticate("calmgr", "calmgr-password-1")
        answer = self._callback(f"{split.path}?{urllib.parse.urlencode(params)}")
        self.assertEqual(answer.status_code, 400)
        self.assertIn("The user said no", answer.text)
        self.assertNotIn("Traceback", answer.text)
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "draft")

    def test_connecting_without_an_encryption_key_refuses_clearly(self):
        from odoo.exceptions import UserError
        from odoo.tools import config

        saved = config.get("fieldops_calendar_sync_key")
        config["fieldops_calendar_sync_key"] = ""
        try:
            import os

            env_saved = os.environ.pop("FIELDOPS_CALENDAR_SYNC_KEY", None)
            with self.assertRaisesRegex(UserError, "No encryption key"):
                self.connection.with_user(self.manager).action_connect()
        finally:
            config["fieldops_calendar_sync_key"] = saved
            if env_saved:
                os.environ["FIELDOPS_CALENDAR_SYNC_KEY"] = env_saved

    def _database_contains(self, secret):
        """Search every text-like and binary column of every table, and attachments, for ``secret``."""
        cr = self.env.cr
        cr.execute("""
            SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
              JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
               AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea')
        """)
        needle_b64 = base64.b64encode(secret.encode()).decode()[:20]
        for table, column, data_type in cr.fetchall():
            expr = f'convert_from("{column}", \'LATIN1\')' if data_type == "bytea" else f'"{column}"::text'
            cr.execute(f'SELECT 1 FROM "{table}" WHERE strpos({expr}, %s) > 0 OR strpos({expr}, %s) > 0 LIMIT 1',
                       (secret, needle_b64))
            if cr.fetchone():
                return f"{table}.{column}"
        return None

    def test_connect_microsoft_end_to_end(self):
        connection = self.env["fieldops.calendar.connection"].create({
            "name": "Outlook", "provider": "microsoft", "account_email": "outlook-flow@example.test",
            "responsible_user_id": self.manager.id,
        })
        action = connection.with_user(self.manager).action_connect()
        location = self.sign_in_page(action["url"], "outlook-flow@example.test")
        self.assertTrue(location.startswith(self.base_url() + "/fieldops_calendar_sync/oauth/microsoft/callback"))
        self.authenticate("calmgr", "calmgr-password-1")
        done = self._callback(location)
        self.assertEqual(done.status_code, 303, done.text[:300])
        self.assertEqual(done.headers.get("Referrer-Policy"), "no-referrer")
        self.env.invalidate_all()
        self.assertEqual(connection.state, "sandbox_connected")
        self.assertEqual(connection.account_email, "outlook-flow@example.test")
        self.env.flush_all()
        for secret in [*self.sandbox.microsoft.refresh, self.sandbox.microsoft.client_secret]:
            self.assertFalse(self._database_contains(secret), "a Microsoft token is stored in plaintext")
