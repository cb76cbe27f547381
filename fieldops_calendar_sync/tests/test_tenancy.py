"""A user of company B never sees or touches company A's calendar records."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import TwoCompaniesCase

MODELS = {
    "connection": "fieldops.calendar.connection",
    "link": "fieldops.calendar.link",
    "channel": "fieldops.calendar.channel",
    "notification": "fieldops.calendar.notification",
    "conflict": "fieldops.calendar.conflict",
    "conflict_line": "fieldops.calendar.conflict.line",
}


@tagged("post_install", "-at_install")
class TestTenancy(TwoCompaniesCase):
    def _as_b(self, model):
        return self.env[model].with_user(self.manager_b).with_context(allowed_company_ids=[self.company_b.id])

    def test_search_and_name_search_see_only_own_company(self):
        for key, model in MODELS.items():
            records = self._as_b(model).search([])
            self.assertIn(self.setup_b[key], records, key)
            self.assertNotIn(self.setup_a[key], records, key)
            found = self._as_b(model).name_search(self.setup_a[key].display_name or "")
            self.assertNotIn(self.setup_a[key].id, [row[0] for row in found], key)

    def test_read_write_unlink_of_other_company_refused(self):
        for key, model in MODELS.items():
            record = self._as_b(model).browse(self.setup_a[key].id)
            with self.assertRaises(AccessError, msg=f"read {key}"):
                record.read(["company_id"])
            with self.assertRaises(AccessError, msg=f"export {key}"):
                record.export_data(["id", "company_id"])
            with self.assertRaises(AccessError, msg=f"write {key}"):
                record.write({"company_id": self.company_b.id})
            with self.assertRaises(AccessError, msg=f"unlink {key}"):
                record.unlink()
        # nothing moved
        for key in MODELS:
            self.assertEqual(self.setup_a[key].company_id, self.company_a, key)

    def test_own_company_records_remain_usable(self):
        self.assertEqual(self._as_b(MODELS["connection"]).browse(self.setup_b["connection"].id).read(["name"])[0]["name"],
                         "Calendar B")

    def test_cannot_link_own_job_to_other_company_calendar(self):
        Link = self._as_b(MODELS["link"])
        try:
            with self.env.cr.savepoint():
                Link.create({"connection_id": self.setup_a["connection"].id, "job_id": self.setup_b["job"].id})
        except (AccessError, UserError, ValidationError) as exc:
            refused = exc
        else:
            refused = None
        self.assertIsNotNone(refused, "a company-B user linked a job to company A's calendar")
        self.assertFalse(self.env["fieldops.calendar.link"].search(
            [("connection_id", "=", self.setup_a["connection"].id), ("job_id", "=", self.setup_b["job"].id)]))

    def test_related_fields_do_not_leak(self):
        # the job of company B shows only its own links, even through the one2many
        job_b = self._as_b("fsm.order").browse(self.setup_b["job"].id)
        self.assertEqual(job_b.calendar_link_ids, self.setup_b["link"].with_user(self.manager_b))
        self.assertEqual(job_b.calendar_sync_status, "synced")
        with self.assertRaises(AccessError):
            self._as_b("fsm.order").browse(self.setup_a["job"].id).read(["calendar_link_ids"])

    def test_queued_jobs_of_other_company_invisible_to_queue_manager(self):
        connection_a = self.setup_a["connection"]
        connection_b = self.setup_b["connection"]
        for connection in (connection_a, connection_b):
            connection.sudo().state = "sandbox_connected"
            connection._enqueue_push()
        Job = self.env["queue.job"].with_user(self.manager_b).with_context(allowed_company_ids=[self.company_b.id])
        visible = Job.search([("model_name", "=", "fieldops.calendar.connection")])
        self.assertTrue(visible)
        self.assertEqual(set(visible.mapped("company_id").ids), {self.company_b.id})
        job_a = self.env["queue.job"].search([("identity_key", "=", f"fieldops-calendar-push-{connection_a.id}")])
        self.assertEqual(job_a.company_id, self.company_a)
        self.assertEqual(job_a.user_id, self.manager_a)
        with self.assertRaises(AccessError):
            Job.browse(job_a.id).read(["uuid"])
