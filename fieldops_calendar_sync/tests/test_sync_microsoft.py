"""Two-way sync with Microsoft 365 through queue-job methods, against the Microsoft sandbox emulator."""

from datetime import datetime

from odoo.tests import tagged

from .sandbox import SandboxCase, run_job

WRITES = ("POST", "PATCH", "DELETE")


@tagged("post_install", "-at_install")
class TestMicrosoftSync(SandboxCase):
    provider = "microsoft"
    account_prefix = "mbx"

    def setUp(self):
        super().setUp()
        self.assertTrue(self.connection.sudo().token_encrypted)

    def _job(self, **vals):
        values = {"location_id": self.env.ref("fieldservice.location_2").id, "team_id": self.team.id,
                  "scheduled_date_start": datetime(2026, 12, 14, 9, 0),
                  "scheduled_date_end": datetime(2026, 12, 14, 11, 0), "description": "<p>Service the chiller</p>"}
        values.update(vals)
        return self.env["fsm.order"].create(values)

    def _events(self):
        return {e["id"]: e for e in self.emulator.live_events(self.account)}

    def _writes_since(self, mark):
        return [r for r in self.emulator.requests_log()[mark:] if r["method"] in WRITES]

    def test_round_trip_echo_free_and_calendar_edit(self):
        job = self._job()
        run_job(self, self.connection, "_job_push")
        link = job.calendar_link_ids
        self.assertEqual(link.state, "in_sync")
        event = self._events()[link.event_id]
        self.assertEqual(event["transactionId"], link.identity)
        run_job(self, self.connection, "_job_pull")
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_pull")
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self._writes_since(mark), [])
        # a person moves the event in Outlook
        self.emulator.person_edit(link.event_id, {"start": "2026-12-14T13:00:00Z", "end": "2026-12-14T15:00:00Z"})
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(job.scheduled_date_start, datetime(2026, 12, 14, 13, 0))
        self.assertEqual(job.scheduled_date_end, datetime(2026, 12, 14, 15, 0))
        mark = len(self.emulator.requests_log())
        run_job(self, self.connection, "_job_push")
        self.assertEqual(self._writes_since(mark), [], "the applied change was pushed back")
        # the job is cancelled in Odoo: the event goes, the link is a tombstone
        job.action_cancel()
        run_job(self, self.connection, "_job_push")
        self.assertEqual(link.state, "tombstone")
        self.assertFalse(self._events())

    def test_delta_state_gone_resyncs_without_duplicates(self):
        jobs = self._job() | self._job(scheduled_date_start=datetime(2026, 12, 15, 9, 0),
                                       scheduled_date_end=datetime(2026, 12, 15, 10, 0))
        run_job(self, self.connection, "_job_push")
        run_job(self, self.connection, "_job_pull")
        self.emulator.expire_sync_state(self.account)
        run_job(self, self.connection, "_job_pull")
        self.assertEqual(len(self._events()), 2)
        self.assertEqual(set(jobs.calendar_link_ids.mapped("state")), {"in_sync"})

    def test_graph_validation_handshake_is_echoed_as_plain_text(self):
        # Graph calls this while the subscribe request is still open, when the channel row is committed
        # 'pending'; the route answers without any other state (test_security: refused otherwise)
        self.env["fieldops.calendar.channel"].create({"connection_id": self.connection.id,
                                                      "external_id": "sub-pending", "state": "pending"})
        self.env.flush_all()
        for route in ("/fieldops_calendar_sync/webhook/microsoft",
                      "/fieldops_calendar_sync/webhook/microsoft/lifecycle"):
            answer = self.opener.post(self.base_url() + route + "?validationToken=Validation%3A+abc+123",
                                      data=b"", headers={"Content-Type": "text/plain"}, timeout=10)
            self.assertEqual(answer.status_code, 200)
            self.assertEqual(answer.text, "Validation: abc 123")
            self.assertTrue(answer.headers["Content-Type"].startswith("text/plain"))

    def test_graph_notification_batch_with_a_forged_item_acts_only_on_the_genuine_one(self):
        channel = self.env["fieldops.calendar.channel"].create({
            "connection_id": self.connection.id, "external_id": "sub-known", "resource_id": "me/events",
            "state": "active", "expires_at": datetime(2030, 1, 1)})
        channel._set_token("client-state-secret")
        pulls = self.env["queue.job"].search([("identity_key", "in", [
            f"fieldops-calendar-pull-{self.connection.id}", f"fieldops-calendar-pull-full-{self.connection.id}"])])
        pulls.write({"state": "done"})
        item = {"subscriptionId": "sub-known", "clientState": "client-state-secret", "changeType": "updated",
                "resource": "Users/x/Events/1", "resourceData": {"@odata.etag": 'W/"1"', "id": "1"}}
        forged = dict(item, clientState="guess")
        self.env.flush_all()
        answer = self.opener.post(self.base_url() + "/fieldops_calendar_sync/webhook/microsoft",
                                  json={"value": [item, forged]}, timeout=10)
        self.assertEqual(answer.status_code, 202)
        self.env.invalidate_all()
        rows = self.env["fieldops.calendar.notification"].search([("channel_id", "=", channel.id)], order="id")
        self.assertEqual(rows.mapped("status"), ["accepted", "rejected"])
        jobs = self.env["queue.job"].search([("identity_key", "=", f"fieldops-calendar-pull-{self.connection.id}"),
                                             ("state", "=", "pending")])
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs.company_id, self.connection.company_id)
        only_forged = self.opener.post(self.base_url() + "/fieldops_calendar_sync/webhook/microsoft",
                                       json={"value": [forged]}, timeout=10)
        self.assertEqual(only_forged.status_code, 403)
        garbage = self.opener.post(self.base_url() + "/fieldops_calendar_sync/webhook/microsoft",
                                   data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
        self.assertEqual(garbage.status_code, 400)
