"""The harness itself: the addon is installed with its dependencies and the engine is importable."""

import importlib

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstallation(TransactionCase):
    def test_addon_and_dependencies_installed(self):
        modules = self.env["ir.module.module"].search(
            [("name", "in", ["fieldops_calendar_sync", "fieldservice", "queue_job", "mail"])]
        )
        self.assertEqual(
            {m.name: m.state for m in modules},
            {
                "fieldops_calendar_sync": "installed",
                "fieldservice": "installed",
                "queue_job": "installed",
                "mail": "installed",
            },
        )

    def test_engine_importable_from_odoo(self):
        calsync = importlib.import_module("calsync")
        provider = importlib.import_module("calsync.provider")
        self.assertTrue(calsync.__version__.startswith("18.0."))
        self.assertTrue(hasattr(provider, "CalendarProvider"))

    def test_fieldservice_demo_loaded(self):
        # demo data is installed: the test database mirrors what the run command shows
        self.assertTrue(self.env.ref("fieldservice.location_1", raise_if_not_found=False))
