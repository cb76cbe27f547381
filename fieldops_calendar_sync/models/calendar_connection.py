"""One calendar of one account (Google or Microsoft 365), owned by one company."""

import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.safe_eval import safe_eval

_logger = logging.getLogger(__name__)

STATES = [
    ("draft", "Not connected"),
    ("connected", "Connected"),
    ("sandbox_connected", "Connected (sandbox)"),
    ("needs_reauth", "Needs reconnecting"),
    ("throttled", "Throttled"),
    ("review", "Held for review"),
    ("error", "Error"),
    ("disconnected", "Disconnected"),
]
CONNECTED_STATES = ("connected", "sandbox_connected", "throttled", "review")


OWNERS = [("both", "Both (review where both change)"), ("job", "The job"), ("calendar", "The calendar")]

class CalendarConnection(models.Model):
    _name = "fieldops.calendar.connection"
    _description = "Calendar connection"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "company_id, name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    provider = fields.Selection(
        [("google", "Google Calendar"), ("microsoft", "Microsoft 365 / Outlook")],
        required=True,
        tracking=True,
    )
    direction = fields.Selection(
        [("two_way", "Two-way"), ("push_only", "Jobs to calendar only"), ("pull_only", "Calendar to jobs only")],
        required=True,
        default="two_way",
        tracking=True,
    )
    state = fields.Selection(STATES, required=True, default="draft", tracking=True, copy=False)
    sandbox = fields.Boolean(
        copy=False, readonly=True, help="Connected to the local sandbox providers instead of the real ones."
    )
    account_email = fields.Char(
        copy=False, tracking=True,
        help="Before connecting: the account to sign in as (the sign-in page offers it first). Once connected: "
        "the account that really signed in, as the provider reports it.",
    )
    calendar_ref = fields.Char(
        string="Calendar id",
        help="Google: 'primary' or a calendar id. Microsoft: empty for the mailbox's default calendar.",
    )
    responsible_user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        required=True,
        default=lambda self: self.env.user,
        help="Sync work runs as this user, and problems are reported to them as activities.",
    )
    reviewer_id = fields.Many2one(
        "res.users", compute="_compute_reviewer_id", store=True, readonly=False,
        help="Gets an activity for each conflict of this calendar. By default the responsible user.",
    )
    reviewer_group_id = fields.Many2one(
        "res.groups", string="Reviewer group",
        help="Optional: every member of this group sees this calendar's open conflicts and can settle them, "
             "even without the dispatcher role (members need at least the Field Service user role).",
    )
    team_ids = fields.Many2many(
        "fsm.team", string="Teams", check_company=True, help="Jobs of these teams go to this calendar."
    )
    person_ids = fields.Many2many(
        "fsm.person", string="Workers", help="Jobs assigned to these workers go to this calendar."
    )
    job_domain = fields.Char(
        string="Only jobs matching",
        default="[]",
        help="An extra filter on the jobs this calendar carries (for example stages or a date range).",
    )
    owner_schedule = fields.Selection(
        OWNERS, string="Who owns the schedule", required=True, default="both", tracking=True,
        help="Job: calendar edits of the start and end are undone on the calendar. Calendar: dispatchers cannot "
        "change the schedule of a linked job. Both: edits flow both ways; where both sides change, a person "
        "reviews.",
    )
    owner_notes = fields.Selection(
        OWNERS, string="Who owns the notes", required=True, default="both", tracking=True,
        help="As for the schedule, for the job's description.",
    )
    invite_crew = fields.Boolean(
        string="Invite crew as attendees",
        help="Off by default: Microsoft 365 mails every attendee on every change. "
        "When off, the crew is listed in the event's description.",
    )
    allow_calendar_cancel = fields.Boolean(
        string="Calendar deletions cancel jobs",
        help="When off, deleting a job's event in the calendar opens a review instead of cancelling the job.",
    )
    mass_deletion_ratio = fields.Float(
        string="Mass-deletion guard (share)",
        default=0.3,
        help="A pull that would delete or cancel more than this share of the calendar's jobs is held for review.",
    )
    window_past_days = fields.Integer(default=30, help="Microsoft: how far back the pulled window starts.")
    window_future_days = fields.Integer(default=365, help="Microsoft: how far ahead the pulled window ends.")

    # secrets and cursors: system administrators only, never exported or copied
    token_encrypted = fields.Text(groups="base.group_system", copy=False, prefetch=False)
    sync_cursor = fields.Char(groups="base.group_system", copy=False)
    token_expires_at = fields.Datetime(copy=False, readonly=True)

    last_pull_at = fields.Datetime(copy=False, readonly=True)
    last_push_at = fields.Datetime(copy=False, readonly=True)
    last_error = fields.Text(copy=False, readonly=True)
    last_error_kind = fields.Char(copy=False, readonly=True)
    throttled_until = fields.Datetime(copy=False, readonly=True)
    throttled_since = fields.Datetime(copy=False, readonly=True)
    pull_requested = fields.Boolean(copy=False, readonly=True)
    first_sync_pending = fields.Boolean(
        copy=False, readonly=True,
        help="Connected, but waiting for an admin to review the preview of the first sync and start it.",
    )

    link_ids = fields.One2many("fieldops.calendar.link", "connection_id", string="Event links")
    channel_ids = fields.One2many("fieldops.calendar.channel", "connection_id", string="Push channels",
                                  groups="fieldservice.group_fsm_manager")
    conflict_ids = fields.One2many("fieldops.calendar.conflict", "connection_id", string="Conflicts")
    link_count = fields.Integer(compute="_compute_counts")
    pending_count = fields.Integer(compute="_compute_counts", string="Pending changes")
    error_count = fields.Integer(compute="_compute_counts", string="Links in error")
    conflict_count = fields.Integer(compute="_compute_counts", string="Open conflicts")
    channel_expires_at = fields.Datetime(compute="_compute_channel_expiry", string="Push channel expires")
    error_help = fields.Text(compute="_compute_error_help", string="What to do")
    coexistence_warning = fields.Text(compute="_compute_coexistence_warning")

    _sql_constraints = [
        (
            "mass_deletion_ratio_range",
            "CHECK(mass_deletion_ratio > 0 AND mass_deletion_ratio <= 1)",
            "The mass-deletion guard must be a share between 0 and 1.",
        ),
    ]

    # -- computed ----------------------------------------------------------
    @api.depends("responsible_user_id")
    def _compute_reviewer_id(self):
        for conn in self:
            if not conn.reviewer_id:
                conn.reviewer_id = conn.responsible_user_id

    def _compute_counts(self):
        Link = self.env["fieldops.calendar.link"]
        Conflict = self.env["fieldops.calendar.conflict"]
        for conn in self:
            if not conn.id:
                conn.link_count = conn.pending_count = conn.error_count = conn.conflict_count = 0
                continue
            live = [("connection_id", "=", conn.id), ("state", "!=", "tombstone")]
            conn.link_count = Link.search_count(live)
            conn.pending_count = Link.search_count([*live, ("state", "=", "pending_push")])
            conn.error_count = Link.search_count([*live, ("state", "=", "error")])
            conn.conflict_count = Conflict.search_count([("connection_id", "=", conn.id), ("state", "=", "open")])

    @api.depends("channel_ids.expires_at", "channel_ids.state")
    def _compute_channel_expiry(self):
        for conn in self:
            # dispatchers see the expiry on the form but may not read channel rows: only a date comes out
            active = conn.sudo().channel_ids.filtered(lambda c: c.state == "active" and c.expires_at)
            conn.channel_expires_at = max(active.mapped("expires_at")) if active else False

    @api.depends("state", "last_error_kind")
    def _compute_error_help(self):
        advice = {
            "needs_reauth": _(
                "The calendar account no longer accepts our access (consent revoked or password changed). "
                "Click Reconnect and sign in again; pending changes are kept and sent afterwards."
            ),
            "throttled": _(
                "The provider asked us to slow down. Sync resumes by itself when its wait is over; "
                "nothing is lost."
            ),
            "review": _(
                "A pull would have deleted an unusual share of this calendar's jobs, so nothing was applied. "
                "Check the calendar, then confirm or discard the held changes."
            ),
            "error": _(
                "Sync stopped after repeated failures. Read the last error, fix its cause, then click Sync now "
                "(failed queued jobs can also be requeued from Queue Jobs)."
            ),
            "draft": _("Click Connect to sign in to the calendar account."),
            "disconnected": _("This calendar is disconnected. Click Connect to sign in again."),
        }
        for conn in self:
            conn.error_help = advice.get(conn.state, False)

    def _compute_coexistence_warning(self):
        Module = self.env["ir.module.module"].sudo()
        others = Module.search(
            [("name", "in", ["google_calendar", "microsoft_calendar", "fieldservice_calendar"]),
             ("state", "=", "installed")]
        ).mapped("name")
        for conn in self:
            conn.coexistence_warning = (
                _(
                    "Also installed: %(modules)s. If those sync the same jobs or calendar, events could "
                    "appear twice; sync each calendar with one tool only.",
                    modules=", ".join(others),
                )
                if others
                else False
            )

    # -- which jobs this calendar carries ----------------------------------
    def _carried_jobs_domain(self):
        self.ensure_one()
        domain = [("company_id", "=", self.company_id.id)]
        crew = []
        if self.team_ids:
            crew.append([("team_id", "in", self.team_ids.ids)])
        if self.person_ids:
            crew.append([("person_id", "in", self.person_ids.ids)])
        if not crew:
            return [("id", "=", 0)]
        crew_domain = crew[0] if len(crew) == 1 else ["|", *crew[0], *crew[1]]
        extra = safe_eval(self.job_domain or "[]")
        return domain + crew_domain + list(extra)

    @api.constrains("responsible_user_id", "company_id")
    def _check_responsible_company(self):
        # sync work runs as this user and problems reach them as activities: never someone of another company
        for conn in self:
            if conn.company_id not in conn.responsible_user_id.sudo().company_ids:
                raise ValidationError(_(
                    "%(user)s cannot work in %(company)s, yet sync work for this calendar runs as its responsible "
                    "user. Choose a user of %(company)s.",
                    user=conn.responsible_user_id.sudo().name, company=conn.company_id.name))

    @api.constrains("job_domain")
    def _check_job_domain(self):
        for conn in self:
            try:
                extra = safe_eval(conn.job_domain or "[]")
                self.env["fsm.order"].search_count(list(extra))
            except Exception as exc:
                raise UserError(_("The job filter is not a valid domain: %s", exc)) from None

    def _link_carried_jobs(self):
        """Links for the jobs this calendar carries that have none yet (jobs planned before it was connected).

        Only jobs still ahead (within the pulled window's past days) and not closed: a calendar is not
        back-filled with years of finished work.
        """
        Link = self.env["fieldops.calendar.link"].sudo()
        created = Link
        for conn in self.filtered(lambda c: c.direction != "pull_only"):
            since = fields.Datetime.now() - timedelta(days=conn.window_past_days or 0)
            domain = [*conn._carried_jobs_domain(), ("scheduled_date_start", ">=", since),
                      ("stage_id.is_closed", "=", False)]
            jobs = self.env["fsm.order"].sudo().search(domain)
            linked = Link.search([("connection_id", "=", conn.id), ("job_id", "in", jobs.ids),
                                  ("state", "!=", "tombstone")]).job_id
            created |= Link.create([{"connection_id": conn.id, "job_id": job.id, "state": "pending_push"}
                                    for job in jobs - linked])
        return created

    def _carries(self, jobs):
        """The subset of ``jobs`` this connection carries (one query per connection)."""
        self.ensure_one()
        if not jobs:
            return jobs
        return jobs.filtered_domain(self._carried_jobs_domain())

    def _fieldops_before_push(self, client, store):
        """A hook run inside the push job, under the connection's lock, before the owed links are pushed.

        Does nothing here; a module may prepare provider-side objects the links then bind to (the
        recurring-orders bridge creates one event series and binds each order's link to its occurrence).
        """
        return None

    def _series_occurrence_links(self, series_id):
        """The live links whose event the provider last named an occurrence of the series ``series_id``.

        A pull needs them to see an occurrence a person deleted in Outlook, which Graph reports only by
        its absence from the series (``calsync.pull_plan``). The recurring-orders bridge adds its orders'.
        """
        self.ensure_one()
        return self.env["fieldops.calendar.link"].sudo().search([
            ("connection_id", "=", self.id), ("series_event_id", "=", series_id),
            ("state", "!=", "tombstone"), ("event_id", "!=", False)])

    def _field_owners(self):
        """The engine's field -> owner map for this connection."""
        self.ensure_one()
        return {"start": self.owner_schedule, "end": self.owner_schedule, "notes": self.owner_notes}

    def _is_connected(self):
        self.ensure_one()
        return self.state in CONNECTED_STATES

    def _set_error(self, kind, message, state=None):
        """Record a failure in plain words; never a traceback or a secret."""
        vals = {"last_error": message, "last_error_kind": kind}
        if state:
            vals["state"] = state
        self.sudo().write(vals)

    def _clear_error(self):
        self.sudo().write({"last_error": False, "last_error_kind": False})
