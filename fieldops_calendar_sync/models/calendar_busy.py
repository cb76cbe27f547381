"""When a technician's calendar is not free (issue #26): start, end and status, nothing else.

The dispatcher needs to know *that* a crew member is busy, never *why*: the blocks
carry no title, no location, no attendees (``calsync.availability.BusyBlock``), so
nothing private from a personal calendar is ever stored in Odoo. Rows belong to the
connection that read them and go with it: replaced at each refresh, deleted when the
calendar is disconnected or removed.
"""

from odoo import fields, models

STATUSES = [("busy", "Busy"), ("tentative", "Tentative"), ("oof", "Out of office")]


class CalendarBusy(models.Model):
    _name = "fieldops.calendar.busy"
    _description = "Busy time of a calendar"
    _order = "start, id"

    connection_id = fields.Many2one("fieldops.calendar.connection", required=True, index=True, ondelete="cascade",
                                    readonly=True)
    company_id = fields.Many2one(related="connection_id.company_id", store=True, index=True, readonly=True)
    person_id = fields.Many2one("fsm.person", string="Worker", index="btree_not_null", ondelete="cascade",
                                readonly=True,
                                help="The worker whose calendar this is, when the calendar carries one worker's jobs")
    start = fields.Datetime(required=True, index=True, readonly=True)
    end = fields.Datetime(required=True, readonly=True)
    status = fields.Selection(STATUSES, required=True, default="busy", readonly=True)

    _sql_constraints = [
        ("end_after_start", "CHECK(\"end\" > start)", "A busy time ends after it starts."),
    ]


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    busy_ids = fields.One2many("fieldops.calendar.busy", "connection_id", string="Busy times", readonly=True)

    def _disconnect(self, note):
        """A disconnected calendar is no longer read: what we knew of its busy times goes too."""
        result = super()._disconnect(note)
        self.env["fieldops.calendar.busy"].sudo().search([("connection_id", "in", self.ids)]).unlink()
        return result
