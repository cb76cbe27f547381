"""Organization connections (issue #25) against the emulators: Google Workspace domain-wide delegation and
Microsoft 365 app-only access, one calendar per technician, no technician signing in."""

import base64
import json
from datetime import datetime, time, timedelta, timezone

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .sandbox import SandboxHttpCase, run_job

DOMAIN = "org-techs.test"


def tomorrow(hour):
    day = datetime.now(timezone.utc).date() + timedelta(days=1)
    return datetime.combine(day, time(hour))


class OrganizationCase(SandboxHttpCase):
    provider = "google"

    def setUp(self):
        super().setUp()
        self.admin = self.env.ref("base.user_admin")
        self.emulator = self.sandbox.emulators[self.provider]
        self.location = self.env.ref("fieldservice.location_1")
        self.org = self.env["fieldops.calendar.organization"].create({
            "name": f"{self.provider} technicians", "provider": self.provider, "google_domain": DOMAIN,
            "responsible_user_id": self.admin.id})

    def technicians(self, count, prefix="tech"):
        tag = self.id().rsplit(".", 1)[-1][5:25]
        return self.env["fsm.person"].create([{"name": f"{prefix.title()} {n} {tag}",
                                               "email": f"{prefix}{n}-{tag}@{DOMAIN}".lower()}
                                              for n in range(count)])

    def job_for(self, person, hour=9):
        return self.env["fsm.order"].create({"location_id": self.location.id, "person_id": person.id,
                                             "scheduled_date_start": tomorrow(hour),
                                             "scheduled_date_end": tomorrow(hour + 1)})

    def grant(self):
        self.org.action_sandbox_grant()
        self.assertEqual(self.org.state, "connected", self.org.last_error)

    def add(self, persons):
        wizard = self.env["fieldops.calendar.organization.add"].create(
            {"organization_id": self.org.id, "person_ids": [(6, 0, persons.ids)]})
        self.assertEqual(set(persons.ids) - set(wizard.candidate_ids.ids), set(), "every worker is offered")
        wizard.action_add()
        return self.org.connection_ids.filtered(lambda c: c.person_ids in persons)

    def summaries(self, person):
        return sorted(e.get("summary") or e.get("subject") for e in self.emulator.live_events(person.email))


@tagged("post_install", "-at_install")
class TestGoogleOrganization(OrganizationCase):
    provider = "google"

    def test_an_organization_of_20_technicians_syncs_each_own_calendar(self):
        self.grant()
        self.assertTrue(self.org.google_client_id, "the client id the Workspace admin authorizes is shown")
        people = self.technicians(20)
        jobs = {person: self.job_for(person) for person in people}
        calendars = self.add(people)
        self.assertEqual(len(calendars), 20)
        self.assertEqual(set(calendars.mapped("state")), {"sandbox_connected"})
        self.assertEqual(set(calendars.mapped("first_sync_pending")), {False}, "chosen by the admin: syncing")
        self.assertFalse(any(c.sudo().token_encrypted for c in calendars), "no technician token is stored")
        for calendar in calendars:
            run_job(self, calendar, "_job_push")
        for person, job in jobs.items():
            self.assertEqual(len(self.summaries(person)), 1, f"{person.name}: their own job only")
            self.assertIn(job.name, self.summaries(person)[0])
        # a technician's calendar edit comes back to their job, through the grant
        first = people[0]
        event = self.emulator.live_events(first.email)[0]
        moved = datetime.combine(tomorrow(9).date(), time(14)).replace(tzinfo=timezone.utc)
        self.emulator.person_edit(event["id"], {"start": moved, "end": moved + timedelta(hours=1)}, first.email)
        calendar = calendars.filtered(lambda c: c.person_ids == first)
        run_job(self, calendar, "_job_pull")
        self.assertEqual(jobs[first].scheduled_date_start, moved.replace(tzinfo=None))
        # the requests count against each technician's quota and the project's, which they share
        self.env.cr.execute("SELECT account_key, SUM(units) FROM fieldops_calendar_quota_use "
                            "WHERE account_key LIKE %s GROUP BY account_key", ("google-project:%",))
        ((key, units),) = self.env.cr.fetchall()
        self.assertIn(self.org.google_client_email, key)
        self.assertGreaterEqual(units, 21)
        self.assertEqual(self.org.technician_count, 20)
        self.assertEqual(self.org.attention_count, 0)

    def test_adding_and_removing_a_technician(self):
        self.grant()
        alice, bob = self.technicians(2)
        self.job_for(alice)
        (calendar,) = self.add(alice)
        run_job(self, calendar, "_job_push")
        wizard = self.env["fieldops.calendar.organization.add"].create({"organization_id": self.org.id})
        self.assertNotIn(alice, wizard.candidate_ids, "already in the organization")
        self.assertIn(bob, wizard.candidate_ids)
        calendar.action_remove_from_organization()
        self.assertEqual(calendar.state, "disconnected")
        self.assertFalse(calendar.active)
        self.assertEqual(len(self.summaries(alice)), 1, "a removed technician's events stay in place")
        self.assertEqual(self.org.technician_count, 0)
        # added again: the same calendar comes back, and its links with it
        (again,) = self.add(alice)
        self.assertEqual(again, calendar)
        self.assertEqual(again.state, "sandbox_connected")
        run_job(self, again, "_job_push")
        self.assertEqual(len(self.summaries(alice)), 1, "no duplicate after coming back")

    def test_revoked_delegation_asks_to_reconnect_the_organization_once(self):
        self.grant()
        people = self.technicians(3)
        for person in people:
            self.job_for(person)
        calendars = self.add(people)
        self.emulator.revoke_delegation(self.org.google_client_id)
        for calendar in calendars:
            self.emulator.expire_access_tokens()
            run_job(self, calendar, "_job_push")
        self.assertEqual(self.org.state, "needs_reauth")
        self.assertIn("Domain-wide delegation", self.org.last_error)
        self.assertEqual(set(calendars.mapped("state")), {"needs_reauth"})
        activities = self.org.activity_ids.filtered(lambda a: "Reconnect organization" in (a.summary or ""))
        self.assertEqual(len(activities), 1, "one activity for the organization, not one per technician")
        self.assertEqual(activities.user_id, self.admin)
        self.assertFalse(any(self.summaries(p) for p in people), "nothing was written without the grant")
        # the Workspace admin authorizes the client id again; Reconnect brings every technician back
        self.emulator.authorize_delegation(self.org.google_client_id, ["https://www.googleapis.com/auth/calendar.events",
                                                                         "https://www.googleapis.com/auth/calendar.freebusy"])
        self.org.action_reconnect()
        self.assertEqual(self.org.state, "connected")
        self.assertEqual(set(calendars.mapped("state")), {"sandbox_connected"})
        self.assertFalse(self.org.activity_ids)
        for calendar in calendars:
            run_job(self, calendar, "_job_push")
        self.assertTrue(all(len(self.summaries(p)) == 1 for p in people), "the owed work went out")

    def test_a_technician_outside_the_domain_is_marked_and_the_others_go_on(self):
        self.grant()
        inside = self.technicians(2)
        outside = self.env["fsm.person"].create({"name": "Contractor", "email": "contractor@elsewhere.test"})
        for person in inside | outside:
            self.job_for(person)
        calendars = self.add(inside | outside)
        for calendar in calendars:
            run_job(self, calendar, "_job_push")
        stray = calendars.filtered(lambda c: c.person_ids == outside)
        self.assertEqual((stray.state, stray.last_error_kind), ("error", "out_of_scope"))
        self.assertEqual(self.org.state, "connected", "the grant itself is fine")
        self.assertEqual(self.org.out_of_scope_count, 1)
        self.assertIn("Outside the grant", stray.health_summary)
        self.assertEqual(stray.technician_problem, "Outside the grant")
        for person in inside:
            self.assertEqual(len(self.summaries(person)), 1)
        self.assertEqual(set((calendars - stray).mapped("state")), {"sandbox_connected"})

    def test_an_uploaded_key_is_checked_stored_encrypted_and_never_shown(self):
        with self.assertRaisesRegex(UserError, "not a service account key"):
            self.org.google_key_file = base64.b64encode(json.dumps({"type": "authorized_user"}).encode())
        self.org.invalidate_recordset()
        self.assertFalse(self.org.google_client_id, "a refused key is not stored")
        self.grant()
        stored = self.org.sudo().google_key_encrypted
        self.assertTrue(stored)
        self.assertNotIn("PRIVATE KEY", stored)
        self.assertFalse(self.org.google_key_file, "write-only: the key never comes back")
        dispatcher = new_test_user(self.env, "org_dispatcher", groups="fieldservice.group_fsm_dispatcher")
        with self.assertRaises(AccessError):
            self.org.with_user(dispatcher).read(["google_key_encrypted"])
        with self.assertRaises(AccessError):
            self.org.with_user(dispatcher).write({"name": "mine"})
        self.org.action_disconnect()
        self.assertFalse(self.org.sudo().google_key_encrypted, "disconnecting erases the key")

    def test_key_rotation_reencrypts_the_organizations_key_and_readiness_checks_it(self):
        from odoo.tools import config

        from calsync.crypto import TokenCipher, generate_key

        self.grant()
        (person,) = self.technicians(1)
        self.job_for(person)
        (calendar,) = self.add(person)
        old_key, before = config.get("fieldops_calendar_sync_key"), self.org.sudo().google_key_encrypted
        new_key = generate_key()
        config["fieldops_calendar_sync_key"] = f"{new_key},{old_key}"
        try:
            self.assertEqual(self.env["fieldops.calendar.readiness"]._key_facts()[2], 0)
            self.env["res.config.settings"].create({}).action_fieldops_reencrypt_secrets()
            rotated = self.org.sudo().google_key_encrypted
            self.assertNotEqual(rotated, before)
            self.assertIn("private_key", TokenCipher.from_keys([new_key]).decrypt(rotated))
            config["fieldops_calendar_sync_key"] = new_key  # the old key can go: the technician still syncs
            run_job(self, calendar, "_job_push")
            self.assertEqual(len(self.summaries(person)), 1)
            config["fieldops_calendar_sync_key"] = generate_key()  # a key that decrypts nothing is reported
            self.assertGreaterEqual(self.env["fieldops.calendar.readiness"]._key_facts()[2], 1)
        finally:
            config["fieldops_calendar_sync_key"] = old_key


@tagged("post_install", "-at_install")
class TestMicrosoftOrganization(OrganizationCase):
    provider = "microsoft"

    def tearDown(self):
        self.emulator.set_mailbox_scope(None)
        super().tearDown()

    def test_app_only_technicians_and_a_mailbox_outside_the_scope(self):
        self.grant()
        people = self.technicians(3)
        for person in people:
            self.job_for(person)
        calendars = self.add(people)
        # the admin's application access policy reaches the first two mailboxes only
        self.emulator.set_mailbox_scope([p.email for p in people[:2]])
        for calendar in calendars:
            run_job(self, calendar, "_job_push")
        for person in people[:2]:
            self.assertEqual(len(self.summaries(person)), 1)
        stray = calendars.filtered(lambda c: c.person_ids == people[2])
        self.assertEqual((stray.state, stray.last_error_kind), ("error", "out_of_scope"))
        self.assertIn("ErrorAccessDenied", stray.last_error)
        self.assertEqual(self.org.state, "connected")
        self.assertEqual(len(self.org.activity_ids), 1, "one note for the admin about the scope")
        # the admin widens the scope: Retry brings the technician in
        self.emulator.set_mailbox_scope(None)
        stray.action_retry_technician()
        self.assertEqual(stray.state, "sandbox_connected")
        run_job(self, stray, "_job_push")
        self.assertEqual(len(self.summaries(people[2])), 1)

    def test_revoked_admin_consent_asks_to_reconnect(self):
        self.grant()
        (person,) = self.technicians(1)
        self.job_for(person)
        (calendar,) = self.add(person)
        self.emulator.revoke_admin_consent()
        self.emulator.expire_access_tokens()
        run_job(self, calendar, "_job_push")
        self.assertEqual((self.org.state, calendar.state), ("needs_reauth", "needs_reauth"))
        with self.assertRaisesRegex(UserError, "refused the organization's grant"):
            self.org.action_reconnect()
        self.emulator.grant_admin_consent()
        self.org.action_reconnect()
        self.assertEqual(calendar.state, "sandbox_connected")

    def test_a_multi_tenant_authority_is_refused(self):
        with self.assertRaisesRegex(Exception, "own tenant"):
            self.org.microsoft_tenant = "common"
            self.org.flush_recordset()


@tagged("post_install", "-at_install")
class TestOrganizationTenancy(OrganizationCase):
    def test_only_this_companys_workers_are_offered_and_accepted(self):
        other = self.env["res.company"].create({"name": "Other Field Co"})
        mine = self.technicians(1)
        theirs = self.env["fsm.person"].create({"name": "Theirs", "email": f"theirs@{DOMAIN}",
                                                "company_id": other.id})
        nobody = self.env["fsm.person"].create({"name": "Freelance", "email": f"free@{DOMAIN}",
                                                "company_id": False})
        wizard = self.env["fieldops.calendar.organization.add"].create({"organization_id": self.org.id})
        self.assertIn(mine, wizard.candidate_ids)
        self.assertIn(nobody, wizard.candidate_ids, "no company: offered to the admin's current company")
        self.assertNotIn(theirs, wizard.candidate_ids)
        with self.assertRaisesRegex(UserError, "cannot join"):
            self.org._add_technicians(theirs)
        # seen from the other company, a worker of no company is not offered to this organization
        elsewhere = self.org.with_company(other).with_context(allowed_company_ids=[other.id, self.org.company_id.id])
        self.assertNotIn(nobody, self.env["fsm.person"].search(elsewhere._candidate_domain()))
        user_b = new_test_user(self.env, "org_mgr_b", groups="fieldservice.group_fsm_manager,base.group_user",
                               company_id=other.id, company_ids=[other.id])
        self.assertFalse(self.env["fieldops.calendar.organization"].with_user(user_b).search([]))

    def test_a_technician_calendar_keeps_its_organizations_technician(self):
        self.grant()
        alice, bob = self.technicians(2)
        (calendar,) = self.add(alice)
        with self.assertRaisesRegex(UserError, "organization decides"):
            calendar.write({"person_ids": [(6, 0, bob.ids)]})
