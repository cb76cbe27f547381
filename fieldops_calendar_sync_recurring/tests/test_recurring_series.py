"""A recurring order on a calendar: one event series, each generated order linked to its occurrence.

Against both providers' sandboxes over real HTTP, as the addon's own tests do.
"""

from datetime import datetime, timedelta, timezone

from odoo.addons.fieldops_calendar_sync.tests.sandbox import SandboxCase, run_job
from odoo.tests import tagged

from calsync.events import EventData

from .series_helpers import SeriesHelpers


class SeriesTests(SeriesHelpers):
    """The tests, run once per provider by the classes at the end (a mixin, so not collected alone)."""

    account_prefix = "recur"

    def setUp(self):
        super().setUp()
        self.rule = self.env["fsm.frequency"].create({"name": "Every day", "interval": 1, "interval_type": "daily"})
        self.rule_set = self.env["fsm.frequency.set"].create({
            "name": "Daily", "fsm_frequency_ids": [(6, 0, self.rule.ids)], "schedule_days": 3})
        today = datetime.now(timezone.utc).replace(tzinfo=None, hour=9, minute=0, second=0, microsecond=0)
        self.first_start = today - timedelta(days=2)
        self.recurring = self.env["fsm.recurring"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "team_id": self.team.id,
            "fsm_frequency_set_id": self.rule_set.id, "start_date": self.first_start, "scheduled_duration": 1.0,
            "description": "Check the cold room"})

    # -- helpers ---------------------------------------------------------------------------
    def start(self, minimum=5):
        self.recurring.with_context(tz="UTC").action_start()
        self.orders = self.recurring.fsm_order_ids.sorted("scheduled_date_start")
        self.assertGreaterEqual(len(self.orders), minimum)

    def instances(self):
        client = self.connection._make_client()
        return client.series_instances(self.series().remote_id, self.first_start.replace(tzinfo=timezone.utc)
                                       - timedelta(days=1), self.first_start.replace(tzinfo=timezone.utc)
                                       + timedelta(days=30))

    # -- tests -------------------------------------------------------------------------------
    def test_a_recurring_order_is_one_series_with_one_link_per_occurrence(self):
        self.start()
        writes = self.push()
        self.assertEqual([w["method"] for w in writes], ["POST"], "one series, no event per order")
        events = self.emulator.live_events(self.account)
        self.assertEqual(len(events), 1, "the series master only")
        self.assertTrue(events[0].get("recurrence"))
        series = self.series()
        self.assertEqual(series.state, "active")
        by_id = {i.id: i for i in self.instances()}
        for order in self.orders:
            link = self.link(order)
            self.assertEqual(link.state, "in_sync", link.last_error)
            occurrence = by_id[link.event_id]
            self.assertEqual(occurrence.series_id, series.remote_id)
            self.assertEqual(occurrence.original_start.replace(tzinfo=None), order.scheduled_date_start)
        self.assertEqual(len(set(self.orders.calendar_link_ids.mapped("event_id"))), len(self.orders))
        self.assertIn(self.recurring.name, events[0].get("summary") or events[0].get("subject"))
        # nothing owed either way afterwards: no echo writes, no job touched
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.push(), [])
        self.assertEqual(set(self.orders.calendar_link_ids.mapped("state")), {"in_sync"})

    def test_moving_an_occurrence_moves_only_its_order(self):
        self.start()
        self.push()
        run_job(self, self.connection, "_job_pull")
        moved = self.orders[3].scheduled_date_start.replace(tzinfo=timezone.utc) + timedelta(hours=5)
        self.emulator.person_edit(self.link(self.orders[3]).event_id,
                                  {"start": moved, "end": moved + timedelta(hours=2)}, account=self.account)
        before = {o.id: o.scheduled_date_start for o in self.orders}
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.orders[3].scheduled_date_start, moved.replace(tzinfo=None))
        self.assertEqual(self.orders[3].scheduled_date_end, (moved + timedelta(hours=2)).replace(tzinfo=None))
        for order in self.orders - self.orders[3]:
            self.assertEqual(order.scheduled_date_start, before[order.id])
        self.assertEqual(self.push(), [], "the job took the calendar's move: nothing goes back")

    def test_an_occurrence_a_person_deletes_puts_its_order_in_review(self):
        """Google lists the instance as cancelled; Graph only leaves it out of the changed series."""
        self.start()
        self.push()
        run_job(self, self.connection, "_job_pull")
        gone = self.orders[2]
        self.emulator.person_delete(self.link(gone).event_id, account=self.account)
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(self.link(gone).state, "conflict")
        conflict = gone.calendar_conflict_ids.filtered(lambda c: c.state == "open")
        self.assertEqual(len(conflict), 1, "a person decides: the order is not cancelled silently")
        self.assertFalse(gone.calendar_conflict_ids - conflict)
        for order in self.orders - gone:
            self.assertEqual(self.link(order).state, "in_sync", self.link(order).last_error)
            self.assertFalse(order.calendar_conflict_ids)

    def test_an_order_edit_becomes_an_exception_of_its_occurrence(self):
        self.start()
        self.push()
        occurrence_id = self.link(self.orders[1]).event_id
        self.orders[1].description = "<p>Also check the freezer</p>"
        writes = self.push()
        self.assertEqual(len(writes), 1, writes)
        self.assertEqual(writes[0]["method"], "PATCH")
        self.assertIn(occurrence_id, writes[0]["path"], "the occurrence, never the series")
        by_id = {i.id: i for i in self.instances()}
        self.assertIn("freezer", by_id[occurrence_id].data.description)
        others = [by_id[self.link(o).event_id] for o in self.orders - self.orders[1]]
        self.assertFalse([o for o in others if "freezer" in o.data.description])
        self.assertNotIn("freezer", str(self.master()))

    def test_stopping_the_recurring_order_ends_the_series_and_keeps_past_occurrences(self):
        self.start()
        self.push()
        past = self.orders.filtered(lambda o: o.scheduled_date_start < datetime.now())
        future = self.orders - past
        self.assertTrue(past and future)
        past_ids = {o.id: self.link(o).event_id for o in past}
        # what OCA's expiry cron does at the end date (suspending would also cancel the open orders)
        self.recurring.write({"state": "close"})
        self.assertTrue(self.series().needs_update)
        writes = self.push()
        self.assertEqual(self.series().state, "ended")
        master = self.master()
        if self.provider == "google":
            self.assertIn("UNTIL=", master["recurrence"][0])
        else:
            self.assertEqual(master["recurrence"]["range"]["type"], "endDate")
        present = {i.id for i in self.instances()}
        for order in past:
            self.assertEqual(self.link(order).event_id, past_ids[order.id])
            self.assertIn(past_ids[order.id], present, "past occurrences stay")
            self.assertEqual(self.link(order).state, "in_sync")
        self.assertFalse([w for w in writes if w["status"] >= 400], writes)
        # the later orders still exist in Odoo: each keeps an event of its own, outside the ended series
        self.assertEqual(len([w for w in writes if w["method"] == "POST"]), len(future))
        for order in future:
            self.assertEqual(self.link(order).state, "in_sync", self.link(order).last_error)
            self.assertNotIn(self.link(order).event_id, present)

    def test_suspending_ends_the_series_and_cancels_the_open_orders_occurrences(self):
        self.start()
        self.push()
        self.recurring.action_suspend()  # OCA cancels every open order, past ones included
        writes = self.push()
        self.assertEqual(self.series().state, "ended")
        self.assertFalse([w for w in writes if w["method"] == "POST"], "no order gets an event of its own")
        self.assertEqual(set(self.orders.calendar_link_ids.mapped("state")), {"tombstone"})
        past = self.orders.filtered(lambda o: o.scheduled_date_start < datetime.now())
        # past occurrences were cancelled one by one, as their orders were; later ones ended with the series
        self.assertEqual(len([w for w in writes if w["method"] == "DELETE"]), len(past), writes)
        self.assertFalse([w for w in writes if w["status"] == 412], "the series edit re-versioned the occurrences")
        self.assertFalse({i.id for i in self.instances() if not i.deleted}
                         & set(self.orders.calendar_link_ids.mapped("event_id")))

    def test_removing_the_calendars_events_removes_the_series(self):
        self.start()
        self.push()
        run_job(self, self.connection, "_job_remove_events_and_disconnect")
        self.assertFalse(self.emulator.live_events(self.account), "no master left behind with its occurrences")
        self.assertEqual(set(self.orders.calendar_link_ids.mapped("state")), {"tombstone"})

    def test_orders_with_events_of_their_own_keep_them_and_the_series_starts_after(self):
        """Orders pushed one by one before this module was installed are not doubled by occurrences."""
        self.start()
        client = self.connection._make_client()
        for order in self.orders[:2]:
            link = self.link(order)
            start = order.scheduled_date_start.replace(tzinfo=timezone.utc)
            event = client.create(link.identity, EventData(title=order.name, start=start,
                                                           end=start + timedelta(hours=1)))
            link.write({"event_id": event.id, "remote_version": event.version})
        own = {o.id: self.link(o).event_id for o in self.orders[:2]}
        self.push()
        self.assertEqual(self.series().anchor_start, self.orders[2].scheduled_date_start)
        starts = {i.original_start.replace(tzinfo=None) for i in self.instances()}
        self.assertFalse(starts & set(self.orders[:2].mapped("scheduled_date_start")))
        for order in self.orders[:2]:
            self.assertEqual(self.link(order).event_id, own[order.id])
            self.assertFalse(self.link(order).calendar_series_id)
        for order in self.orders[2:]:
            self.assertEqual(self.link(order).calendar_series_id, self.series())

    def test_changing_the_schedule_updates_the_series(self):
        self.start()
        self.push()
        self.rule.interval = 2
        self.assertTrue(self.series().needs_update)
        self.push()
        master = self.master()
        if self.provider == "google":
            self.assertIn("INTERVAL=2", master["recurrence"][0])
        else:
            self.assertEqual(master["recurrence"]["pattern"]["interval"], 2)
        present = {i.id for i in self.instances()}
        on_rule = self.orders[0::2]
        for order in on_rule:
            self.assertIn(self.link(order).event_id, present)
        for order in self.orders - on_rule:  # off the new rule: an event of its own, nothing lost
            self.assertEqual(self.link(order).state, "in_sync", self.link(order).last_error)
            self.assertNotIn(self.link(order).event_id, present)

    def test_a_schedule_no_series_can_express_falls_back_to_separate_events(self):
        # the 31st: Google skips shorter months, Outlook uses their last day
        self.rule.write({"interval_type": "monthly", "use_bymonthday": True, "month_day": 31})
        self.rule_set.schedule_days = 140
        self.start(minimum=2)
        writes = self.push()
        self.assertEqual(self.series().state, "fallback")
        self.assertEqual([w["method"] for w in writes], ["POST"] * len(self.orders))
        self.assertFalse([e for e in self.emulator.live_events(self.account) if e.get("recurrence")])
        self.assertEqual(set(self.orders.calendar_link_ids.mapped("state")), {"in_sync"})
        self.assertIn("separate events", self.recurring.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestRecurringSeriesGoogle(SeriesTests, SandboxCase):
    provider = "google"
    allow_inherited_tests_method = True


@tagged("post_install", "-at_install")
class TestRecurringSeriesMicrosoft(SeriesTests, SandboxCase):
    provider = "microsoft"
    allow_inherited_tests_method = True
