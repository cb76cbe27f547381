"""Find a free slot (issue #26): the wizard on the job form, against the emulator's busy times and the worker's
other jobs, never the job itself, in the worker's (else the dispatcher's) working hours; Use this slot; and the
dispatcher's clicks in the browser."""

import base64
import os
import time as clock
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .sandbox import SandboxCase, run_job


def workday(hour, minute=0):
    """A naive UTC datetime on the first weekday at least two days ahead (inside the two-week window)."""
    day = datetime.now(timezone.utc).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute))


def aware(moment):
    return moment.replace(tzinfo=timezone.utc)


def wall(moment, hour, zone):
    """``hour`` o'clock on ``moment``'s day in ``zone``, as a naive UTC datetime."""
    local = datetime.combine(moment.date(), time(hour), ZoneInfo(zone))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


class FreeSlotsSetup:
    """A worker whose calendar (this class's connection) has a personal event 10:00-12:00 UTC on a workday, with
    this job 08:00-09:00 and another job 13:00-14:00 that day, both pushed, and the busy times read."""

    worker_name = "Sam Slots"

    def setUp(self):
        super().setUp()
        self.dispatcher = new_test_user(self.env, f"{self.account_prefix}_dispatcher", tz="UTC",
                                        email=f"{self.account_prefix}_dispatcher@example.test",
                                        groups="fieldservice.group_fsm_dispatcher,base.group_user")
        self.worker = self.env["fsm.person"].create({"name": self.worker_name, "tz": False})
        self.connection.person_ids = [(6, 0, self.worker.ids)]
        location = self.env.ref("fieldservice.location_1")
        self.job = self.env["fsm.order"].create({
            "location_id": location.id, "team_id": self.team.id, "person_id": self.worker.id,
            "scheduled_date_start": workday(8), "scheduled_date_end": workday(9)})
        self.other_job = self.env["fsm.order"].create({
            "location_id": location.id, "team_id": self.team.id, "person_id": self.worker.id,
            "scheduled_date_start": workday(13), "scheduled_date_end": workday(14)})
        run_job(self, self.connection, "_job_push")
        self.assertTrue(all(self.job.calendar_link_ids.mapped("event_id")), "the job has its event")
        self.emulator.person_create(self.account, {"title": "Private", "start": aware(workday(10)),
                                                   "end": aware(workday(12))})
        self.assertTrue(self.connection._refresh_busy_times())


@tagged("post_install", "-at_install")
class TestFreeSlots(FreeSlotsSetup, SandboxCase):
    account_prefix = "slots"

    def find(self, job=None, user=None):
        job = (job or self.job).with_user(user or self.dispatcher)
        action = job.action_fieldops_find_free_slot()
        self.assertEqual((action["res_model"], action["target"]), ("fieldops.calendar.free.slots", "new"))
        return self.env["fieldops.calendar.free.slots"].with_user(user or self.dispatcher).browse(action["res_id"])

    def on_the_day(self, wizard):
        day = workday(0).date()
        return [(line.start, line.end, line.free_until) for line in wizard.line_ids if line.start.date() == day]

    def test_slots_avoid_busy_times_and_other_jobs_but_not_the_job_itself(self):
        wizard = self.find()
        self.assertFalse(wizard.empty_reason)
        self.assertEqual((wizard.person_id, wizard.duration, wizard.time_zone), (self.worker, 1.0, "UTC"))
        self.assertTrue(wizard.busy_read_at)
        self.assertEqual(self.on_the_day(wizard), [
            (workday(8), workday(9), workday(10)),  # the job's own hour is free: moving it frees it
            (workday(12), workday(13), workday(13)),  # between the personal event and the other job
            (workday(14), workday(15), workday(17)),  # after the other job, to the end of the day
        ])
        self.assertTrue(all(line.start.weekday() < 5 for line in wizard.line_ids), "weekdays only")
        self.assertEqual(wizard.line_ids[-1:].day, wizard.line_ids[-1:].start.strftime("%A"))
        self.assertTrue(all(line.start.minute % 15 == 0 for line in wizard.line_ids), "on the quarter hour")
        self.assertGreater(wizard.line_ids[:1].start, datetime.now(), "never in the past")

    def test_working_hours_are_the_users_wall_clock_when_the_worker_has_none(self):
        self.dispatcher.tz = "Europe/Paris"
        wizard = self.find()
        self.assertEqual(wizard.time_zone, "Europe/Paris")
        day = workday(0)
        self.assertEqual(self.on_the_day(wizard), [
            (wall(day, 8, "Europe/Paris"), wall(day, 8, "Europe/Paris") + timedelta(hours=1), workday(10)),
            (workday(12), workday(13), workday(13)),
            (workday(14), workday(15), wall(day, 17, "Europe/Paris")),
        ])
        # the worker's own zone, when set, wins: their day starts at their 08:00
        self.worker.tz = "America/New_York"
        wizard = self.find()
        self.assertEqual(wizard.time_zone, "America/New_York")
        first = next(line for line in wizard.line_ids if line.start.date() == day.date())
        self.assertEqual(first.start, max(wall(day, 8, "America/New_York"), workday(14)))

    def test_use_this_slot_schedules_the_job_and_owes_its_push(self):
        self.assertEqual(set(self.job.calendar_link_ids.mapped("state")), {"in_sync"})
        line = self.find().line_ids.filtered(lambda slot: slot.start == workday(12))
        result = line.action_use()
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.job.invalidate_recordset()
        self.assertEqual((self.job.scheduled_date_start, self.job.scheduled_date_end, self.job.scheduled_duration),
                         (workday(12), workday(13), 1.0))
        self.assertEqual(set(self.job.calendar_link_ids.mapped("state")), {"pending_push"})
        self.assertIn("free slot", self.job.message_ids[:1].body)
        run_job(self, self.connection, "_job_push")
        self.assertEqual(set(self.job.calendar_link_ids.mapped("state")), {"in_sync"}, "pushed as any edit is")

    def test_a_slot_that_has_passed_is_refused(self):
        line = self.find().line_ids[:1]
        line.start = datetime.now() - timedelta(minutes=1)  # the list was left open past the slot's start
        with self.assertRaisesRegex(UserError, "look for a free slot again"):
            line.action_use()
        self.assertEqual(self.job.scheduled_date_start, workday(8), "the job was not moved")

    def test_a_calendar_not_read_yet_is_named(self):
        later = self.connect("slots later calendar", self.env["fsm.team"].create({"name": "later team"}),
                             f"later-{self.account}")
        later.person_ids = [(6, 0, self.worker.ids)]
        wizard = self.find()
        self.assertIn("slots later calendar have not been read yet", wizard.note)
        self.assertTrue(wizard.line_ids, "the calendar that was read still gives slots")

    def test_no_busy_times_read_yet_says_so(self):
        self.connection.sudo().busy_refreshed_at = False
        wizard = self.find()
        self.assertFalse(wizard.line_ids)
        self.assertIn("have not been read yet", wizard.empty_reason)
        self.assertIn(self.connection.name, wizard.empty_reason)

    def test_no_free_slot_in_the_window_says_so(self):
        self.job.write({"scheduled_date_start": workday(7), "scheduled_date_end": workday(17)})  # ten hours
        wizard = self.find()
        self.assertFalse(wizard.line_ids)
        self.assertIn("has no free time of 10:00", wizard.empty_reason)

    def test_a_worker_on_no_calendar_gets_slots_from_their_jobs_only(self):
        self.connection.write({"person_ids": [(5, 0, 0)], "team_ids": [(6, 0, self.env["fsm.team"].create(
            {"name": "elsewhere"}).ids)]})
        wizard = self.find()
        self.assertIn("only their other jobs", wizard.note)
        # the personal event is not known (no calendar); the other job still is, the job itself is not
        self.assertEqual(self.on_the_day(wizard), [(workday(8), workday(9), workday(13)),
                                                   (workday(14), workday(15), workday(17))])

    def test_only_dispatchers_look_for_slots_and_a_job_needs_a_worker_and_a_duration(self):
        user = new_test_user(self.env, "slots_fsm_user", groups="fieldservice.group_fsm_user,base.group_user")
        with self.assertRaises(AccessError):
            self.find(user=user)
        unassigned = self.env["fsm.order"].create({"location_id": self.env.ref("fieldservice.location_1").id,
                                                   "scheduled_date_start": workday(8),
                                                   "scheduled_date_end": workday(9)})
        with self.assertRaisesRegex(UserError, "Assign the job to a worker first"):
            self.find(job=unassigned)


@tagged("post_install", "-at_install")
class TestFreeSlotsTour(FreeSlotsSetup, SandboxCase):
    """The dispatcher's clicks in the browser: Find a free slot, the list, Use this slot."""

    account_prefix = "slottour"
    worker_name = "Sam Slottour"

    def test_the_dispatcher_finds_a_free_slot_and_uses_it(self):
        self.env.flush_all()
        browser = ChromeBrowser(self, success_signal="tour succeeded")
        try:
            self.authenticate("dispatcher", "dispatcher", browser=browser)
            self.cr.flush()
            self.cr.clear()
            browser.navigate_to(f"{self.base_url()}/odoo/action-fieldservice.action_fsm_operation_order/{self.job.id}")
            self.assertTrue(browser._wait_ready("odoo.isTourReady('fieldops_free_slots')"))
            browser._websocket_request("Runtime.evaluate", params={
                "expression": "odoo.startTour('fieldops_free_slots', {stepDelay: 0, keepWatchBrowser: false, "
                              "debug: false, startUrl: ''})"})
            self._wait_for(browser, "!!document.querySelector('.modal .o_fieldops_free_slots .o_data_row')")
            self._screenshot(browser, "free_slots_wizard")
            self._evaluate(browser, "document.body.classList.add('o_fieldops_looked_at')")
            browser._wait_code_ok("true", 60)
        finally:
            browser.stop()
            self._wait_remaining_requests()
        self.env.invalidate_all()
        wizard = self.env["fieldops.calendar.free.slots"].search([("job_id", "=", self.job.id)], order="id desc",
                                                                 limit=1)
        first = wizard.line_ids.sorted("start")[:1]
        self.assertTrue(first, "the browser's wizard listed slots")
        self.assertEqual((self.job.scheduled_date_start, self.job.scheduled_date_end), (first.start, first.end))
        self.assertEqual(set(self.job.calendar_link_ids.mapped("state")), {"pending_push"})

    def test_the_admin_sees_the_availability_settings(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("fieldops_calendar_sync.busy_window_days", 21)
        params.set_param("fieldops_calendar_sync.working_hours_start", 7.5)
        params.set_param("fieldops_calendar_sync.working_hours_end", 16.25)
        self.env.flush_all()
        browser = ChromeBrowser(self)
        try:
            self.authenticate("admin", "admin", browser=browser)
            self.cr.flush()
            self.cr.clear()
            browser.navigate_to(f"{self.base_url()}/odoo/action-fieldservice.action_fsm_config")
            block = "document.querySelector('#fieldops_availability')"
            self._wait_for(browser, f"!!{block} && !!{block}.querySelector('[name=fieldops_working_hours_end] input')")
            self._evaluate(browser, f"{block}.scrollIntoView({{block: 'center'}})")
            clock.sleep(0.5)
            self._screenshot(browser, "availability_settings")
            values = self._evaluate(browser, f"""[...{block}.querySelectorAll('.o_field_widget input')]
                .map((input) => input.value).join(' | ')""")
            text = self._evaluate(browser, f"{block}.innerText")
        finally:
            browser.stop()
            self._wait_remaining_requests()
        self.assertEqual(values, "21 | 07:30 | 16:15", "what is stored, the working day as times of day")
        for label in ("Crew availability", "Busy times window (days)", "Working day starts", "Working day ends"):
            self.assertIn(label, text)

    def _evaluate(self, browser, expression):
        answer = browser._websocket_request("Runtime.evaluate", params={"expression": expression,
                                                                         "returnByValue": True})
        return answer["result"].get("value")

    def _wait_for(self, browser, expression, timeout=30):
        deadline = clock.time() + timeout
        while clock.time() < deadline:
            if self._evaluate(browser, f"(() => {{ try {{ return {expression}; }} catch (e) {{ return false; }} }})()"):
                return
            clock.sleep(0.2)
        browser.take_screenshot("free_slots_timeout_")
        self.fail(f"the browser never reached: {expression}")

    def _screenshot(self, browser, name):
        """Saved where FIELDOPS_SCREENSHOT_DIR points (to look at the screen), otherwise not at all."""
        directory = os.environ.get("FIELDOPS_SCREENSHOT_DIR")
        if not directory:
            return
        shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"}, timeout=30)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, f"{name}.png"), "wb") as handle:
            handle.write(base64.b64decode(shot["data"]))
