"""How far a long sync step has got (first sync, full resync, removing events), for the connection form.

A job's own transaction is committed only at its end (a pull) or per batch, so its progress is
written here, on a short cursor of its own, in a row apart from the connection: the job keeps
writing the connection row itself without a concurrent update in its way.
"""

from odoo import _, api, fields, models

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


class CalendarConnection(models.Model):
    # pylint: disable-next=consider-merging-classes-inherited; one file per concern keeps each under 400 lines
    _inherit = "fieldops.calendar.connection"

    progress_label = fields.Char(compute="_compute_progress_label")

    def _compute_progress_label(self):
        # the rows are written in SQL by the running job's own cursor: never trust what this one cached
        self.env["fieldops.calendar.sync.progress"].invalidate_model()
        rows = self.env["fieldops.calendar.sync.progress"].sudo().search([("connection_id", "in", self.ids)])
        by_connection = {row.connection_id.id: row for row in rows}
        for conn in self:
            row = by_connection.get(conn.id)
            if not row:
                conn.progress_label = False
                continue
            # no f-string among _()'s arguments: Odoo's term extractor (babel) evaluates string tokens and,
            # on this Python, gives up on the whole file at one; the step's label comes from the selection,
            # translated
            step = dict(row._fields["kind"]._description_selection(self.env))[row.kind]
            done, total = f"{row.done:,}", f"{row.total:,}"
            if row.total:
                conn.progress_label = _("%(step)s: %(done)s of %(total)s", step=step, done=done, total=total)
            else:
                conn.progress_label = _("%(step)s: %(done)s events read so far", step=step, done=done)

    def _report_progress(self, kind, done, total=0):
        """Record how far the step got, committed at once so the form shows it while the job runs."""
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            cr.execute(
                "INSERT INTO fieldops_calendar_sync_progress (connection_id, company_id, kind, done, total, "
                "updated_at) VALUES (%s, %s, %s, %s, %s, now() at time zone 'UTC') ON CONFLICT (connection_id) "
                "DO UPDATE SET kind = EXCLUDED.kind, done = EXCLUDED.done, total = EXCLUDED.total, "
                "updated_at = EXCLUDED.updated_at",
                (self.id, self.company_id.id, kind, done, total))

    def _clear_progress(self):
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            cr.execute("DELETE FROM fieldops_calendar_sync_progress WHERE connection_id = %s", (self.id,))

    @api.model
    def _progress_kind_of_pull(self, connection, full):
        if not connection.last_pull_at and not connection.last_push_at:
            return "first"
        return "full" if full else None
