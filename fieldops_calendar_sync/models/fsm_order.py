"""Field-service jobs gain their calendar links and a sync status."""

from odoo import _, api, fields, models


class FsmOrder(models.Model):
    _inherit = "fsm.order"

    calendar_link_ids = fields.One2many("fieldops.calendar.link", "job_id", string="Calendar links")
    calendar_conflict_ids = fields.One2many("fieldops.calendar.conflict", "job_id", string="Calendar conflicts")
    calendar_history_ids = fields.One2many("fieldops.calendar.sync.history", "job_id", string="Calendar sync timeline")
    calendar_sync_status = fields.Selection(
        [("none", "Not synced"), ("synced", "Synced"), ("pending", "Pending"), ("conflict", "Conflict"),
         ("error", "Error")],
        compute="_compute_calendar_sync_status",
        search="_search_calendar_sync_status",
        string="Calendar sync",
    )
    calendar_link_count = fields.Integer(compute="_compute_calendar_sync_status")
    calendar_target_ids = fields.Many2many(
        "fieldops.calendar.connection", compute="_compute_calendar_target", string="Will appear in",
        compute_sudo=True, help="The calendars that carry this job, from its team, worker and stage")
    calendar_target_found = fields.Boolean(compute="_compute_calendar_target", compute_sudo=True)
    calendar_target_text = fields.Text(compute="_compute_calendar_target", compute_sudo=True, string="Calendar",
                                       help="Which calendars will carry this job, or why none will")

    def _fieldops_calendar_title(self, connection):
        """The event title for this job on ``connection`` (a hook: other modules title some jobs otherwise)."""
        self.ensure_one()
        return f"{self.name} {self.location_id.name or ''}".strip()

    @api.depends("calendar_link_ids.state", "calendar_link_ids.held_json")
    def _compute_calendar_sync_status(self):
        for job in self:
            live = job.calendar_link_ids.filtered(lambda link: link.state != "tombstone")
            job.calendar_link_count = len(live)
            states = set(live.mapped("state"))
            if any(live.mapped("held_json")):
                states.add("conflict")
            job.calendar_sync_status = self._status_of(states)

    @api.depends("team_id", "person_id", "stage_id", "company_id", "scheduled_date_start")
    def _compute_calendar_target(self):
        """Say, before and after saving, which calendars will carry the job, or why none will."""
        Connection = self.env["fieldops.calendar.connection"].sudo()
        for job in self:
            company = job.company_id or self.env.company
            connections = Connection.search([("company_id", "=", company.id), ("state", "!=", "disconnected")])
            carrying, reasons = Connection, []
            for conn in connections:
                on_crew = (job.team_id and job.team_id in conn.team_ids) or (
                    job.person_id and job.person_id in conn.person_ids)
                if not on_crew:
                    continue
                if conn.direction == "pull_only":
                    reasons.append(_("%s takes this team or worker, but only brings calendar changes to jobs "
                                     "(direction: calendar to jobs only).", conn.name))
                elif not conn._carries(job):
                    reasons.append(_("%s takes this team or worker, but its job filter leaves this job out "
                                     "(for example its stage).", conn.name))
                else:
                    carrying |= conn
            job.calendar_target_ids = carrying
            job.calendar_target_found = bool(carrying)
            if carrying:
                names = ", ".join(carrying.mapped("name"))
                text = _("This job will appear in: %s.", names)
                waiting = carrying.filtered(lambda c: not c._is_connected())
                if waiting:
                    text += " " + _("(%s not connected yet: the event is sent once it is.)",
                                    ", ".join(waiting.mapped("name")))
                if not job.scheduled_date_start:
                    text += " " + _("It is sent once it has a scheduled start.")
            elif not connections:
                text = _("No calendar is connected for %s, so this job reaches no calendar.", company.name)
            else:
                if not reasons:
                    takes = "; ".join(
                        _("%(calendar)s takes %(crews)s", calendar=c.name,
                          crews=", ".join(c.team_ids.mapped("name") + c.person_ids.mapped("name")) or _("no one"))
                        for c in connections)
                    reasons.append(_("Neither its team (%(team)s) nor its worker (%(worker)s) is on a calendar "
                                     "connection: %(takes)s.", team=job.team_id.name or _("none"),
                                     worker=job.person_id.name or _("none"), takes=takes))
                text = _("This job reaches no calendar.") + " " + " ".join(reasons)
            job.calendar_target_text = text

    @staticmethod
    def _status_of(states):
        if not states:
            return "none"
        for state, status in (("conflict", "conflict"), ("error", "error"), ("pending_push", "pending")):
            if state in states:
                return status
        return "synced"

    def _search_calendar_sync_status(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, str):
            return []
        if value == "none":
            domain = [("calendar_link_ids", "=", False)]
        else:
            links = self.env["fieldops.calendar.link"].search_read(
                [("state", "!=", "tombstone"), ("job_id", "!=", False)], ["job_id", "state"]
            )
            states = {}
            for row in links:
                states.setdefault(row["job_id"][0], set()).add(row["state"])
            domain = [("id", "in", [job for job, s in states.items() if self._status_of(s) == value])]
        return domain if operator == "=" else ["!", *domain]

    def action_view_calendar_links(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": _("Calendar links"),
            "res_model": "fieldops.calendar.link",
            "view_mode": "list,form",
            "domain": [("job_id", "=", self.id)],
            "context": {"create": False},
        }
