"""Server-side half of one OAuth sign-in: single use, short-lived, bound to a user and company."""

from datetime import timedelta

from odoo import api, fields, models


class CalendarOAuthSession(models.Model):
    _name = "fieldops.calendar.oauth.session"
    _description = "Calendar sign-in in progress"
    _log_access = True

    nonce = fields.Char(required=True, index=True, readonly=True)
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade", readonly=True)
    connection_id = fields.Many2one(
        "fieldops.calendar.connection", required=True, ondelete="cascade", readonly=True
    )
    payload_encrypted = fields.Text(readonly=True, groups="base.group_system", copy=False,
                                    help="PKCE verifier / sign-in flow, encrypted.")
    expires_at = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [("nonce_unique", "UNIQUE(nonce)", "A sign-in nonce is used once.")]

    @api.autovacuum
    def _gc_expired(self):
        self.sudo().search([("expires_at", "<", fields.Datetime.now() - timedelta(hours=1))]).unlink()
