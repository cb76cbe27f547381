"""When a technician's calendar is not free (issue #26): start, end and status, nothing else.

The dispatcher needs to know *that* a crew member is busy, never *why*: the blocks
carry no title, no location, no attendees (``calsync.availability.BusyBlock``), so
nothing private from a personal calendar is ever stored in Odoo. Rows belong to the
connection that read them and go with it: replaced at each refresh, deleted when the
calendar is disconnected or removed.
"""

from odoo import api, fields, models

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

    @api.model
    def calendar_blocks(self, start, end, person_ids=None):
        """The busy blocks overlapping [start, end) that the current user may read, for the job calendar.

        Called by the Field Service order calendar (``fieldops_fsm_order_calendar`` view) beside the jobs.
        ``start`` and ``end`` are UTC (Odoo's datetime strings or datetimes); ``person_ids``, when given,
        keeps only those workers' blocks (the calendar's worker filter), and a list without workers keeps
        none. Read as the user, under the company rules: a user without read access gets nothing rather
        than an error, so the jobs' calendar never fails because of its busy times. Each block says who
        (the worker, else the calendar's name), when and the status; nothing else is stored to say.
        """
        if not self.has_access("read"):
            return []
        domain = [("start", "<", fields.Datetime.to_datetime(end)), ("end", ">", fields.Datetime.to_datetime(start))]
        if person_ids is not None:
            domain.append(("person_id", "in", [int(person_id) for person_id in person_ids]))
        statuses = dict(self._fields["status"]._description_selection(self.env))
        blocks = self.search(domain)
        # a worker the user may not read (their partner in another company) must not fail the whole answer
        readable_workers = blocks.person_id._filtered_access("read")
        return [
            {
                "id": block.id,
                "person_id": block.person_id.id,
                # else the calendar is named; its name is read past the connection's stricter access only
                # for a row the user may read, so of one of their companies
                "who": (block.person_id in readable_workers and block.person_id.display_name)
                or block.connection_id.sudo().name,
                "start": fields.Datetime.to_string(block.start),
                "end": fields.Datetime.to_string(block.end),
                "status": block.status,
                "status_label": statuses[block.status],
            }
            for block in blocks
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
