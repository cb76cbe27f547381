"""How far a connection's long step has got (first sync, full resync, removal), as its form shows it."""

from odoo import _, api, fields, models


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
