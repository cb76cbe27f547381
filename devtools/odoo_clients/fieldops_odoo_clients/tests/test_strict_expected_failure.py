"""The strict expected failure the client tests use where the providers' docs rule Odoo's client out."""

import unittest

from odoo.tests import BaseCase, case, tagged
from odoo.tests.result import OdooTestResult

from .common import strict_expected_failure


@tagged("post_install", "-at_install")
class TestStrictExpectedFailure(BaseCase):
    def test_a_failing_step_passes(self):
        @strict_expected_failure("doc: a step that cannot work")
        def step(case):
            case.assertEqual(1, 2)

        step(self)  # the expected failure: nothing raised

    def test_a_passing_step_fails_the_suite(self):
        @strict_expected_failure("doc: a step that cannot work")
        def step(case):
            case.assertEqual(1, 1)

        with self.assertRaisesRegex(AssertionError, "passes now although it is marked"):
            step(self)

    def test_odoo_runner_lets_an_unexpected_success_pass(self):
        """Why the strict variant exists: Odoo's test case ignores unittest.expectedFailure, so a step
        marked with it that starts to pass would go unnoticed."""
        class Probe(case.TestCase):
            @unittest.expectedFailure
            def test_now_passes(self):
                pass

        outcome = OdooTestResult()
        Probe("test_now_passes").run(outcome)
        self.assertEqual((outcome.testsRun, outcome.failures_count, outcome.errors_count), (1, 0, 0))
