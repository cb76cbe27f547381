"""Every window action of both addons opens in each view mode with the bridge installed."""

from odoo.addons.fieldops_calendar_sync.tests.screens import open_steps, window_action_steps
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestEveryActionWithBridge(HttpCase):
    def test_every_action_of_both_addons_opens(self):
        steps = window_action_steps(self.env, ("fieldops_calendar_sync", "fieldops_calendar_sync_recurring"))
        self.assertIn("fieldops_calendar_sync_recurring.action_calendar_series (list)", [s["label"] for s in steps])
        open_steps(self, steps)
