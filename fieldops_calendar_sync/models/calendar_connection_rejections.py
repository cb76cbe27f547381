"""The refused webhook requests that named a connection's channels, as its form counts them."""

from datetime import timedelta

from odoo import fields, models


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    webhook_rejected_24h = fields.Integer(
        compute="_compute_webhook_rejected_24h", string="Rejected webhooks (24 h)",
        help="Requests to the webhook URLs that named this connection's push channels and were refused in the "
             "last 24 hours (wrong token, expired channel...): the aggregate behind Rejected Webhooks.")

    def _webhook_rejections(self, hours=24):
        """{reason: count} of the rejected requests that named this connection's channels in the last hours."""
        self.ensure_one()
        since = fields.Datetime.now() - timedelta(hours=hours)
        groups = self.env["fieldops.calendar.webhook.rejection"].sudo()._read_group(
            [("connection_id", "=", self.id), ("bucket", ">=", since)], ["reason"], ["count:sum"])
        return {reason: count for reason, count in groups}

    def _compute_webhook_rejected_24h(self):
        for connection in self:
            connection.webhook_rejected_24h = sum(connection._webhook_rejections().values()) if connection.id else 0
