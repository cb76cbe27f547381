"""Which real calendar a connection holds: the account that signed in, and one connection per calendar."""

import logging

import psycopg2
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from calsync.signin import calendar_key

HOLDING_STATES = ("connected", "sandbox_connected", "needs_reauth", "throttled", "review", "error")
INDEX_NAME = "fieldops_calendar_connection_one_per_calendar"
_logger = logging.getLogger(__name__)


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    typed_account_email = fields.Char(
        string="Account typed", copy=False, readonly=True,
        help="The address entered before signing in, kept when another account signed in.",
    )
    account_notice = fields.Char(compute="_compute_account_notice")
    calendar_key = fields.Char(compute="_compute_calendar_key", store=True, index=True, copy=False)

    def init(self):
        # the constraint below gives the clear message; this index holds even when two sign-ins finish at once
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(f"""
                    CREATE UNIQUE INDEX IF NOT EXISTS {INDEX_NAME} ON fieldops_calendar_connection (calendar_key)
                     WHERE calendar_key IS NOT NULL AND state IN %s
                """, (HOLDING_STATES,))
        except psycopg2.Error as exc:  # a database that already holds a calendar twice: say so, do not block
            _logger.warning("calendar connections: one calendar is connected twice; disconnect one (%s)", exc)

    @api.depends("provider", "account_email", "calendar_ref")
    def _compute_calendar_key(self):
        for conn in self:
            conn.calendar_key = calendar_key(conn.provider, conn.account_email, conn.calendar_ref)

    @api.depends("account_email", "typed_account_email")
    def _compute_account_notice(self):
        for conn in self:
            conn.account_notice = (
                _("%(typed)s was typed, but %(signed)s signed in: this connection syncs the calendar of "
                  "%(signed)s.", typed=conn.typed_account_email, signed=conn.account_email)
                if conn.typed_account_email else False
            )

    def _calendar_holder(self, key=None):
        """Another connection (any company, archived too) that holds the calendar ``key`` (default: ours).

        Read in SQL without flushing: flushing our own pending write first would meet the unique index
        before this check could say which connection holds the calendar.
        """
        self.ensure_one()
        key = key or calendar_key(self.provider, self.account_email, self.calendar_ref)
        if not key:
            return self.browse()
        self.env.cr.execute(
            "SELECT id FROM fieldops_calendar_connection WHERE calendar_key = %s AND id != %s AND state IN %s "
            "ORDER BY id LIMIT 1", (key, self.id or 0, HOLDING_STATES))
        row = self.env.cr.fetchone()
        return self.sudo().browse(row[0]) if row else self.browse()

    def _calendar_taken_message(self, holder):
        """Within the company, name the connection to use instead; across companies, name nothing of theirs."""
        if holder.company_id == self.company_id:
            return _("This calendar is already connected as “%(name)s”. One calendar is synced by one connection "
                     "only: use that connection, or disconnect it first.", name=holder.name)
        return _("This calendar is already connected in another company. One calendar is synced by one "
                 "connection only; ask that company to disconnect it first.")

    def _check_calendar_free(self, key=None):
        """Refuse (before anything is stored) to connect a calendar another connection holds."""
        holder = self._calendar_holder(key)
        if holder:
            raise ValidationError(self._calendar_taken_message(holder))

    @api.constrains("provider", "account_email", "calendar_ref", "state")
    def _check_one_connection_per_calendar(self):
        for conn in self.filtered(lambda c: c.state in HOLDING_STATES):
            conn._check_calendar_free()
