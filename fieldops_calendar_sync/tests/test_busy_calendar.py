"""Busy times beside the jobs in Field Service's order calendar (issue #26): what the calendar asks the
server for (``fieldops.calendar.busy.calendar_blocks``), and the dispatcher's view of it in the browser."""

import base64
import os
import time as clock
from datetime import datetime, time, timedelta, timezone

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .common import TwoCompaniesCase

CALENDAR_URL = "/odoo/action-fieldservice.action_fsm_operation_order?view_type=calendar"
ANSWER_KEYS = {"id", "person_id", "who", "start", "end", "status", "status_label"}


@tagged("post_install", "-at_install")
class TestBusyCalendarBlocks(TwoCompaniesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Busy = cls.env["fieldops.calendar.busy"].sudo()
        cls.worker_a = cls.env["fsm.person"].create({"name": "Ann Alpha", "company_id": cls.company_a.id})
        cls.other_a = cls.env["fsm.person"].create({"name": "Otto Alpha", "company_id": cls.company_a.id})
        connection_a, connection_b = cls.setup_a["connection"], cls.setup_b["connection"]

        def block(connection, start, end, status="busy", person=None):
            return Busy.create({"connection_id": connection.id, "start": start, "end": end, "status": status,
                                "person_id": person.id if person else False})

        cls.a_busy = block(connection_a, "2026-12-14 09:00:00", "2026-12-14 10:00:00", "busy", cls.worker_a)
        cls.a_tentative = block(connection_a, "2026-12-15 13:00:00", "2026-12-15 14:30:00", "tentative", cls.other_a)
        cls.a_oof = block(connection_a, "2026-12-16 00:00:00", "2026-12-18 00:00:00", "oof")  # no single worker
        cls.a_next_week = block(connection_a, "2026-12-22 09:00:00", "2026-12-22 10:00:00", "busy", cls.worker_a)
        cls.b_busy = block(connection_b, "2026-12-14 09:00:00", "2026-12-14 11:00:00", "busy")

    def blocks(self, user, start="2026-12-13 00:00:00", end="2026-12-19 23:59:59", **kwargs):
        Busy = self.env["fieldops.calendar.busy"].with_user(user).with_context(
            allowed_company_ids=user.company_ids.ids)
        return Busy.calendar_blocks(start, end, **kwargs)

    def test_the_week_of_a_company_with_who_when_and_status(self):
        answer = self.blocks(self.dispatcher_a)
        self.assertEqual([row["id"] for row in answer], [self.a_busy.id, self.a_tentative.id, self.a_oof.id],
                         "the week's blocks of company A, in time order; next week's block is out of range")
        by_id = {row["id"]: row for row in answer}
        self.assertEqual(by_id[self.a_busy.id], {
            "id": self.a_busy.id, "person_id": self.worker_a.id, "who": "Ann Alpha",
            "start": "2026-12-14 09:00:00", "end": "2026-12-14 10:00:00", "status": "busy", "status_label": "Busy"})
        self.assertEqual((by_id[self.a_tentative.id]["status"], by_id[self.a_tentative.id]["status_label"]),
                         ("tentative", "Tentative"))
        oof = by_id[self.a_oof.id]
        self.assertEqual((oof["status"], oof["status_label"], oof["person_id"]), ("oof", "Out of office", False))
        self.assertEqual(oof["who"], "Calendar A", "a calendar without one worker is named by the calendar")
        for row in answer:
            self.assertEqual(set(row), ANSWER_KEYS, "who, when and the status: nothing like a title or a place")

    def test_the_range_is_an_overlap(self):
        # a block that started before the range and one ending exactly at its start
        self.assertEqual([row["id"] for row in self.blocks(self.dispatcher_a, "2026-12-17 00:00:00",
                                                           "2026-12-17 23:59:59")], [self.a_oof.id])
        self.assertEqual(self.blocks(self.dispatcher_a, "2026-12-14 10:00:00", "2026-12-14 12:00:00"), [])
        self.assertEqual([row["id"] for row in self.blocks(self.dispatcher_a, "2026-12-14 09:59:00",
                                                           "2026-12-14 12:00:00")], [self.a_busy.id])

    def test_a_company_never_gets_another_companys_blocks(self):
        self.assertEqual([row["id"] for row in self.blocks(self.manager_b)], [self.b_busy.id])
        self.assertEqual(self.blocks(self.manager_b)[0]["who"], "Calendar B")
        self.assertNotIn(self.b_busy.id, [row["id"] for row in self.blocks(self.dispatcher_a)])
        # asking for company A's worker by id does not get past the company rule
        self.assertEqual(self.blocks(self.manager_b, person_ids=self.worker_a.ids), [])

    def test_the_worker_filter(self):
        self.assertEqual([row["id"] for row in self.blocks(self.dispatcher_a, person_ids=self.worker_a.ids)],
                         [self.a_busy.id])
        self.assertEqual([row["id"] for row in self.blocks(self.dispatcher_a,
                                                           person_ids=(self.worker_a | self.other_a).ids)],
                         [self.a_busy.id, self.a_tentative.id])
        self.assertEqual(self.blocks(self.dispatcher_a, person_ids=[]), [], "no worker ticked, no block")

    def test_a_worker_the_user_cannot_read_does_not_fail_the_answer(self):
        elsewhere = self.env["fsm.person"].create({"name": "Bea Bravo", "company_id": self.company_b.id})
        block = self.env["fieldops.calendar.busy"].sudo().create({
            "connection_id": self.setup_a["connection"].id, "person_id": elsewhere.id, "status": "busy",
            "start": "2026-12-14 15:00:00", "end": "2026-12-14 16:00:00"})
        self.assertFalse(elsewhere.with_user(self.dispatcher_a).has_access("read"))
        answer = {row["id"]: row for row in self.blocks(self.dispatcher_a)}
        self.assertEqual(answer[block.id]["who"], "Calendar A", "named by its calendar, not the unreadable worker")
        self.assertEqual(answer[self.a_busy.id]["who"], "Ann Alpha")

    def test_a_user_without_read_access_gets_nothing_rather_than_an_error(self):
        own_only = new_test_user(self.env, "busy_own_only", groups="fieldservice.group_fsm_user_own,base.group_user",
                                 company_id=self.company_a.id, company_ids=[self.company_a.id])
        self.assertFalse(self.env["fieldops.calendar.busy"].with_user(own_only).has_access("read"))
        self.assertEqual(self.blocks(own_only), [])


@tagged("post_install", "-at_install")
class TestBusyCalendarTour(HttpCase):
    def test_the_dispatcher_sees_busy_blocks_beside_the_jobs(self):
        ops = self.env.ref("fieldops_calendar_sync.connection_google_ops")
        dispatcher = self.env.ref("fieldops_calendar_sync.user_dispatcher")
        sam = self.env["fsm.person"].create({"name": "Sam Busycal"})
        olga = self.env["fsm.person"].create({"name": "Olga Busycal"})
        # today, so the calendar's opening week holds it; midday UTC stays on today's date in most zones
        today = datetime.combine(datetime.now(timezone.utc).date(), time(10))
        Busy = self.env["fieldops.calendar.busy"].sudo()
        busy = Busy.create({"connection_id": ops.id, "person_id": sam.id, "status": "busy",
                            "start": today + timedelta(hours=1), "end": today + timedelta(hours=2, minutes=30)})
        Busy.create({"connection_id": ops.id, "person_id": olga.id, "status": "oof",
                     "start": today, "end": today + timedelta(hours=4)})
        job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "person_id": sam.id,
            "scheduled_date_start": today, "scheduled_date_end": today + timedelta(hours=2)})
        # the dispatcher's worker filter has Sam ticked (fieldservice keeps one row per user and worker)
        self.env["fsm.person.calendar.filter"].create({"user_id": dispatcher.id, "person_id": sam.id})
        self.start_tour(CALENDAR_URL, "fieldops_busy_calendar", login="dispatcher")
        self.assertTrue(busy.exists())
        self.assertEqual((job.scheduled_date_start, job.person_id), (today, sam), "the job was left alone")
        self.screenshot_the_calendar()

    def screenshot_the_calendar(self):
        """The week, then the month, saved where FIELDOPS_SCREENSHOT_DIR points (to look at them); else not taken."""
        directory = os.environ.get("FIELDOPS_SCREENSHOT_DIR")
        if not directory:
            return
        self.browser_size = "1440x900"
        browser = ChromeBrowser(self)
        try:
            self.authenticate("dispatcher", "dispatcher", browser=browser)
            browser.navigate_to(f"{self.base_url()}{CALENDAR_URL}")
            self.assertTrue(browser._wait_ready("!!document.querySelector('.o_fieldops_busy')"))
            browser._websocket_request("Runtime.evaluate", params={"expression": (
                "document.querySelector('.o_calendar_filter[data-name=person_id] "
                ".o_calendar_filter_item[data-value=all] input').click()")})
            self.assertTrue(browser._wait_ready("!!document.querySelector('.o_fieldops_busy_oof')"))
            browser._websocket_request("Runtime.evaluate", params={"expression": (
                "document.querySelector('.o_fieldops_busy').scrollIntoView({block: 'center'})")})
            self.save_screenshot(browser, directory, "busy_calendar.png")
            browser._websocket_request("Runtime.evaluate", params={
                "expression": "document.querySelector('.scale_button_selection').click()"})
            self.assertTrue(browser._wait_ready("!!document.querySelector('.o_scale_button_month')"))
            browser._websocket_request("Runtime.evaluate", params={
                "expression": "document.querySelector('.o_scale_button_month').click()"})
            self.assertTrue(browser._wait_ready("!!document.querySelector('.fc-dayGridMonth-view .o_fieldops_busy')"))
            self.save_screenshot(browser, directory, "busy_calendar_month.png")
        finally:
            browser.stop()

    def save_screenshot(self, browser, directory, name):
        clock.sleep(1)
        shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"}, timeout=30)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, name), "wb") as handle:
            handle.write(base64.b64decode(shot["data"]))
