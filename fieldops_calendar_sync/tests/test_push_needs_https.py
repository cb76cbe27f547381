"""Google and Microsoft push only to https: without it no channel is opened, pulls carry the changes."""

from odoo.tests import tagged

from .sandbox import SandboxCase, run_job


@tagged("post_install", "-at_install")
class TestPushNeedsHttps(SandboxCase):
    account_prefix = "push"

    def _settings_warning(self, **values):
        settings = self.env["res.config.settings"].create(values)
        return settings.fieldops_push_warning

    def test_settings_accept_a_plain_http_url_and_say_what_it_costs(self):
        params = self.env["ir.config_parameter"].sudo()
        warning = self._settings_warning(fieldops_sandbox_mode=False,
                                         fieldops_public_base_url="http://erp.example.com")
        self.assertIn("only to https", warning)
        self.assertIn("http://erp.example.com", warning)
        self.assertIn("safety-net pull", warning)
        self.assertFalse(self._settings_warning(fieldops_sandbox_mode=False,
                                                fieldops_public_base_url="https://erp.example.com"))
        # the sandbox pushes to this machine's loopback over http, and only there
        self.assertFalse(self._settings_warning(fieldops_sandbox_mode=True,
                                                fieldops_public_base_url="http://127.0.0.1:8069"))
        self.assertTrue(self._settings_warning(fieldops_sandbox_mode=True,
                                               fieldops_public_base_url="http://erp.example.com"))
        # accepted: saving keeps the address
        self.env["res.config.settings"].create({"fieldops_sandbox_mode": False,
                                                "fieldops_public_base_url": "http://erp.example.com"}).execute()
        self.assertEqual(params.get_param("fieldops_calendar_sync.public_base_url"), "http://erp.example.com")

    def test_no_channel_is_opened_pulls_still_run_and_the_health_board_says_why(self):
        params = self.env["ir.config_parameter"].sudo()
        # an address the providers cannot push to (the sandbox allows plain http on loopback only)
        params.set_param("fieldops_calendar_sync.public_base_url", "http://erp.example.com")
        self.connection.channel_ids.unlink()
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_keep_channels")
        self.assertFalse(self.connection.channel_ids, "no channel row, not even a pending one")
        watches = [r for r in self.emulator.requests_log()[mark:] if "watch" in r["path"]]
        self.assertFalse(watches, "the provider was never asked to push")

        job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "scheduled_date_start": "2026-12-14 09:00:00", "scheduled_date_end": "2026-12-14 11:00:00"})
        run_job(self, self.connection, "_job_push")
        self.emulator.person_edit(job.calendar_link_ids.event_id, {"description": "Gate code 4711"},
                                  account=self.account)
        run_job(self, self.connection, "_job_pull")
        self.assertIn("Gate code 4711", job.description, "the pull brought the calendar's edit without a push")
        self.assertEqual(job.calendar_link_ids.state, "in_sync")

        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.health, "warning")
        self.assertIn("not https", self.connection.health_summary)
        self.assertIn("only to https", self.connection.push_off_reason)

        # back on an address the sandbox pushes to: the reason goes (opening channels there is tested elsewhere;
        # not here, as the sandbox's first notification would reach the server during the next test)
        params.set_param("fieldops_calendar_sync.public_base_url", self.base_url())
        self.connection.invalidate_recordset()
        self.assertFalse(self.connection.push_off_reason)
        self.assertNotIn("not https", self.connection.health_summary)


@tagged("post_install", "-at_install")
class TestPushNeedsHttpsTour(SandboxCase):
    """In a class of its own: the browser's last requests must not meet the next test's setUp."""

    account_prefix = "push"

    def test_in_the_browser_settings_warn_and_the_health_panel_says_why(self):
        self.start_tour("/odoo/settings", "fieldops_push_needs_https", login="admin")
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("fieldops_calendar_sync.public_base_url"), "https://erp.example.com")
        self.env["ir.config_parameter"].sudo().set_param("fieldops_calendar_sync.public_base_url",
                                                         "http://erp.example.com")
        self.start_tour("/odoo/action-fieldops_calendar_sync.action_calendar_health", "fieldops_push_off_on_health",
                        login="admin")
