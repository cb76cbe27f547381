"""Recurring orders: their schedule as a provider rule, and changes that the calendar series must follow.

The rule comes from the frequency set's one inclusive rule (``fsm.frequency._fieldops_recurrence``); its
exclusive rules become skipped dates (series exceptions) when the schedule ends. Before it is sent, the
series' dates (dateutil's rrule, ``Recurrence.starts``) are compared with the dates OCA makes orders for
(its own rruleset, ``fsm.frequency.set._get_rruleset``) in the calendar's zone: a rule whose series would
fall on other days, in any month, falls back to separate events.
"""

import itertools
from dataclasses import replace
from datetime import timedelta, timezone

from odoo import _, fields, models
from odoo.addons.fieldops_calendar_sync.tools.odoo_time import naive

from calsync.recurrence import Unrepresentable

# fields of a recurring order that change the series' rule (its content belongs to each occurrence's order,
# and OCA applies description, duration or location changes to the orders it makes next, not to the made ones)
SERIES_FIELDS = {"state", "fsm_frequency_set_id", "end_date", "max_orders"}
COMPARED_SPAN = timedelta(days=3 * 366)  # how far ahead OCA's dates and the series' must agree
COMPARED_DATES = 400  # and at most this many of them (a daily rule reaches it in about 13 months)
MAX_SKIPPED = 100  # skipped dates a series carries (each is an EXDATE, or a deleted occurrence in Outlook)


class FsmRecurring(models.Model):
    _inherit = "fsm.recurring"

    calendar_series_ids = fields.One2many("fieldops.calendar.series", "recurring_id", string="Calendar series")

    def write(self, vals):
        result = super().write(vals)
        if SERIES_FIELDS & set(vals):
            self._fieldops_series_changed()
        return result

    def _fieldops_series_changed(self):
        """Mark this order's series owed an update and queue each calendar's push (it does the provider call)."""
        series = self.env["fieldops.calendar.series"].sudo().search(
            [("recurring_id", "in", self.ids), ("state", "!=", "fallback"), ("remote_id", "!=", False)])
        if series:
            series.write({"needs_update": True})
            series.connection_id._enqueue_push()

    def _fieldops_recurrence(self, start, time_zone):
        """The schedule as one provider rule from ``start`` (the first order the series holds), expanded in
        ``time_zone`` (the series'); ``Unrepresentable`` with the reason if it cannot be one."""
        self.ensure_one()
        rules = self.fsm_frequency_set_id.fsm_frequency_ids
        inclusive = rules.filtered(lambda rule: not rule.is_exclusive)
        if len(inclusive) != 1:
            raise Unrepresentable(_("the frequency set has %s inclusive rules; a calendar series has one",
                                    len(inclusive)))
        if self.end_date and self.max_orders:
            raise Unrepresentable(_("the schedule has both an end date and a maximum number of orders"))
        recurrence = inclusive._fieldops_recurrence()
        try:
            rule = recurrence.anchored(start, time_zone)
        except Unrepresentable as exc:
            raise Unrepresentable(_("the first order does not fit a rule both calendars read the same way (%s)",
                                    exc)) from None
        until = self.end_date.replace(tzinfo=timezone.utc) if self.end_date else None
        if rules - inclusive:
            rule = self._fieldops_skipping(rule, start, time_zone, until)
        else:
            rule = replace(rule, until=until, count=self.max_orders or None)
        horizon = min(until, start + COMPARED_SPAN) if until else start + COMPARED_SPAN
        ours = [naive(d) for d in rule.starts(start, time_zone, before=horizon + timedelta(seconds=1),
                                               limit=COMPARED_DATES)]
        if ours != self._fieldops_oca_dates(start, time_zone, horizon, COMPARED_DATES):
            raise Unrepresentable(_("the calendar series would not fall on the days the orders are made for"))
        return rule

    def _fieldops_oca_dates(self, start, time_zone, until, limit):
        """The starts (naive UTC) OCA makes orders for from ``start`` up to ``until``, skipped dates left out,
        at most ``limit`` (or ``max_orders``) of them: its own rruleset, in the series' zone."""
        dates = self.fsm_frequency_set_id._get_rruleset(dtstart=naive(start), until=naive(until), tz=time_zone)
        limit = min(limit, self.max_orders) if self.max_orders else limit
        return list(itertools.islice(dates, limit))

    def _fieldops_skipping(self, rule, start, time_zone, until):
        """An ending schedule with exclusive rules: the inclusive rule up to the last order, its skipped dates
        as exceptions. An endless one cannot list them all: ``Unrepresentable``."""
        if not until and not self.max_orders:
            raise Unrepresentable(_("the schedule skips dates and has no end: the calendar series cannot list "
                                    "every skipped date"))
        horizon = until or start + timedelta(days=3660)
        made = self._fieldops_oca_dates(start, time_zone, horizon, self.max_orders or COMPARED_DATES * 10)
        if not made:
            raise Unrepresentable(_("the schedule makes no order"))
        last = made[-1].replace(tzinfo=timezone.utc)
        kept = set(made)
        skipped = [d for d in replace(rule, until=last).starts(start, time_zone) if naive(d) not in kept]
        if len(skipped) > MAX_SKIPPED:
            raise Unrepresentable(_("the schedule skips more than %s dates", MAX_SKIPPED))
        return replace(rule, until=last, count=None, exdates=tuple(skipped))


class FsmFrequencySet(models.Model):
    _inherit = "fsm.frequency.set"

    def write(self, vals):
        result = super().write(vals)
        if "fsm_frequency_ids" in vals:
            self.env["fsm.recurring"].search([("fsm_frequency_set_id", "in", self.ids)])._fieldops_series_changed()
        return result
