"""Availability settings (issue #26): the busy times window and the working day in Settings, stored as the system
parameters the busy refresh and the free-slot finder read; and busy reads paced under the provider's quota like
the sync's own requests."""

import logging
from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged

from ..tools.availability_params import WINDOW_PARAM, WORK_END_PARAM, WORK_START_PARAM
from .sandbox import SandboxCase
from .test_availability import aware, day_after_tomorrow

BUSY_LOGGER = "odoo.addons.fieldops_calendar_sync.models.calendar_connection_busy"


@tagged("post_install", "-at_install")
class TestAvailabilitySettings(TransactionCase):
    def settings(self, **values):
        return self.env["res.config.settings"].create(values)

    def test_defaults_when_nothing_is_stored(self):
        params = self.env["ir.config_parameter"].sudo()
        for param in (WINDOW_PARAM, WORK_START_PARAM, WORK_END_PARAM):
            params.set_param(param, False)
        settings = self.settings()
        self.assertEqual((settings.fieldops_busy_window_days, settings.fieldops_working_hours_start,
                          settings.fieldops_working_hours_end), (14, 8.0, 17.0))
        Connection = self.env["fieldops.calendar.connection"]
        self.assertEqual(Connection._busy_window(), timedelta(days=14))
        self.assertEqual(Connection._working_hours(), (8.0, 17.0))

    def test_saved_values_are_the_system_parameters_the_refresh_and_the_slots_read(self):
        self.settings(fieldops_busy_window_days=21, fieldops_working_hours_start=7.5,
                      fieldops_working_hours_end=16.25).execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param(WINDOW_PARAM), "21")
        self.assertEqual((float(params.get_param(WORK_START_PARAM)), float(params.get_param(WORK_END_PARAM))),
                         (7.5, 16.25))
        Connection = self.env["fieldops.calendar.connection"]
        self.assertEqual(Connection._busy_window(), timedelta(days=21))
        self.assertEqual(Connection._working_hours(), (7.5, 16.25))
        self.assertEqual(self.settings().fieldops_busy_window_days, 21, "the form shows what is stored")

    def test_bounds_are_refused_with_a_clear_error(self):
        for days in (0, -3, 63, 365):
            with self.assertRaisesRegex(ValidationError, "choose between 1 and 62 days"):
                self.settings(fieldops_busy_window_days=days)
        self.settings(fieldops_busy_window_days=1)
        self.settings(fieldops_busy_window_days=62)
        for start, end in ((17.0, 8.0), (9.0, 9.0), (8.0, 24.0), (-1.0, 17.0)):
            with self.assertRaisesRegex(ValidationError, "start before it ends"):
                self.settings(fieldops_working_hours_start=start, fieldops_working_hours_end=end)
        self.settings(fieldops_working_hours_start=0.0, fieldops_working_hours_end=23.5)

    def test_values_stored_by_hand_are_kept_in_bounds(self):
        params = self.env["ir.config_parameter"].sudo()
        Connection = self.env["fieldops.calendar.connection"]
        for stored, days in (("500", 62), ("0", 1), ("two weeks", 14)):
            params.set_param(WINDOW_PARAM, stored)
            self.assertEqual(Connection._busy_window(), timedelta(days=days), stored)
        params.set_param(WORK_START_PARAM, "18")
        params.set_param(WORK_END_PARAM, "9")
        with self.assertLogs(BUSY_LOGGER, "WARNING"):
            self.assertEqual(Connection._working_hours(), (8.0, 17.0))


@tagged("post_install", "-at_install")
class TestBusyPacing(SandboxCase):
    account_prefix = "pacing"

    def test_a_busy_refresh_counts_against_the_quota(self):
        before = self.connection._quota_used()[0]
        self.assertTrue(self.connection._refresh_busy_times())
        self.assertGreaterEqual(self.connection._quota_used()[0], before + 1, "the freebusy request was counted")

    def test_backpressure_skips_the_calendar_for_this_round_and_the_others_go_on(self):
        other = self.connect("pacing other", self.env["fsm.team"].create({"name": "pacing other team"}),
                             f"other-{self.account}")
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("fieldops_calendar_sync.google_quota_units", 1)
        params.set_param("fieldops_calendar_sync.google_quota_window", 600)
        self.emulator.person_create(self.account, {"title": "Private", "start": aware(day_after_tomorrow(10)),
                                                   "end": aware(day_after_tomorrow(12))})
        self.assertTrue(self.connection._refresh_busy_times())  # its freebusy request took the whole budget
        read_at, rows = self.connection.busy_refreshed_at, self.connection.busy_ids
        self.assertTrue(rows)
        meter = self.connection._quota_meter()
        self.assertEqual((meter.limit.units, meter.budget, meter.used()), (1, 1, 1))
        self.assertGreater(meter.wait_needed(1), meter.max_inline_wait, "too long to wait in place")
        # logging.INFO, not "INFO": Odoo names its level 25 "INFO" too, which the name would mean here
        with self.assertLogs(BUSY_LOGGER, logging.INFO) as logged:
            self.env["fieldops.calendar.connection"]._cron_refresh_busy_times()
        self.assertIn(f"connection {self.connection.id} not refreshed this round", "\n".join(logged.output))
        self.assertIn("next slot in", "\n".join(logged.output))
        self.assertEqual((self.connection.busy_refreshed_at, self.connection.busy_ids), (read_at, rows),
                         "skipped, not failed: what was read stays until a later round reads it again")
        self.assertTrue(other.busy_refreshed_at, "another account's calendar was read")
        self.assertEqual(self.connection.state, "sandbox_connected")
