"""What the bridge's series tests share: pushing, reading our writes, the order's link and its series."""

from odoo.addons.fieldops_calendar_sync.tests.sandbox import run_job

WRITES = ("POST", "PATCH", "PUT", "DELETE")


class SeriesHelpers:
    """Helpers for a test case with ``self.recurring`` on ``self.connection`` in the provider's sandbox."""

    def writes(self, mark):
        """What we wrote to the calendar since request ``mark`` of the emulator's log."""
        return [r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES]

    def push(self):
        """Run the push job; returns its writes."""
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_push")
        return self.writes(mark)

    def link(self, order):
        return order.calendar_link_ids.filtered(lambda link: link.state != "tombstone")

    def series(self):
        return self.env["fieldops.calendar.series"].search([("recurring_id", "=", self.recurring.id)])

    def master(self):
        return next(e for e in self.emulator.live_events(self.account) if e["id"] == self.series().remote_id)
