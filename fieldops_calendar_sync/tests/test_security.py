"""What the security suite (devtools/security_suite.py) found, each kept fixed by a regular test."""

import logging
import urllib.parse

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from ..tools.log_redaction import RedactOAuthParams, redact
from .common import TwoCompaniesCase
from .sandbox import SandboxHttpCase

GRAPH_HOOKS = ("/fieldops_calendar_sync/webhook/microsoft", "/fieldops_calendar_sync/webhook/microsoft/lifecycle")


@tagged("post_install", "-at_install")
class TestSecurityRights(TwoCompaniesCase):
    def test_key_rotation_button_is_for_administrators_only(self):
        # call_kw on an empty recordset reached the button without any access check
        connection = self.setup_a["connection"]
        connection._store_token("a-token")
        stored = connection.sudo().token_encrypted
        settings = self.env["res.config.settings"].with_user(self.dispatcher_a).browse()
        with self.assertRaises(AccessError):
            settings.action_fieldops_reencrypt_secrets()
        with self.assertRaises(AccessError):
            connection.with_user(self.manager_b).sudo(False)._reencrypt_all_secrets()
        self.assertEqual(connection.sudo().token_encrypted, stored)
        done = self.env["res.config.settings"].browse().action_fieldops_reencrypt_secrets()
        self.assertEqual(done["params"]["type"], "success")
        self.assertNotEqual(connection.sudo().token_encrypted, stored)

    def test_settings_cannot_be_written_by_non_administrators(self):
        # set_values() on an empty recordset skipped execute()'s admin check and reset the parameters
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("fieldops_calendar_sync.public_base_url", "https://erp.example.test")
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.dispatcher_a).browse().set_values()
        self.assertEqual(params.get_param("fieldops_calendar_sync.public_base_url"), "https://erp.example.test")

    def test_sign_in_payload_is_an_admin_only_field(self):
        fields = self.env["fieldops.calendar.oauth.session"].with_user(self.manager_b).fields_get()
        self.assertNotIn("payload_encrypted", fields)

    def test_wizards_and_review_button_refuse_another_companys_records(self):
        conflict_a = self.setup_a["conflict"]
        with self.assertRaises(AccessError):
            conflict_a.with_user(self.manager_b).action_review()
        Review = self.env["fieldops.calendar.conflict.review"].with_user(self.manager_b)
        with self.assertRaises(AccessError):
            Review.create({"conflict_id": conflict_a.id})
        Preview = self.env["fieldops.calendar.sync.preview"].with_user(self.manager_b)
        with self.assertRaises(AccessError):
            Preview.create({"connection_id": self.setup_a["connection"].id})
        connection_a = self.setup_a["connection"].with_user(self.manager_b)
        for button in ("action_view_links", "action_view_pending", "action_view_conflicts"):
            with self.assertRaises(AccessError, msg=button):
                getattr(connection_a, button)()
        with self.assertRaises(AccessError):
            self.setup_a["job"].with_user(self.manager_b).action_view_calendar_links()
        # one's own company's conflict can still be reviewed
        conflict_b = self.setup_b["conflict"].with_user(self.manager_b)
        self.assertEqual(conflict_b.action_review()["res_model"], "fieldops.calendar.conflict.review")
        self.assertTrue(Review.with_context(default_conflict_id=conflict_b.id).create({}).line_ids)

    def test_responsible_user_must_belong_to_the_calendars_company(self):
        # jobs run as the responsible user and activities go to them: a manager of B named A's dispatcher
        connection_b = self.setup_b["connection"].with_user(self.manager_b)
        with self.assertRaises(ValidationError):
            connection_b.write({"responsible_user_id": self.dispatcher_a.id})
        self.assertEqual(self.setup_b["connection"].responsible_user_id, self.manager_b)
        connection_b.write({"responsible_user_id": self.manager_b.id})

    def test_dispatcher_reads_own_calendar_form_fields(self):
        # the suite's search_read of every visible field: the channel expiry read channel rows as the dispatcher
        connection = self.setup_a["connection"].with_user(self.dispatcher_a)
        names = [name for name, field in connection.fields_get().items() if field["type"] != "binary"]
        values = connection.read(names)[0]
        self.assertEqual(values["channel_expires_at"], False)  # the fixture's channel has no expiry
        self.assertNotIn("channel_ids", names)  # managers only, as the form's page

    def test_access_log_lines_of_the_callbacks_carry_no_code(self):
        line = ("GET /fieldops_calendar_sync/oauth/google/callback?code=sbx-gcode-Abc_1-x&scope=s"
                "&state=n0nce.1700000000.sig-_9 HTTP/1.1")
        self.assertEqual(redact(line), "GET /fieldops_calendar_sync/oauth/google/callback?code=[redacted]&scope=s"
                                       "&state=[redacted] HTTP/1.1")
        nested = "GET /web/login?redirect=" + urllib.parse.quote(
            "/fieldops_calendar_sync/oauth/microsoft/callback?code=sbx-mcode-Q1&state=a.1.b", safe="") + " HTTP/1.1"
        self.assertNotIn("sbx-mcode-Q1", redact(nested))
        self.assertNotIn("a.1.b", redact(nested))
        self.assertEqual(redact("GET /odoo/action-1?code=keep HTTP/1.1"), "GET /odoo/action-1?code=keep HTTP/1.1")
        record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" %s %s', (line, "303", "-"), None)
        RedactOAuthParams().filter(record)
        self.assertNotIn("sbx-gcode", record.getMessage())
        self.assertTrue(any(isinstance(f, RedactOAuthParams) for f in logging.getLogger("werkzeug").filters))


@tagged("post_install", "-at_install")
class TestSecurityHttp(SandboxHttpCase):
    def setUp(self):
        super().setUp()
        self.manager = new_test_user(self.env, "secmgr", groups="fieldservice.group_fsm_manager,base.group_user",
                                     password="secmgr-password-1")
        self.connection = self.env["fieldops.calendar.connection"].create({
            "name": "Replay target", "provider": "google", "account_email": "replay@example.test",
            "responsible_user_id": self.manager.id})

    def test_a_failed_callback_spends_the_state(self):
        action = self.connection.with_user(self.manager).action_connect()
        location = urllib.parse.urlsplit(self.sign_in_page(action["url"], "replay@example.test"))
        params = dict(urllib.parse.parse_qsl(location.query))
        self.authenticate("secmgr", "secmgr-password-1")
        self.env.flush_all()
        wrong = dict(params, code="sbx-gcode-not-the-one")
        self.assertEqual(self.url_open(f"{location.path}?{urllib.parse.urlencode(wrong)}",
                                       allow_redirects=False).status_code, 400)
        # the genuine code with the same state is a replay now
        replay = self.url_open(f"{location.path}?{location.query}", allow_redirects=False)
        self.assertEqual(replay.status_code, 400)
        self.assertIn("already used", replay.text)
        self.env.invalidate_all()
        self.assertEqual(self.connection.state, "draft")
        self.assertFalse(self.connection.sudo().token_encrypted)

    def test_graph_validation_is_echoed_only_while_a_subscription_is_being_created(self):
        payload = "<script>alert(1)</script>"
        for route in GRAPH_HOOKS:
            answer = self.opener.post(self.base_url() + route + "?" + urllib.parse.urlencode(
                {"validationToken": payload}), data=b"", headers={"Content-Type": "text/plain"}, timeout=10)
            self.assertEqual(answer.status_code, 403, route)
            self.assertNotIn(payload, answer.text)
        self.env.invalidate_all()
        self.assertFalse(self.env["fieldops.calendar.notification"].search([("kind", "=", "validation")]),
                         "a refused validation request costs no inbox row (it is counted in the aggregate)")
        # while our subscribe call is open, a pending row exists: Graph's handshake is answered
        self.env["fieldops.calendar.channel"].create({
            "connection_id": self.env["fieldops.calendar.connection"].create({
                "name": "Outlook", "provider": "microsoft", "responsible_user_id": self.manager.id}).id,
            "external_id": "sub-being-created", "state": "pending"})
        self.env.flush_all()
        for route in GRAPH_HOOKS:
            answer = self.opener.post(self.base_url() + route + "?validationToken=Validation%3A+abc", data=b"",
                                      headers={"Content-Type": "text/plain"}, timeout=10)
            self.assertEqual((answer.status_code, answer.text), (200, "Validation: abc"))
            self.assertTrue(answer.headers["Content-Type"].startswith("text/plain"))
            self.assertEqual(answer.headers.get("X-Content-Type-Options"), "nosniff")
