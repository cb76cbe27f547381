"""A Google watch channel or a Microsoft Graph subscription of one connection."""

import hashlib
import hmac

from odoo import fields, models


def token_digest(token):
    """SHA-256 of a high-entropy channel token: enough to verify it, useless to forge one."""
    return hashlib.sha256((token or "").encode()).hexdigest()


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

    def _token_matches(self, token):
        """Constant-time check of a presented channel token / clientState."""
        self.ensure_one()
        stored = self.sudo().token_hash or ""
        return bool(stored) and hmac.compare_digest(stored, token_digest(token))
