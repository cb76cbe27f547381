"""Recurring orders: their schedule as a provider rule, and changes that the calendar series must follow."""

from datetime import timezone

import pytz
from odoo import _, fields, models

from calsync.recurrence import Recurrence, Unrepresentable

WEEKDAY_FIELDS = ("mo", "tu", "we", "th", "fr", "sa", "su")
# fields of a recurring order that change the series' rule (its content belongs to each occurrence's order,
# and OCA applies description, duration or location changes to the orders it makes next, not to the made ones)
SERIES_FIELDS = {"state", "fsm_frequency_set_id", "end_date", "max_orders"}
RULE_FIELDS = {"interval", "interval_type", "is_exclusive", "use_bymonthday", "month_day", "use_byweekday",
               "use_bymonth", "use_setpos", "set_pos", *WEEKDAY_FIELDS}


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

    def _fieldops_recurrence(self, start, connection):
        """The schedule as one provider rule from ``start``; ``Unrepresentable`` if it cannot be one.

        Only one inclusive daily or weekly rule qualifies, a weekly one on the weekday of ``start`` in the
        calendar's zone: that is a series both Google and Microsoft expand to the same dates as this
        order's frequency set, in the zone where the orders are generated.
        """
        self.ensure_one()
        rules = self.fsm_frequency_set_id.fsm_frequency_ids
        if len(rules) != 1 or rules.is_exclusive:
            raise Unrepresentable(_("the frequency set has %s rules; a calendar series has one", len(rules))
                                  if len(rules) != 1 else _("the frequency set excludes dates"))
        if rules.interval_type not in ("daily", "weekly"):
            raise Unrepresentable(_("only daily and weekly schedules become a calendar series"))
        if rules.use_bymonth or rules.use_bymonthday or rules.use_setpos:
            raise Unrepresentable(_("months, days of the month and positions are not sent as a series"))
        if rules.use_byweekday:
            days = [name for name in WEEKDAY_FIELDS if rules[name]]
            zone = connection.responsible_user_id.tz or "UTC"
            local = start.astimezone(pytz.timezone(zone if zone in pytz.all_timezones_set else "UTC"))
            if (rules.interval_type == "daily" and len(days) < 7) or \
                    (rules.interval_type == "weekly" and days != [WEEKDAY_FIELDS[local.weekday()]]):
                raise Unrepresentable(_("the schedule picks days of the week other than the first order's"))
        if self.end_date and self.max_orders:
            raise Unrepresentable(_("the schedule has both an end date and a maximum number of orders"))
        until = self.end_date.replace(tzinfo=timezone.utc) if self.end_date else None
        return Recurrence(rules.interval_type, rules.interval, until=until, count=self.max_orders or None)


class FsmFrequencySet(models.Model):
    _inherit = "fsm.frequency.set"

    def write(self, vals):
        result = super().write(vals)
        if "fsm_frequency_ids" in vals:
            self.env["fsm.recurring"].search([("fsm_frequency_set_id", "in", self.ids)])._fieldops_series_changed()
        return result


class FsmFrequency(models.Model):
    _inherit = "fsm.frequency"

    def write(self, vals):
        result = super().write(vals)
        if RULE_FIELDS & set(vals):
            sets = self.env["fsm.frequency.set"].search([("fsm_frequency_ids", "in", self.ids)])
            self.env["fsm.recurring"].search([("fsm_frequency_set_id", "in", sets.ids)])._fieldops_series_changed()
        return result
