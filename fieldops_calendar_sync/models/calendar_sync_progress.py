"""How far a long sync step has got (first sync, full resync, removing events), for the connection form.

A job's own transaction is committed only at its end (a pull) or per batch, so its progress is
written here, on a short cursor of its own, in a row apart from the connection: the job keeps
writing the connection row itself without a concurrent update in its way.
"""

from odoo import fields, models

KINDS = [("first", "First sync"), ("full", "Full resync"), ("remove", "Removing events")]


class CalendarSyncProgress(models.Model):
    _name = "fieldops.calendar.sync.progress"
    _description = "Progress of a long calendar sync step"
    _log_access = False

    connection_id = fields.Many2one("fieldops.calendar.connection", required=True, ondelete="cascade",
                                    readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    done = fields.Integer(readonly=True)
    total = fields.Integer(readonly=True, help="0 where the provider does not say in advance how many will come")
    updated_at = fields.Datetime(readonly=True)

    _sql_constraints = [("one_per_connection", "UNIQUE(connection_id)", "One progress row per connection.")]
