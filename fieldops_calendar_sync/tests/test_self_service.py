"""A technician connects their own calendar from their worker profile, without an admin (issue #25).

Against the sandbox: the sign-in page, the callback finishing as the technician, the person's jobs
linked and pushed. Then who sees, changes and disconnects such a calendar: that technician and the
company's Field Service managers, nobody else.
"""

import os
import time
import urllib.parse
from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .browser_steps import BrowserSteps
from .sandbox import SandboxHttpCase, run_job

MANAGER = "fieldservice.group_fsm_manager,base.group_user"
DISPATCHER = "fieldservice.group_fsm_dispatcher,base.group_user"
TECHNICIAN = "fieldservice.group_fsm_user,base.group_user"


class SelfServiceMixin:
    """A technician whose login is linked to a worker profile with a work email, and a job of theirs."""

    def setUp(self):
        super().setUp()
        self.Connection = self.env["fieldops.calendar.connection"]
        self.company = self.env.company
        self.tech = self._technician("tess", "Tess Fieldtech", "tess.work@example.test")
        self.person = self._person_of(self.tech)
        self.manager = new_test_user(self.env, "ssmgr", groups=MANAGER, email="ssmgr@example.test", password="ssmgr")
        self.dispatcher = new_test_user(self.env, "ssdisp", groups=DISPATCHER, email="ssdisp@example.test",
                                        password="ssdisp")
        start = datetime.now().replace(microsecond=0) + timedelta(days=3)
        self.job = self.env["fsm.order"].create({
            "location_id": self.env.ref("fieldservice.location_1").id, "person_id": self.person.id,
            "scheduled_date_start": start, "scheduled_date_end": start + timedelta(hours=1),
            "description": "<p>Replace the boiler valve</p>"})

    def _technician(self, login, name, email, company=None):
        company = company or self.company
        return new_test_user(self.env, login, groups=TECHNICIAN, name=name, email=email, password=login,
                             company_id=company.id, company_ids=[company.id])

    def _person_of(self, user):
        """The worker profile built on the user's own contact (fsm.person ``_inherits`` res.partner)."""
        person = self.env["fsm.person"].create({"partner_id": user.partner_id.id})
        self.assertEqual(person.partner_id, user.partner_id)
        return person


@tagged("post_install", "-at_install")
class TestSelfServiceConnect(SelfServiceMixin, SandboxHttpCase):
    def _connect_mine(self, user, person, provider="google", account=None):
        """As ``user``: click Connect my calendar, sign in on the sandbox's page, come back to the callback."""
        method = f"action_connect_my_{provider}_calendar"
        action = getattr(person.with_user(user), method)()
        self.assertEqual(action["type"], "ir.actions.act_url")
        location = urllib.parse.urlsplit(self.sign_in_page(action["url"], account or person.email))
        self.env.flush_all()
        self.authenticate(user.login, user.login)
        answer = self.url_open(f"{location.path}?{location.query}", allow_redirects=False)
        self.env.invalidate_all()
        return answer

    def _wait_for_sync_message(self, connection, timeout=15):
        """Google's 'sync' message reaches the test server on its own: let it be recorded before going on."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.registry.test_lock:
                self.env.invalidate_all()
                if self.env["fieldops.calendar.notification"].sudo().search_count(
                        [("connection_id", "=", connection.id)]):
                    return
            time.sleep(0.2)
        self.fail("Google's sync message never arrived")

    def _mine(self, user=None):
        return self.Connection.sudo().search([("self_service_user_id", "=", (user or self.tech).id)])

    def test_a_technician_connects_their_own_calendar_and_their_jobs_reach_it(self):
        self.assertTrue(self.person.with_user(self.tech).fieldops_self_service)
        self.assertFalse(self.person.with_user(self.dispatcher).fieldops_self_service, "not the dispatcher's")
        answer = self._connect_mine(self.tech, self.person)
        self.assertEqual(answer.status_code, 303, answer.text[:300])
        connection = self._mine()
        self.assertEqual(len(connection), 1)
        self.assertTrue(answer.headers["Location"].endswith(f"/odoo/calendar-connections/{connection.id}"))
        self.assertEqual(connection.state, "sandbox_connected", connection.last_error)
        self.assertEqual(connection.name, "Tess Fieldtech's calendar")
        self.assertEqual(connection.provider, "google")
        self.assertEqual(connection.account_email, "tess.work@example.test")
        self.assertEqual(connection.company_id, self.company)
        self.assertEqual(connection.responsible_user_id, self.tech)
        self.assertEqual(connection.person_ids, self.person)
        self.assertFalse(connection.team_ids)
        self.assertEqual(connection.direction, "two_way")
        self.assertFalse(connection.first_sync_pending, "no admin has to start a technician's first sync")
        link = connection.link_ids.filtered(lambda lnk: lnk.job_id == self.job)
        self.assertEqual(link.state, "pending_push", "the technician's job is adopted")
        self.assertTrue(any("Calendar connected by Tess Fieldtech" in body
                            for body in connection.message_ids.mapped("body")))
        # the push job runs as the technician (the responsible user) and puts the job in their calendar
        run_job(self, connection, "_job_push")
        run_job(self, connection, "_job_pull", full=True)
        link.invalidate_recordset()
        self.assertEqual(link.state, "in_sync", link.last_error)
        events = self.sandbox.google.live_events("tess.work@example.test")
        self.assertEqual([event["id"] for event in events], [link.event_id])
        # and the busy times of the technician's calendar are read as them too (availability, issue #26)
        self.assertTrue(connection._job_env()._refresh_busy_times())
        connection.invalidate_recordset()
        self.assertTrue(connection.busy_refreshed_at)
        # the profile says so, to the technician only
        mine = self.person.with_user(self.tech)
        self.assertEqual(mine.fieldops_my_calendar_state, "sandbox_connected")
        self.assertEqual(mine.fieldops_my_calendar_account, "tess.work@example.test")
        self.assertFalse(self.person.with_user(self.manager).fieldops_my_calendar_state)

    def test_connecting_again_reconnects_the_same_calendar(self):
        self.assertEqual(self._connect_mine(self.tech, self.person).status_code, 303)
        first = self._mine()
        self.person.with_user(self.tech).action_disconnect_my_calendar()
        self.assertEqual(first.state, "disconnected")
        self.assertEqual(self._connect_mine(self.tech, self.person).status_code, 303)
        self.assertEqual(self._mine(), first, "no second connection for the same person")
        self.assertEqual(first.state, "sandbox_connected")

    def test_microsoft_365_too(self):
        answer = self._connect_mine(self.tech, self.person, provider="microsoft")
        self.assertEqual(answer.status_code, 303, answer.text[:300])
        connection = self._mine()
        self.assertEqual(connection.provider, "microsoft")
        self.assertEqual(connection.state, "sandbox_connected", connection.last_error)

    def test_who_sees_a_technicians_own_calendar(self):
        self.assertEqual(self._connect_mine(self.tech, self.person).status_code, 303)
        connection = self._mine()
        shared = self.Connection.create({"name": "Dispatch board", "provider": "google",
                                         "responsible_user_id": self.manager.id})
        other_tech = self._technician("otto", "Otto Othertech", "otto.work@example.test")
        self._person_of(other_tech)
        other_company = self.env["res.company"].create({"name": "Bravo Heating Ltd"})
        bravo = new_test_user(self.env, "bravoss", groups=MANAGER, company_id=other_company.id,
                              company_ids=[other_company.id], email="bravoss@example.test")
        self.env.flush_all()
        seen = {user.login: self.Connection.with_user(user).search([]) for user in
                (self.tech, other_tech, self.dispatcher, self.manager, bravo)}
        self.assertEqual(seen["tess"], connection, "the technician sees their own calendar, and only it")
        self.assertFalse(seen["otto"], "another technician sees nothing")
        self.assertIn(shared, seen["ssdisp"], "dispatchers still see the company's calendars")
        self.assertNotIn(connection, seen["ssdisp"], "but not a technician's own")
        self.assertIn(connection, seen["ssmgr"])
        self.assertIn(shared, seen["ssmgr"])
        self.assertFalse(seen["bravoss"] & (connection | shared), "another company sees nothing")
        for user in (other_tech, self.dispatcher, bravo):
            with self.assertRaises(AccessError, msg=user.login):
                connection.with_user(user).read(["name", "state"])
            with self.assertRaises(AccessError, msg=user.login):
                connection.with_user(user).action_disconnect()
        self.assertEqual(connection.with_user(self.manager).read(["name"])[0]["name"], "Tess Fieldtech's calendar")
        # the job's link stays readable by the dispatcher, and names the calendar (list, export) without opening it
        self.dispatcher.groups_id += self.env.ref("base.group_allow_export")
        links = self.env["fieldops.calendar.link"].with_user(self.dispatcher).search(
            [("job_id", "=", self.job.id), ("connection_id", "=", connection.id)])
        self.assertEqual(len(links), 1)
        self.assertEqual(links.export_data(["connection_id"])["datas"], [["Tess Fieldtech's calendar"]])
        self.assertTrue(links.read(["display_name"])[0]["display_name"].endswith(" @ Tess Fieldtech's calendar"))
        shown = links.web_read({"display_name": {}, "connection_id": {"fields": {"display_name": {}}}})
        self.assertEqual(shown[0]["connection_id"]["display_name"], "Tess Fieldtech's calendar")
        self.job.with_user(self.dispatcher).web_read({"calendar_sync_status": {}, "calendar_link_count": {}})
        with self.assertRaises(AccessError):
            connection.with_user(self.dispatcher).read(["display_name"])
        with self.assertRaises(AccessError):
            shared.with_user(self.tech).read(["name"])
        with self.assertRaises(AccessError):
            shared.with_user(self.dispatcher).write({"name": "Renamed by a dispatcher"})
        with self.assertRaises(AccessError):
            shared.with_user(self.tech).action_connect()  # signing in is for one's own calendar only
        with self.assertRaises(AccessError):
            connection.with_user(self.tech).read(["token_encrypted"])  # secrets stay with administrators

    def test_the_technician_changes_nothing_but_the_sign_in(self):
        self.assertEqual(self._connect_mine(self.tech, self.person).status_code, 303)
        connection = self._mine()
        mine = connection.with_user(self.tech)
        team = self.env["fsm.team"].create({"name": "Everyone's jobs"})
        other = self._person_of(self._technician("pia", "Pia Peer", "pia.work@example.test"))
        refused = {"team_ids": [(6, 0, team.ids)], "job_domain": "[(1, '=', 1)]",
                   "person_ids": [(4, other.id)], "responsible_user_id": self.manager.id,
                   "self_service_user_id": self.manager.id, "company_id": self.company.id,
                   "direction": "pull_only", "name": "Mine now", "allow_calendar_cancel": True}
        for field, value in refused.items():
            with self.assertRaises(UserError, msg=field):  # AccessError is a UserError
                mine.write({field: value})
        with self.assertRaises(AccessError):
            self.Connection.with_user(self.tech).create({"name": "Mine too", "provider": "google",
                                                         "responsible_user_id": self.tech.id})
        for button in ("action_full_resync", "action_confirm_held_pull", "action_discard_held_pull",
                       "action_retry_failed", "action_disconnect_remove_events"):
            with self.assertRaises(AccessError, msg=button):
                getattr(mine, button)()
        connection.invalidate_recordset()
        self.assertEqual(connection.person_ids, self.person)
        self.assertFalse(connection.team_ids)
        self.assertEqual(connection.job_domain, "[]")
        self.assertEqual(connection.responsible_user_id, self.tech)
        # what signing in needs stays open to them
        mine.write({"account_email": "tess.private@example.test"})
        self.assertTrue(mine.action_sync_now())
        # a manager still configures it
        connection.with_user(self.manager).write({"team_ids": [(6, 0, team.ids)]})

    def test_only_the_user_linked_to_the_profile_connects_it(self):
        for user in (self.dispatcher, self.manager, self._technician("uma", "Uma Unlinked", "uma@example.test")):
            with self.assertRaises(AccessError, msg=user.login):
                self.person.with_user(user).action_connect_my_google_calendar()
        self.assertFalse(self.Connection.sudo().search([("self_service_user_id", "!=", False)]))

    def test_a_profile_of_a_company_the_user_cannot_work_in_is_refused(self):
        other_company = self.env["res.company"].create({"name": "Charlie Plumbing Ltd"})
        # the ORM keeps a user's own contact in their companies: only a direct write gets there
        self.env.flush_all()
        self.env.cr.execute("UPDATE res_partner SET company_id = %s WHERE id = %s",
                            (other_company.id, self.person.partner_id.id))
        self.env.invalidate_all()
        with self.assertRaises(AccessError):
            self.person.with_user(self.tech).action_connect_my_google_calendar()
        self.assertFalse(self._mine())

    def test_the_switch_off_refuses_and_hides_the_button(self):
        self.env["ir.config_parameter"].sudo().set_param("fieldops_calendar_sync.self_service", "False")
        self.person.invalidate_recordset()
        self.assertFalse(self.person.with_user(self.tech).fieldops_self_service)
        with self.assertRaisesRegex(UserError, "turned off"):
            self.person.with_user(self.tech).action_connect_my_google_calendar()
        self.assertFalse(self._mine())
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.fieldops_self_service)
        settings.fieldops_self_service = True
        settings.execute()
        self.person.invalidate_recordset()
        self.assertTrue(self.person.with_user(self.tech).fieldops_self_service)

    def test_a_company_with_an_organization_connection_adds_technicians_itself(self):
        organization = self.env["fieldops.calendar.organization"].create({
            "name": "Workspace", "provider": "google", "google_domain": "example.test",
            "responsible_user_id": self.manager.id})
        self.assertTrue(self.person.with_user(self.tech).fieldops_self_service, "not granted yet: it reaches nobody")
        organization.sudo().state = "connected"
        self.person.invalidate_recordset()
        self.tech.invalidate_recordset()
        self.assertFalse(self.person.with_user(self.tech).fieldops_self_service, "no button")
        self.assertFalse(self.tech.with_user(self.tech).fieldops_self_service, "not in the preferences either")
        with self.assertRaisesRegex(UserError, "organization connection"):
            self.person.with_user(self.tech).action_connect_my_google_calendar()
        self.assertFalse(self._mine())
        organization.sudo().state = "disconnected"  # the grant is gone: technicians connect their own again
        self.person.invalidate_recordset()
        self.assertTrue(self.person.with_user(self.tech).fieldops_self_service)

    def test_a_worker_whose_calendar_syncs_through_the_organization_is_refused(self):
        organization = self.env["fieldops.calendar.organization"].create({
            "name": "Workspace", "provider": "google", "google_domain": "example.test",
            "responsible_user_id": self.manager.id})
        self.Connection.create({"name": "Tess through the organization", "provider": "google",
                                "organization_id": organization.id, "person_ids": [(6, 0, self.person.ids)],
                                "account_email": "tess.work@example.test", "responsible_user_id": self.manager.id})
        self.person.invalidate_recordset()
        self.assertFalse(self.person.with_user(self.tech).fieldops_self_service)
        with self.assertRaisesRegex(UserError, "already syncs through your organization"):
            self.person.with_user(self.tech).action_connect_my_microsoft_calendar()
        self.assertFalse(self._mine())

    def test_the_technician_disconnects_their_calendar(self):
        self.assertEqual(self._connect_mine(self.tech, self.person).status_code, 303)
        connection = self._mine()
        run_job(self, connection, "_job_keep_channels")  # push channels, as the job queued at connecting does
        self._wait_for_sync_message(connection)
        self.assertTrue(connection.sudo().channel_ids.filtered(lambda c: c.state == "active"))
        self.person.with_user(self.tech).action_disconnect_my_calendar()
        connection.invalidate_recordset()
        self.assertEqual(connection.state, "disconnected")
        self.assertFalse(connection.sudo().token_encrypted)
        self.assertFalse(connection.sudo().channel_ids.filtered(lambda c: c.state in ("pending", "active")))
        self.assertTrue(any("Calendar disconnected by Tess Fieldtech" in body
                            for body in connection.message_ids.mapped("body")))


@tagged("post_install", "-at_install")
class TestSelfServiceTour(BrowserSteps, SelfServiceMixin, SandboxHttpCase):
    def test_the_technician_sees_connect_my_calendar_on_their_profile(self):
        self.env.flush_all()
        url = f"/odoo/action-fieldservice.action_fsm_person/{self.person.id}"
        self.start_tour(url, "fieldops_self_service_connect", login="tess")
        self._screenshot_profile(url, "self_service_profile", ".o_fieldops_connect_my_google")
        # the button's action: the provider's sign-in page
        action = self.person.with_user(self.tech).action_connect_my_microsoft_calendar()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith(self.sandbox.microsoft.consent_url), action["url"])

    def test_connected_the_profile_and_the_connection_form_open_for_the_technician(self):
        action = self.person.with_user(self.tech).action_connect_my_google_calendar()
        location = urllib.parse.urlsplit(self.sign_in_page(action["url"], "tess.work@example.test"))
        self.env.flush_all()
        self.authenticate("tess", "tess")
        self.assertEqual(self.url_open(f"{location.path}?{location.query}", allow_redirects=False).status_code, 303)
        self.env.invalidate_all()
        url = f"/odoo/action-fieldservice.action_fsm_person/{self.person.id}"
        self.start_tour(url, "fieldops_self_service_connected", login="tess")
        self._screenshot_profile(url, "self_service_connected", ".o_fieldops_disconnect_my_calendar")

    def test_my_preferences_lead_to_connect_my_calendar(self):
        self.assertTrue(self.tech.with_user(self.tech).fieldops_self_service)
        self.assertEqual(self.tech.with_user(self.tech).fieldops_worker_id, self.person)
        self.assertFalse(self.dispatcher.with_user(self.dispatcher).fieldops_self_service, "no worker profile")
        with self.assertRaises(AccessError):
            self.tech.with_user(self.dispatcher).action_fieldops_my_calendar()
        self.env.flush_all()
        self.start_tour("/odoo", "fieldops_self_service_preferences", login="tess")

    def _screenshot_profile(self, url, name, ready_selector):
        """Saved where FIELDOPS_SCREENSHOT_DIR points (to look at the page), otherwise not taken."""
        if not os.environ.get("FIELDOPS_SCREENSHOT_DIR"):
            return
        self.env.flush_all()
        browser = ChromeBrowser(self, success_signal="tour succeeded")
        try:
            self.authenticate("tess", "tess", browser=browser)
            browser.navigate_to(f"{self.base_url()}{url}", wait_stop=True)
            self.assertTrue(browser._wait_ready(f"!!document.querySelector('{ready_selector}')", 30))
            self._screenshot(browser, name)
        finally:
            browser.stop()
            self._wait_remaining_requests()
