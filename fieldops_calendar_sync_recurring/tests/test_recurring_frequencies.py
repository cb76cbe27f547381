"""Every frequency of OCA's recurring orders that both calendars can say the same way is one series.

Orders are made at 09:00 in Europe/Paris (the calendar's zone, and the zone OCA generates in), over
months that cross daylight-saving changes; each order must be linked to the occurrence that starts
where it does. Against both providers' sandboxes over real HTTP.
"""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo.addons.fieldops_calendar_sync.tests.sandbox import SandboxCase, run_job
from odoo.addons.fieldops_calendar_sync_recurring.models.fsm_frequency import MONTH_FIELDS
from odoo.tests import tagged

from .series_helpers import SeriesHelpers

PARIS = ZoneInfo("Europe/Paris")


def paris_nine(day):
    """09:00 in Paris on ``day``, as Odoo stores it (naive UTC)."""
    return datetime.combine(day, time(9, 0), tzinfo=PARIS).astimezone(timezone.utc).replace(tzinfo=None)


def months_ago(count, day=1):
    today = date.today()
    month = today.month - count
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, day)


class FrequencyTests(SeriesHelpers):
    """Run once per provider by the classes at the end (a mixin, so not collected alone)."""

    account_prefix = "freq"

    def setUp(self):
        super().setUp()
        self.admin.tz = "Europe/Paris"

    # -- helpers ---------------------------------------------------------------------------
    def make(self, first_day, schedule_days, exclude=None, **rule):
        """A recurring order on ``rule`` (fsm.frequency values) from ``first_day``, ``exclude`` an exclusive rule."""
        rules = self.env["fsm.frequency"].create({"name": "Rule", "interval": 1, **rule})
        if exclude:
            rules |= self.env["fsm.frequency"].create({"name": "Skipped", "interval": 1, "is_exclusive": True,
                                                       **exclude})
        self.rule = rules[0]
        self.recurring = self.env["fsm.recurring"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "fsm_frequency_set_id": self.env["fsm.frequency.set"].create({
                "name": "Set", "fsm_frequency_ids": [(6, 0, rules.ids)], "schedule_days": schedule_days}).id,
            "start_date": paris_nine(first_day), "scheduled_duration": 1.0, "description": "Maintenance"})
        return self

    def start(self, minimum=3, **values):
        if values:
            self.recurring.write(values)
        self.recurring.with_context(tz="Europe/Paris").action_start()
        self.orders = self.recurring.fsm_order_ids.sorted("scheduled_date_start")
        self.assertGreaterEqual(len(self.orders), minimum)
        return self.push()

    def instances(self):
        client = self.connection._make_client()
        starts = [s.replace(tzinfo=timezone.utc) for s in self.orders.mapped("scheduled_date_start")]
        return [i for i in client.series_instances(self.series().remote_id, min(starts) - timedelta(days=1),
                                                   max(starts) + timedelta(days=1)) if not i.deleted]

    def assert_one_series(self, google_part, graph_pattern):
        """One series; its rule as each provider says it; every order on the occurrence that starts with it."""
        series = self.series()
        self.assertEqual(series.state, "active", series.note)
        master = self.master()
        if self.provider == "google":
            self.assertIn(google_part, master["recurrence"][0])
        else:
            pattern = master["recurrence"]["pattern"]
            self.assertEqual({k: pattern[k] for k in graph_pattern}, graph_pattern)
        self.assertEqual(len([e for e in self.emulator.live_events(self.account) if not e.get("seriesMasterId")
                              and not e.get("recurringEventId")]), 1, "the series master only")
        by_id = {i.id: i for i in self.instances()}
        for order in self.orders:
            link = self.link(order)
            self.assertEqual(link.state, "in_sync", link.last_error)
            self.assertEqual(link.calendar_series_id, series)
            occurrence = by_id[link.event_id]
            self.assertEqual(occurrence.original_start.replace(tzinfo=None), order.scheduled_date_start)
            self.assertEqual(occurrence.data.start.astimezone(PARIS).time(), time(9, 0), "09:00 across DST")
        self.assertEqual(len(by_id), len(self.orders), "no occurrence without its order")
        # nothing owed either way afterwards: no echo writes, no order touched, skipped dates not deletions
        before = {o.id: (o.scheduled_date_start, o.stage_id) for o in self.orders}
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.push(), [])
        self.assertEqual(set(self.orders.calendar_link_ids.mapped("state")), {"in_sync"})
        self.assertEqual({o.id: (o.scheduled_date_start, o.stage_id) for o in self.orders}, before)
        return by_id

    def assert_falls_back(self, reason):
        writes = self.push() if self.orders else []
        self.assertEqual(self.series().state, "fallback")
        self.assertIn(reason, self.series().note)
        self.assertEqual([w["method"] for w in writes], ["POST"] * len(self.orders))
        self.assertFalse([e for e in self.emulator.live_events(self.account) if e.get("recurrence")])
        self.assertIn("separate events", self.recurring.message_ids[0].body)
        self.assertIn(reason, self.recurring.message_ids[0].body)

    # -- one series per frequency ----------------------------------------------------------
    def test_monthly_on_the_15th(self):
        self.make(months_ago(2, 1), 400, interval_type="monthly", use_bymonthday=True, month_day=15)
        self.assertEqual(self.start(minimum=12)[0]["method"], "POST")
        self.assert_one_series("BYMONTHDAY=15", {"type": "absoluteMonthly", "dayOfMonth": 15, "interval": 1})
        self.assertEqual({o.scheduled_date_start.day for o in self.orders}, {15})

    def test_quarterly_maintenance(self):
        self.make(months_ago(4, 10), 800, interval_type="monthly", interval=3)
        self.start(minimum=8)
        self.assert_one_series("INTERVAL=3", {"type": "absoluteMonthly", "dayOfMonth": 10, "interval": 3})

    def test_quarterly_as_four_months_of_the_year(self):
        first = months_ago(4, 5)
        months = {"jan": 1, "apr": 4, "jul": 7, "oct": 10} if first.month % 3 == 1 else \
            {"feb": 2, "may": 5, "aug": 8, "nov": 11} if first.month % 3 == 2 else \
            {"mar": 3, "jun": 6, "sep": 9, "dec": 12}
        self.make(first, 800, interval_type="monthly", use_bymonth=True, **dict.fromkeys(months, True))
        self.start(minimum=8)
        self.assert_one_series("INTERVAL=3", {"type": "absoluteMonthly", "dayOfMonth": 5, "interval": 3})

    def test_every_second_tuesday(self):
        self.make(months_ago(2), 400, interval_type="monthly", use_byweekday=True, tu=True, use_setpos=True,
                  set_pos=2)
        self.start(minimum=12)
        self.assert_one_series("BYDAY=2TU", {"type": "relativeMonthly", "daysOfWeek": ["tuesday"],
                                             "index": "second"})

    def test_every_last_friday(self):
        self.make(months_ago(2), 400, interval_type="monthly", use_byweekday=True, fr=True, use_setpos=True,
                  set_pos=-1)
        self.start(minimum=12)
        self.assert_one_series("BYDAY=-1FR", {"type": "relativeMonthly", "daysOfWeek": ["friday"],
                                              "index": "last"})

    def test_yearly_inspection(self):
        first = date.today() - timedelta(days=40)
        if (first.month, first.day) == (2, 29):
            first -= timedelta(days=1)
        self.make(first, 800, interval_type="yearly")
        self.start(minimum=3)
        self.assert_one_series("FREQ=YEARLY", {"type": "absoluteYearly", "month": first.month,
                                               "dayOfMonth": first.day})

    def test_weekly_on_monday_wednesday_friday(self):
        self.make(date.today() - timedelta(days=10), 40, interval_type="weekly", use_byweekday=True, mo=True,
                  we=True, fr=True)
        self.start(minimum=15)
        self.assert_one_series("BYDAY=MO,WE,FR", {"type": "weekly", "daysOfWeek": ["monday", "wednesday",
                                                                                    "friday"]})

    def test_yearly_on_the_last_friday_of_a_month(self):
        first = months_ago(2)
        month = MONTH_FIELDS[first.month - 1]
        self.make(first, 800, interval_type="yearly", use_bymonth=True, use_byweekday=True, fr=True,
                  use_setpos=True, set_pos=-1, **{month: True})
        self.start(minimum=2)
        self.assert_one_series("BYDAY=-1FR", {"type": "relativeYearly", "month": first.month,
                                              "daysOfWeek": ["friday"], "index": "last"})

    def test_daily_on_working_days_is_a_weekly_series(self):
        self.make(date.today() - timedelta(days=10), 30, interval_type="daily", use_byweekday=True,
                  **dict.fromkeys(("mo", "tu", "we", "th", "fr"), True))
        self.start(minimum=15)
        self.assert_one_series("BYDAY=MO,TU,WE,TH,FR", {"type": "weekly", "daysOfWeek": [
            "monday", "tuesday", "wednesday", "thursday", "friday"]})

    # -- what falls back, and why ----------------------------------------------------------
    def test_the_31st_falls_back_and_the_chatter_says_why(self):
        self.make(months_ago(3), 200, interval_type="monthly", use_bymonthday=True, month_day=31)
        self.recurring.with_context(tz="Europe/Paris").action_start()
        self.orders = self.recurring.fsm_order_ids
        self.assertTrue(self.orders)
        self.assert_falls_back("29th to 31st")

    def test_several_weekdays_at_one_position_fall_back(self):
        """"The last weekday of the month" (BYSETPOS over five days) has no Graph pattern that surely agrees."""
        self.make(months_ago(2), 200, interval_type="monthly", use_byweekday=True, mo=True, tu=True, we=True,
                  th=True, fr=True, use_setpos=True, set_pos=-1)
        self.recurring.with_context(tz="Europe/Paris").action_start()
        self.orders = self.recurring.fsm_order_ids
        self.assert_falls_back("one weekday")

    # -- skipped dates ---------------------------------------------------------------------
    def test_skipped_weekends_are_series_exceptions(self):
        first = date.today() - timedelta(days=5)
        self.make(first, 40, interval_type="daily", exclude={"interval_type": "daily", "use_byweekday": True,
                                                             "sa": True, "su": True})
        writes = self.start(minimum=10, end_date=paris_nine(first + timedelta(days=20)))
        self.assertFalse([o for o in self.orders if o.scheduled_date_start.weekday() >= 5])
        by_id = self.assert_one_series("FREQ=DAILY", {"type": "daily"})
        self.assertFalse([i for i in by_id.values() if i.original_start.astimezone(PARIS).weekday() >= 5])
        if self.provider == "google":
            self.assertTrue(self.master()["recurrence"][1].startswith("EXDATE:"))
            self.assertEqual([w["method"] for w in writes], ["POST"])
        else:  # Graph has no skipped dates in a pattern: those occurrences are deleted
            self.assertEqual(writes[0]["method"], "POST")
            self.assertEqual({w["method"] for w in writes[1:]}, {"DELETE"})
        self.assertIn("EXDATE:", self.series().rule)

    def test_skipped_dates_of_an_endless_schedule_fall_back(self):
        self.make(date.today() - timedelta(days=5), 20, interval_type="daily",
                  exclude={"interval_type": "daily", "use_byweekday": True, "sa": True, "su": True})
        self.recurring.with_context(tz="Europe/Paris").action_start()
        self.orders = self.recurring.fsm_order_ids
        self.assert_falls_back("no end")

    # -- edits: one occurrence, the series, its end ----------------------------------------
    def test_an_edit_of_one_second_tuesday_is_an_exception(self):
        self.make(months_ago(2), 200, interval_type="monthly", use_byweekday=True, tu=True, use_setpos=True,
                  set_pos=2)
        self.start(minimum=6)
        occurrence_id = self.link(self.orders[1]).event_id
        self.orders[1].description = "<p>Also check the boiler</p>"
        writes = self.push()
        self.assertEqual([w["method"] for w in writes], ["PATCH"])
        self.assertIn(occurrence_id, writes[0]["path"], "the occurrence, never the series")
        by_id = {i.id: i for i in self.instances()}
        self.assertIn("boiler", by_id[occurrence_id].data.description)
        self.assertFalse([o for o in self.orders - self.orders[1]
                          if "boiler" in by_id[self.link(o).event_id].data.description])

    def test_every_other_second_tuesday_updates_the_series(self):
        self.make(months_ago(2), 200, interval_type="monthly", use_byweekday=True, tu=True, use_setpos=True,
                  set_pos=2)
        self.start(minimum=6)
        self.rule.interval = 2
        self.assertTrue(self.series().needs_update)
        self.push()
        self.assertEqual(self.series().state, "active", self.series().note)
        master = self.master()
        if self.provider == "google":
            self.assertIn("INTERVAL=2", master["recurrence"][0])
        else:
            self.assertEqual(master["recurrence"]["pattern"]["interval"], 2)
        present = {i.id for i in self.instances()}
        for order in self.orders[0::2]:
            self.assertIn(self.link(order).event_id, present)
        for order in self.orders[1::2]:  # off the new rule: an event of its own, nothing lost
            self.assertEqual(self.link(order).state, "in_sync", self.link(order).last_error)
            self.assertNotIn(self.link(order).event_id, present)

    def test_closing_a_quarterly_order_ends_its_series(self):
        self.make(months_ago(7, 10), 400, interval_type="monthly", interval=3)
        self.start(minimum=4)
        past = self.orders.filtered(lambda o: o.scheduled_date_start < datetime.now())
        future = self.orders - past
        self.assertTrue(past and future)
        past_ids = {o.id: self.link(o).event_id for o in past}
        self.recurring.write({"state": "close"})
        writes = self.push()
        self.assertEqual(self.series().state, "ended")
        master = self.master()
        if self.provider == "google":
            self.assertIn("UNTIL=", master["recurrence"][0])
        else:
            self.assertEqual(master["recurrence"]["range"]["type"], "endDate")
            self.assertEqual(master["recurrence"]["pattern"]["type"], "absoluteMonthly")
        present = {i.id for i in self.instances()}
        for order in past:
            self.assertEqual(self.link(order).event_id, past_ids[order.id])
            self.assertIn(past_ids[order.id], present, "past occurrences stay")
        self.assertFalse([w for w in writes if w["status"] >= 400], writes)
        self.assertEqual(len([w for w in writes if w["method"] == "POST"]), len(future))
        for order in future:
            self.assertEqual(self.link(order).state, "in_sync", self.link(order).last_error)
            self.assertNotIn(self.link(order).event_id, present)


@tagged("post_install", "-at_install")
class TestRecurringFrequenciesGoogle(FrequencyTests, SandboxCase):
    provider = "google"
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestRecurringFrequenciesMicrosoft(FrequencyTests, SandboxCase):
    provider = "microsoft"
    allow_inherited_tests_method = True
