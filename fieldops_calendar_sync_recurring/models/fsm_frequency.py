"""One OCA frequency rule as a provider rule: which of its fields a calendar series can say, and how.

OCA builds ``dateutil.rrule(FREQ, interval, byweekday, bymonth, bymonthday, bysetpos)`` from the
rule's fields (``fsm.frequency._get_rrule``), on the wall clock of the user's zone. Each field
combination below is mapped to the ``Recurrence`` that expands to the same dates; any other one raises
``Unrepresentable`` with the reason the recurring order's chatter gives. The recurring order then checks
the result against OCA's own dates (``fsm.recurring._fieldops_recurrence``), so a mapping mistake here
falls back to separate events instead of putting occurrences on the wrong days.
"""

from itertools import pairwise

from odoo import _, models

from calsync.recurrence import WEEKDAYS, Recurrence, Unrepresentable

WEEKDAY_FIELDS = ("mo", "tu", "we", "th", "fr", "sa", "su")
MONTH_FIELDS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
RULE_FIELDS = {"interval", "interval_type", "is_exclusive", "use_bymonthday", "month_day", "use_byweekday",
               "use_bymonth", "use_setpos", "set_pos", *WEEKDAY_FIELDS, *MONTH_FIELDS}
POSITIONS = (1, 2, 3, 4, -1)  # Graph's index: first..fourth, last


class FsmFrequency(models.Model):
    _inherit = "fsm.frequency"

    def write(self, vals):
        result = super().write(vals)
        if RULE_FIELDS & set(vals):
            sets = self.env["fsm.frequency.set"].search([("fsm_frequency_ids", "in", self.ids)])
            self.env["fsm.recurring"].search([("fsm_frequency_set_id", "in", sets.ids)])._fieldops_series_changed()
        return result

    def _fieldops_parts(self):
        """(weekdays, months, day of the month, position) as OCA passes them to rrule (None when unused)."""
        self.ensure_one()
        days = tuple(WEEKDAYS[i] for i, name in enumerate(WEEKDAY_FIELDS) if self[name]) \
            if self.use_byweekday else None
        months = tuple(i + 1 for i, name in enumerate(MONTH_FIELDS) if self[name]) if self.use_bymonth else None
        month_day = self.month_day if self.use_bymonthday else None
        position = self.set_pos if self.use_setpos and self.set_pos else None
        return days, months, month_day, position

    def _fieldops_recurrence(self):
        """This inclusive rule as a ``Recurrence`` without an end (the recurring order adds it)."""
        self.ensure_one()
        days, months, month_day, position = self._fieldops_parts()
        if days == ():
            raise Unrepresentable(_("the rule uses days of the week but picks none"))
        if month_day is not None and month_day < 1:
            raise Unrepresentable(_("only days of the month counted from its start can be a calendar series"))
        kind = self.interval_type
        if kind in ("daily", "weekly"):
            return self._fieldops_daily_weekly(days, months, month_day, position)
        if position is not None and (not days or len(days) != 1 or position not in POSITIONS):
            raise Unrepresentable(_("a calendar series can repeat on the first to fourth or the last of one "
                                    "weekday of the month only"))
        if days and position is None:
            if self.interval == 1 and not months and month_day is None:
                return Recurrence("weekly", days=days)  # every such weekday of every month: a weekly series
            raise Unrepresentable(_("the rule picks weekdays without their position in the month"))
        if days and month_day is not None:
            raise Unrepresentable(_("the rule combines a day of the month with weekdays"))
        if kind == "monthly":
            return self._fieldops_monthly(days, months, month_day, position)
        if months is not None and len(months) != 1:
            raise Unrepresentable(_("a yearly calendar series falls in one month of the year"))
        if months is None and (month_day is not None or position is not None):
            raise Unrepresentable(_("a yearly rule on a day or weekday must name its month"))
        month = months[0] if months else None
        if month_day is not None and month == 2 and month_day > 28:
            raise Unrepresentable(_("29 February is not in every year; the calendars disagree on the others"))
        return self._checked("yearly", days=days or (), position=position, month_day=month_day, month=month)

    def _fieldops_daily_weekly(self, days, months, month_day, position):
        if months is not None or month_day is not None or position is not None:
            raise Unrepresentable(_("months, days of the month and positions are not sent as a daily or weekly "
                                    "series"))
        if self.interval_type == "daily":
            if days is None or len(days) == 7:
                return self._checked("daily")
            if self.interval == 1:
                return self._checked("weekly", days=days)  # every day, some weekdays only: a weekly series
            raise Unrepresentable(_("a rule every few days on some weekdays only cannot be a calendar series"))
        return self._checked("weekly", days=days or ())

    def _fieldops_monthly(self, days, months, month_day, position):
        interval = self.interval
        if months is not None:
            # months at even steps (1, 4, 7, 10) are every third month; other sets have no Graph pattern
            step = 12 // len(months) if months and 12 % len(months) == 0 else 0
            if interval != 1 or not step or any(b - a != step for a, b in pairwise(months)):
                raise Unrepresentable(_("the rule's months are not evenly spaced through the year"))
            interval = step
        if month_day is not None and month_day > 28:
            raise Unrepresentable(_("the 29th to 31st: Google skips shorter months, Outlook uses their last day"))
        return self._checked("monthly", interval=interval, days=days or (), position=position, month_day=month_day)

    def _checked(self, freq, interval=None, **parts):
        try:
            return Recurrence(freq, interval or self.interval, **parts)
        except Unrepresentable as exc:
            raise Unrepresentable(_("the calendars cannot repeat it the same way (%s)", exc)) from None
