"""Connecting a calendar as a person does: the sandbox's sign-in page, the account that really signed in,
and one connection per calendar (within a company and across companies)."""

import urllib.parse

import psycopg2
from odoo.tests import new_test_user, tagged
from odoo.tests.common import ChromeBrowser
from odoo.tools import mute_logger

from .browser_steps import BrowserSteps
from .sandbox import SandboxHttpCase


@tagged("post_install", "-at_install")
class TestSignInAsAPersonDoes(BrowserSteps, SandboxHttpCase):
    def setUp(self):
        super().setUp()
        self.manager = new_test_user(self.env, "connmgr", groups="fieldservice.group_fsm_manager,base.group_user",
                                     email="connmgr@example.test", password="connmgr")

    def _connection(self, name, account, provider="google", company=None, user=None):
        user = user or self.manager
        return self.env["fieldops.calendar.connection"].with_user(user).with_company(company or user.company_id) \
            .create({"name": name, "provider": provider, "account_email": account,
                     "responsible_user_id": user.id}).sudo(False)

    def _connect(self, connection, user, login, password, account):
        """The whole flow over HTTP as ``user``: Connect, the sign-in page as ``account``, the callback."""
        action = connection.with_user(user).action_connect()
        location = urllib.parse.urlsplit(self.sign_in_page(action["url"], account))
        self.env.flush_all()
        self.authenticate(login, password)
        answer = self.url_open(f"{location.path}?{location.query}", allow_redirects=False)
        self.env.invalidate_all()
        return answer

    # -- in a real browser ---------------------------------------------------------------------------------
    def test_connect_in_the_browser_records_the_account_that_signed_in(self):
        connection = self._connection("Tour calendar", "typed-tour@example.test")
        self.env.flush_all()
        browser = ChromeBrowser(self, success_signal="tour succeeded")
        try:
            self.authenticate("connmgr", "connmgr", browser=browser)
            self.cr.flush()
            self.cr.clear()
            browser.navigate_to(f"{self.base_url()}/odoo/calendar-connections/{connection.id}")
            self.assertTrue(browser._wait_ready("odoo.isTourReady('fieldops_connect_flow')"))
            browser._websocket_request("Runtime.evaluate", params={
                "expression": "odoo.startTour('fieldops_connect_flow', {stepDelay: 0, keepWatchBrowser: false, "
                              "debug: false, startUrl: ''})"})
            # the same Chromium is now on the sandbox's own origin: no tour runs there, the test acts as the person
            self._wait_for(browser, f"location.href.startsWith('{self.sandbox.google.consent_url}/') "
                                    "&& document.readyState === 'complete' && !!document.querySelector('form')")
            self.assertEqual(self._evaluate(browser, "location.protocol"), "http:", "no certificate warning")
            self.assertEqual(self._evaluate(browser, "document.querySelector('input[name=other]').value"),
                             "typed-tour@example.test", "the typed account is offered first")
            self._screenshot(browser, "consent_page")
            self._evaluate(browser, """(() => {
                document.querySelector('#use-other').checked = true;
                document.querySelector('input[name=other]').value = 'signed-tour@example.test';
                document.querySelector('button[value=allow]').click();
                return true; })()""")
            # back on Odoo's origin, the tour resumes on the form the callback redirects to
            browser._wait_code_ok("true", 60)
            self._screenshot(browser, "connection_form")
        finally:
            browser.stop()
            self._wait_remaining_requests()
        connection.invalidate_recordset()
        self.assertEqual(connection.state, "sandbox_connected")
        self.assertEqual(connection.account_email, "signed-tour@example.test")
        self.assertEqual(connection.typed_account_email, "typed-tour@example.test")
        self.assertIn("signed-tour@example.test", self.sandbox.google.accounts, "the page created the account")
        self.assertTrue(any("typed-tour@example.test" in body and "signed-tour@example.test" in body
                            for body in connection.message_ids.mapped("body")), "the chatter says so too")


    # -- over HTTP ---------------------------------------------------------------------------------------
    def test_microsoft_records_the_mailbox_graph_names(self):
        connection = self._connection("Outlook typed", "typed-ms@example.test", provider="microsoft")
        answer = self._connect(connection, self.manager, "connmgr", "connmgr", "Signed-MS@example.test")
        self.assertEqual(answer.status_code, 303, answer.text[:300])
        self.assertEqual(connection.state, "sandbox_connected")
        self.assertEqual(connection.account_email, "Signed-MS@example.test")
        self.assertEqual(connection.typed_account_email, "typed-ms@example.test")
        self.assertIn("Signed-MS@example.test", connection.account_notice)

    def test_the_same_account_signing_in_leaves_no_notice(self):
        connection = self._connection("Same", "same-g@example.test")
        self.assertEqual(self._connect(connection, self.manager, "connmgr", "connmgr", "Same-G@example.test")
                         .status_code, 303)
        self.assertEqual(connection.account_email, "Same-G@example.test")
        self.assertFalse(connection.typed_account_email)
        self.assertFalse(connection.account_notice)

    def test_cancelling_on_the_sign_in_page_connects_nothing(self):
        connection = self._connection("Cancelled", "cancel-g@example.test")
        action = connection.with_user(self.manager).action_connect()
        location = urllib.parse.urlsplit(self.sign_in_page(action["url"], "cancel-g@example.test", decision="deny"))
        self.env.flush_all()
        self.authenticate("connmgr", "connmgr")
        answer = self.url_open(f"{location.path}?{location.query}", allow_redirects=False)
        self.assertEqual(answer.status_code, 400)
        self.assertIn("access_denied", answer.text)
        self.env.invalidate_all()
        self.assertEqual(connection.state, "draft")
        self.assertNotIn("cancel-g@example.test", self.sandbox.google.accounts)

    def test_a_calendar_connected_twice_in_one_company_is_refused_naming_the_first(self):
        first = self._connection("Dispatch board", "shared-g@example.test")
        self.assertEqual(self._connect(first, self.manager, "connmgr", "connmgr", "shared-g@example.test")
                         .status_code, 303)
        # typed differently, but the same account signs in: the same calendar ("primary" is the account's own)
        second = self._connection("Dispatch board again", "someone-else@example.test")
        second.calendar_ref = "shared-g@example.test"
        answer = self._connect(second, self.manager, "connmgr", "connmgr", "Shared-G@example.test")
        self.assertEqual(answer.status_code, 400)
        self.assertIn("already connected as “Dispatch board”", answer.text)
        self.assertNotIn("Traceback", answer.text)
        self.assertEqual(second.state, "draft")
        self.assertFalse(second.sudo().token_encrypted, "no token is kept for the refused sign-in")
        self.assertEqual(second.account_email, "someone-else@example.test")
        self.assertEqual(first.state, "sandbox_connected")
        # another calendar of the same account is another calendar
        third = self._connection("Team calendar", "shared-g@example.test")
        third.calendar_ref = "team-shared@group.calendar.google.com"
        self.assertEqual(self._connect(third, self.manager, "connmgr", "connmgr", "shared-g@example.test")
                         .status_code, 303)

    def test_a_calendar_connected_in_another_company_is_refused_without_naming_it(self):
        first = self._connection("Alpha's dispatch board", "cross-m@example.test", provider="microsoft")
        self.assertEqual(self._connect(first, self.manager, "connmgr", "connmgr", "cross-m@example.test")
                         .status_code, 303)
        other_company = self.env["res.company"].create({"name": "Bravo Electric Ltd"})
        other = new_test_user(self.env, "bravomgr", groups="fieldservice.group_fsm_manager,base.group_user",
                              company_id=other_company.id, company_ids=[other_company.id],
                              email="bravomgr@example.test", password="bravomgr")
        theirs = self._connection("Bravo board", "cross-m@example.test", provider="microsoft",
                                  company=other_company, user=other)
        answer = self._connect(theirs, other, "bravomgr", "bravomgr", "cross-m@example.test")
        self.assertEqual(answer.status_code, 400)
        self.assertIn("already connected in another company", answer.text)
        for secret in (first.company_id.name, first.name):
            self.assertNotIn(secret, answer.text, "nothing of the other company is named")
        self.assertEqual(theirs.sudo().state, "draft")
        self.assertFalse(theirs.sudo().token_encrypted)
        self.assertFalse(theirs.sudo().link_ids.filtered("event_id"), "the refused connection pulls nothing")

    def test_the_database_holds_one_connection_per_calendar_even_when_written_directly(self):
        from odoo.exceptions import ValidationError

        first = self._connection("Direct one", "direct@example.test")
        first.sudo().write({"state": "sandbox_connected"})
        first.flush_recordset()  # an earlier transaction connected it
        third = self._connection("Direct three", "other-direct@example.test")
        third.flush_recordset()
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"):
            # the database itself refuses, even where no check runs
            self.env.cr.execute("UPDATE fieldops_calendar_connection SET state = 'connected', calendar_key = %s "
                                "WHERE id = %s", (first.calendar_key, third.id))
        second = self._connection("Direct two", "DIRECT@example.test")
        with self.assertRaisesRegex(ValidationError, "already connected as “Direct one”"):
            second.sudo().write({"state": "sandbox_connected", "calendar_ref": "primary"})
