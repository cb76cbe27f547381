"""A Google watch channel or a Microsoft Graph subscription of one connection."""

from datetime import timezone

from odoo import fields, models

from calsync.webhooks import KnownChannel, token_digest


class CalendarChannel(models.Model):
    _name = "fieldops.calendar.channel"
    _description = "Calendar push channel"
    _order = "id desc"

    connection_id = fields.Many2one(
        "fieldops.calendar.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, related="connection_id.company_id", store=True, precompute=True
    )
    provider = fields.Selection(related="connection_id.provider", store=True)
    external_id = fields.Char(
        required=True, readonly=True, index=True,
        help="Google channel id / Microsoft subscription id",
    )
    resource_id = fields.Char(readonly=True, help="Google resourceId / Microsoft resource path")
    token_hash = fields.Char(readonly=True, groups="base.group_system", copy=False)
    expires_at = fields.Datetime(readonly=True)
    state = fields.Selection(
        [("pending", "Being created"), ("active", "Active"), ("stopped", "Stopped"), ("failed", "Failed")],
        default="pending",
        required=True,
        index=True,
    )
    last_error = fields.Text(readonly=True)

    _sql_constraints = [
        ("external_id_unique", "UNIQUE(provider, external_id)", "A push channel id is unique per provider."),
    ]

    def _set_token(self, token):
        """Store only a SHA-256 of the (high-entropy) token: enough to verify, useless to forge."""
        self.sudo().token_hash = token_digest(token)

    def _as_known_channel(self):
        """The engine's view of this row, for webhook verification."""
        self.ensure_one()
        channel = self.sudo()
        expires = channel.expires_at.replace(tzinfo=timezone.utc) if channel.expires_at else None
        return KnownChannel(key=channel.id, external_id=channel.external_id, resource_id=channel.resource_id or "",
                            token_hash=channel.token_hash or "", expires_at=expires,
                            active=channel.state in ("pending", "active"))
