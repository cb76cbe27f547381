"""The connection's push prepares recurring orders' series before the links are pushed."""

from odoo import models


class CalendarConnection(models.Model):
    _inherit = "fieldops.calendar.connection"

    def _fieldops_before_push(self, client, store):
        result = super()._fieldops_before_push(client, store)
        if getattr(client, "supports_series", False):
            self.env["fieldops.calendar.series"]._prepare_push(self, client, store)
        return result

    def _series_occurrence_links(self, series_id):
        """Also the links of our series ``series_id``'s orders, bound to its occurrences."""
        self.ensure_one()
        return super()._series_occurrence_links(series_id) | self.env["fieldops.calendar.link"].sudo().search([
            ("connection_id", "=", self.id), ("calendar_series_id.remote_id", "=", series_id),
            ("state", "!=", "tombstone"), ("event_id", "!=", False)])

    def _job_remove_events_and_disconnect(self):
        """Removing this calendar's events removes our series too, not only the occurrences linked to orders."""
        self.ensure_one()
        series = self.env["fieldops.calendar.series"].sudo().search(
            [("connection_id", "=", self.id), ("remote_id", "!=", False)])
        if series:
            with self._provider_job():
                client = self._make_client()
                for one in series:
                    client.delete(one.remote_id)
                    one.write({"remote_id": False, "remote_version": False, "state": "active",
                               "needs_update": False})
                    # pylint: disable-next=invalid-commit; per series: a deleted series stays recorded after a crash
                    self.env.cr.commit()
        return super()._job_remove_events_and_disconnect()
