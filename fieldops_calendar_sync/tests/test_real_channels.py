"""Push channels on committed data: a real Graph subscription end to end, lifecycle repairs and renewal.

Graph validates a subscription by calling our server while the subscribe call
is still open; inside the standard pass that server would wait on the test
cursor's lock, so these run in the committed-data pass, against the running
test server, with jobs run by queue_job's own route.
"""

import json
from datetime import datetime, timedelta

from odoo.tests import tagged

from .real_db import RealCommitsCase


@tagged("-standard", "-at_install", "post_install", "fieldops_real_commits")
class TestChannelsLive(RealCommitsCase):
    def channels(self, connection_id, state=None):
        """{external id: (state, expires_at)} of the connection's channel rows."""
        with self.env_() as env:
            env.cr.execute("SELECT external_id, state, expires_at FROM fieldops_calendar_channel "
                           "WHERE connection_id = %s ORDER BY id", (connection_id,))
            return {ext: (st, exp) for ext, st, exp in env.cr.fetchall() if state in (None, st)}

    def inbox(self, connection_id):
        with self.env_() as env:
            env.cr.execute("SELECT kind, status FROM fieldops_calendar_notification WHERE connection_id = %s "
                           "ORDER BY id", (connection_id,))
            return env.cr.fetchall()

    def connected_with_channel(self, provider, jobs=0):
        connection_id, account = self.connect(provider, jobs=jobs)
        self.run_owed(connection_id)  # first full pull, push, and the channel opened at connect
        active = self.channels(connection_id, "active")
        self.assertEqual(len(active), 1, self.channels(connection_id))
        return connection_id, account, next(iter(active))

    def graph_calls(self, method, fragment):
        return [r for r in self.sandbox.microsoft.requests_log() if r["method"] == method and fragment in r["path"]]

    # -- Graph end to end ------------------------------------------------------------------------
    def test_outlook_edit_reaches_the_job_through_a_real_subscription(self):
        connection_id, _account, subscription = self.connected_with_channel("microsoft", jobs=1)
        graph = self.sandbox.microsoft
        self.assertIn(subscription, graph.subscriptions, "the subscription passed Graph's validation handshake")
        with self.env_() as env:
            link = env["fieldops.calendar.link"].search([("connection_id", "=", connection_id)])
            event_id, job_id = link.event_id, link.job_id.id
        # our own push was notified too (and that pull finds nothing new); then count what the edit brings
        self.wait_for(lambda: ("change", "accepted") in self.inbox(connection_id), message="the push's notification")
        self.run_owed(connection_id)
        seen = len(self.inbox(connection_id))
        graph.person_edit(event_id, {"start": "2026-12-03T13:00:00Z", "end": "2026-12-03T15:30:00Z"})
        self.wait_for(lambda: ("change", "accepted") in self.inbox(connection_id)[seen:],
                      message="the change notification")
        self.assertTrue(self.jobs(connection_id, ("pending",), "_job_pull"), "the notification queued a pull")
        self.run_owed(connection_id)
        with self.env_() as env:
            job = env["fsm.order"].browse(job_id)
            self.assertEqual(job.scheduled_date_start, datetime(2026, 12, 3, 13, 0))
            self.assertEqual(job.scheduled_date_end, datetime(2026, 12, 3, 15, 30))
            self.assertEqual(link.with_env(env).state, "in_sync")
        self.assertEqual(self.graph_calls("PATCH", f"/events/{event_id}"), [], "the pulled edit was not echoed")

    # -- Graph lifecycle events --------------------------------------------------------------------
    def test_reauthorization_required_renews_the_subscription_in_place(self):
        connection_id, _account, subscription = self.connected_with_channel("microsoft")
        self.sandbox.microsoft.send_lifecycle(subscription, "reauthorizationRequired")
        self.wait_for(lambda: ("lifecycle", "accepted") in self.inbox(connection_id), message="the lifecycle event")
        self.run_owed(connection_id)
        self.assertEqual(len(self.graph_calls("PATCH", f"/subscriptions/{subscription}")), 1)
        self.assertEqual(list(self.channels(connection_id, "active")), [subscription])
        self.assertTrue(self.jobs(connection_id, ("done",), "_job_pull"), "a pull caught up on anything missed")

    def test_subscription_removed_is_recreated_and_followed_by_a_full_resync(self):
        connection_id, _account, subscription = self.connected_with_channel("microsoft")
        pulls_before = len(self.jobs(connection_id, ("done",), "_job_pull"))
        self.sandbox.microsoft.send_lifecycle(subscription, "subscriptionRemoved")
        self.wait_for(lambda: ("lifecycle", "accepted") in self.inbox(connection_id), message="the lifecycle event")
        self.run_owed(connection_id)
        channels = self.channels(connection_id)
        self.assertEqual(channels[subscription][0], "stopped")
        (fresh,) = self.channels(connection_id, "active")
        self.assertNotEqual(fresh, subscription)
        self.assertIn(fresh, self.sandbox.microsoft.subscriptions)
        self.assertEqual(len(self.jobs(connection_id, ("done",), "_job_pull")), pulls_before + 1)

    def test_missed_notifications_queue_a_full_resync(self):
        connection_id, _account, subscription = self.connected_with_channel("microsoft")
        self.sandbox.microsoft.send_lifecycle(subscription, "missed")
        self.wait_for(lambda: ("lifecycle", "accepted") in self.inbox(connection_id), message="the lifecycle event")
        with self.env_() as env:
            env.cr.execute("SELECT kwargs FROM queue_job WHERE method_name = '_job_pull' AND state = 'pending' "
                           "AND identity_key = %s", (f"fieldops-calendar-pull-full-{connection_id}",))
            kwargs = [row[0] for row in env.cr.fetchall()]
        self.assertEqual([json.loads(k) if isinstance(k, str) else k for k in kwargs], [{"full": True}])
        self.run_owed(connection_id)
        self.assertEqual(list(self.channels(connection_id, "active")), [subscription])

    # -- renewal before expiry ----------------------------------------------------------------------
    def test_channels_are_renewed_before_they_expire(self):
        google_id, _g, google_channel = self.connected_with_channel("google")
        graph_id, _m, subscription = self.connected_with_channel("microsoft")
        soon = datetime.now() + timedelta(hours=2)
        with self.env_() as env:
            env.cr.execute("UPDATE fieldops_calendar_channel SET expires_at = %s WHERE external_id IN %s",
                           (soon, (google_channel, subscription)))
            env["fieldops.calendar.connection"]._cron_keep_channels_alive()
        self.run_owed(google_id)
        self.run_owed(graph_id)
        # Google: a new channel overlapping the old one, then the old one stopped at Google
        google_rows = self.channels(google_id)
        self.assertEqual(google_rows[google_channel][0], "stopped")
        (new_channel,) = self.channels(google_id, "active")
        self.assertIn(new_channel, self.sandbox.google.channels)
        self.assertNotIn(google_channel, self.sandbox.google.channels)
        # Graph: the same subscription, PATCHed to a new expiry
        ((state, expires),) = self.channels(graph_id).values()
        self.assertEqual(state, "active")
        self.assertGreater(expires, datetime.now() + timedelta(days=2))
        self.assertEqual(len(self.graph_calls("PATCH", f"/subscriptions/{subscription}")), 1)
        # nothing near expiry: the next run renews nothing
        watches = len(self.sandbox.google.requests_log())
        with self.env_() as env:
            env["fieldops.calendar.connection"]._cron_keep_channels_alive()
        self.run_owed(google_id)
        self.run_owed(graph_id)
        self.assertEqual([r for r in self.sandbox.google.requests_log()[watches:] if "watch" in r["path"]], [])
        self.assertEqual(len(self.graph_calls("PATCH", f"/subscriptions/{subscription}")), 1)
