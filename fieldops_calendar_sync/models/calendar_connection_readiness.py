"""The readiness gate on connections: outside sandbox mode, no first sync while a blocking item is red.

An administrator may start it anyway, giving a reason that the connection's chatter keeps.
"""


from odoo import _, models
from odoo.exceptions import UserError

from calsync.readiness import ConnectionFacts

from ..adapters import providers
from ..tools.odoo_time import aware


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    def _readiness_connection_facts(self):
        self.ensure_one()
        channel = self.sudo().channel_ids.filtered(lambda c: c.state in ("active", "pending", "failed"))[:1]
        last = self.env["fieldops.calendar.notification"].sudo().search(
            [("connection_id", "=", self.id), ("status", "=", "accepted")], order="received_at desc", limit=1)
        return ConnectionFacts(
            name=self.name, provider=self.provider, connected=self._is_connected(), state=self.state,
            push_refused=bool(providers.push_refusal(self.env)), channel_state=channel.state or None,
            channel_expires_at=aware(channel.expires_at), last_notification_at=aware(last.received_at),
            last_pull_at=aware(self.last_pull_at), last_push_at=aware(self.last_push_at))

    def _readiness_blockers(self):
        """The readiness rows that stop this connection's first sync now (none in sandbox mode)."""
        self.ensure_one()
        Readiness = self.env["fieldops.calendar.readiness"].sudo()
        keys = [item.key for item in Readiness._blockers(self.provider)]
        return Readiness.search([("key", "in", keys), ("connection_id", "=", False)])

    def action_start_first_sync(self, in_dialog=False):
        if not self.env.context.get("fieldops_readiness_overridden"):
            for connection in self.filtered("first_sync_pending"):
                blockers = connection._readiness_blockers()
                if blockers:
                    return connection._readiness_refusal(blockers)
        return super().action_start_first_sync(in_dialog=in_dialog)

    def _readiness_refusal(self, blockers):
        """Say what blocks the first sync; an administrator gets the override form, others the list."""
        listing = "\n".join(f"- {row.name}: {row.advice or ''}".rstrip(": ") for row in blockers)
        if not self.env.is_system():
            raise UserError(_("The first sync of %(name)s cannot start: the integration is not ready.\n%(list)s\n"
                              "Ask an administrator to fix these (Settings > Calendar Sync > Readiness).",
                              name=self.name, list=listing))
        wizard = self.env["fieldops.calendar.readiness.override"].create(
            {"connection_id": self.id, "blockers": listing})
        return {"type": "ir.actions.act_window", "name": _("Integration not ready"),
                "res_model": wizard._name, "res_id": wizard.id, "view_mode": "form", "target": "new"}

    def _after_connect(self):
        """Connected without a preview (the setting is off): still no live first sync while blocked."""
        if not providers.sandbox_mode(self.env):
            for connection in self:
                if connection._readiness_blockers():
                    connection.sudo().first_sync_pending = True
                    connection.message_post(body=_(
                        "Connected, but the integration is not ready for live calendars: the first sync waits. "
                        "See Settings > Calendar Sync > Readiness, then start it."))
        return super()._after_connect()  # adopts the jobs and opens channels; the first sync waits
