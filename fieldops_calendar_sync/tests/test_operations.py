"""Operating the addon: neutralized copies, uninstall cleanup, coexistence warning."""

from odoo.modules.neutralize import neutralize_database
from odoo.tests import tagged

from .common import TwoCompaniesCase


@tagged("post_install", "-at_install")
class TestNeutralize(TwoCompaniesCase):
    def test_neutralized_copy_is_disconnected_locally(self):
        connections = self.setup_a["connection"] | self.setup_b["connection"]
        connections.sudo().write({"state": "sandbox_connected", "token_encrypted": "gAAAA-opaque-token-blob",
                                  "sync_cursor": "cursor-1", "pull_requested": True})
        channels = self.setup_a["channel"] | self.setup_b["channel"]
        channels.sudo().write({"token_hash": "a" * 64})
        self.env["ir.config_parameter"].sudo().set_param("fieldops_calendar_sync.google_client_secret", "gAAAA-x")
        # the neutralization runs SQL only: no provider client can be built from it, none is called
        self.env.flush_all()
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        for connection in connections.sudo():
            self.assertEqual(connection.state, "disconnected")
            self.assertFalse(connection.token_encrypted)
            self.assertFalse(connection.sync_cursor)
            self.assertFalse(connection.pull_requested)
        for channel in channels.sudo():
            self.assertEqual(channel.state, "stopped")
            self.assertFalse(channel.token_hash)
        self.assertFalse(self.env["ir.config_parameter"].sudo().get_param(
            "fieldops_calendar_sync.google_client_secret"))
        # nothing to push or pull on a disconnected connection
        self.assertFalse(self.setup_a["connection"]._is_connected())


@tagged("post_install", "-at_install")
class TestCoexistence(TwoCompaniesCase):
    def test_warns_when_another_calendar_sync_is_installed(self):
        connection = self.setup_a["connection"]
        self.assertFalse(connection.coexistence_warning)
        module = self.env["ir.module.module"].search([("name", "=", "google_calendar")])
        self.assertTrue(module, "Odoo's google_calendar module is part of Odoo 18")
        module.state = "installed"
        connection.invalidate_recordset(["coexistence_warning"])
        self.assertIn("google_calendar", connection.coexistence_warning)
