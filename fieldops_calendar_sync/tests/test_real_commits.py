"""Per-batch commits, the connection lock and dead workers, tested on committed data.

Separate PostgreSQL sessions and a separate OS process show what the standard
pass's test cursor cannot: a push commits each batch as it goes, a second job for
the same calendar waits while the first holds the lock, and a worker killed in
the middle of a push loses nothing and duplicates nothing.
"""

import signal
import threading
import time

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tests import tagged

from .real_db import CONNECTION, RealCommitsCase

BATCH = 50  # the Google client's batch size


@tagged("-standard", "-at_install", "post_install", "fieldops_real_commits")
class TestPushCommitsAndLock(RealCommitsCase):
    def event_inserts(self, since):
        """Event inserts the emulator received since log position ``since`` (batch items included)."""
        return [r for r in self.sandbox.google.requests_log()[since:]
                if r["method"] == "POST" and r["path"].endswith("/events")]

    def test_second_push_of_a_calendar_waits_for_the_lock_and_nothing_is_pushed_twice(self):
        connection_id, account = self.connect("google", jobs=3)
        google = self.sandbox.google
        mark = len(google.requests_log())
        google.inject_fault("slow", delay=6, path_contains="/events")
        first = self.start_worker(self.jobs(connection_id, method="_job_push")[0][0])
        self.addCleanup(first.kill)
        self.wait_for(lambda: self.event_inserts(mark), message="the first push to reach the calendar")
        # the first push holds the lock while the provider is slow: a second one, in its own session, waits
        with self.env_() as env:
            connection = env[CONNECTION].browse(connection_id)._job_env()
            with self.assertRaises(RetryableJobError) as caught:
                connection._job_push()
        self.assertTrue(caught.exception.ignore_retry, "waiting for the lock must not spend an attempt")
        self.assertEqual(first.wait(timeout=60), 0, first.stdout.read())
        self.assertEqual(self.link_states(connection_id), {"in_sync": 3})
        self.assertEqual(len(google.live_events(account)), 3)
        self.assertEqual(len(self.event_inserts(mark)), 3, "each job was sent once")
        # the lock is free again: the next push finds nothing owed and writes nothing
        with self.env_() as env:
            env[CONNECTION].browse(connection_id)._job_env()._job_push()
        self.assertEqual(len(self.event_inserts(mark)), 3)

    def test_push_commits_each_batch_and_a_killed_worker_loses_nothing(self):
        jobs = 2 * BATCH + 20
        connection_id, account = self.connect("google", jobs=jobs)
        google = self.sandbox.google
        self.assertEqual(self.link_states(connection_id), {"pending_push": jobs})
        # the second batch stalls at the provider: the worker is killed while it waits
        google.inject_fault("slow", delay=4, path_contains="/events", after=BATCH)
        (push_uuid, _method, _state), = self.jobs(connection_id, method="_job_push")
        worker = self.start_worker(push_uuid)
        self.addCleanup(worker.kill)
        # the first batch is committed while the job is still running: another session sees it
        self.wait_for(lambda: self.link_states(connection_id).get("in_sync") == BATCH,
                      message="the first batch to be committed")
        self.wait_for(lambda: not google.faults, message="the second batch to reach the provider")
        self.assertIsNone(worker.poll(), "the job is still running when its first batch is visible")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        self.assertEqual(self.link_states(connection_id), {"in_sync": BATCH, "pending_push": jobs - BATCH})
        # queue_job leaves the dead worker's job 'started'; its session died, so the lock is free
        self.assertEqual(self.jobs(connection_id, method="_job_push")[0][2], "started")
        with self.env_() as env:
            self.assertTrue(env[CONNECTION].browse(connection_id)._lock_is_free())
        self.requeue_once_old_enough(push_uuid)
        self.assertEqual(self.jobs(connection_id, method="_job_push"), [(push_uuid, "_job_push", "pending")])
        # the stalled batch lands at the provider after the crash; the retry must not duplicate it
        self.assertEqual(self.run_job(push_uuid), "done")
        self.assertEqual(self.link_states(connection_id), {"in_sync": jobs})
        time.sleep(4.5)  # the stalled request finishes (or found its ids taken) after the retry
        events = google.live_events(account)
        self.assertEqual(len(events), jobs, "exactly one event per job")
        with self.env_() as env:
            env.cr.execute("SELECT count(DISTINCT event_id), count(*) FROM fieldops_calendar_link "
                           "WHERE connection_id = %s", (connection_id,))
            distinct, total = env.cr.fetchone()
        self.assertEqual((distinct, total), (jobs, jobs))
        self.assertEqual({e["id"] for e in events}, self._event_ids(connection_id))

    def test_cron_requeues_nothing_while_the_worker_is_alive(self):
        connection_id, _account = self.connect("google", jobs=2)
        self.sandbox.google.inject_fault("slow", delay=3, path_contains="/events")
        (push_uuid, _method, _state), = self.jobs(connection_id, method="_job_push")
        worker = self.start_worker(push_uuid)
        self.addCleanup(worker.kill)
        self.wait_for(lambda: self.jobs(connection_id, ("started",), "_job_push"), message="the job to start")
        with self.env_() as env:
            env[CONNECTION]._cron_requeue_owed_work()
        self.assertEqual(self.jobs(connection_id, method="_job_push")[0][2], "started",
                         "a job whose worker holds the lock is not requeued")
        self.assertEqual(worker.wait(timeout=60), 0, worker.stdout.read())
        self.assertEqual(self.jobs(connection_id, ("done",), "_job_push")[0][0], push_uuid)

    def test_a_dead_job_is_requeued_even_when_another_job_did_its_work(self):
        # Two servers behind a proxy: the server running a push is killed, a later push (enqueued by a pull
        # on the other server) pushes everything. Nothing is owed any more, but the dead job was left
        # 'started' forever, holding a slot of the channel (found by benchmarks/two_servers.py).
        connection_id, account = self.connect("google", jobs=3)
        self.sandbox.google.inject_fault("slow", delay=5, path_contains="/events")
        (push_uuid, _method, _state), = self.jobs(connection_id, method="_job_push")
        worker = self.start_worker(push_uuid)
        self.addCleanup(worker.kill)
        self.wait_for(lambda: self.jobs(connection_id, ("started",), "_job_push"), message="the job to start")
        self.wait_for(lambda: not self.sandbox.google.faults, message="the push to reach the provider")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        with self.env_() as env:  # another worker's push does the work
            env[CONNECTION].browse(connection_id)._job_env()._job_push()
        self.assertEqual(self.link_states(connection_id), {"in_sync": 3})
        self.requeue_once_old_enough(push_uuid)
        self.assertEqual(self.jobs(connection_id, ("pending",), "_job_push"), [(push_uuid, "_job_push", "pending")])
        self.assertEqual(self.run_job(push_uuid), "done")
        time.sleep(5.5)  # the stalled request of the dead worker finishes
        self.assertEqual(len(self.sandbox.google.live_events(account)), 3)

    def test_a_cut_database_session_ends_as_a_retry_and_nothing_is_pushed_twice(self):
        # PostgreSQL ends the worker's session (a restart, a failover) while the provider is creating the
        # events: they are created, but the job's next commit finds its session gone. Nothing here is
        # mocked: the emulator holds the insert, and PostgreSQL terminates the session for real.
        connection_id, account = self.connect("google", jobs=3)
        google = self.sandbox.google
        mark = len(google.requests_log())
        google.inject_fault("slow", delay=3, path_contains="/events")
        (push_uuid, _method, _state), = self.jobs(connection_id, method="_job_push")
        runner = threading.Thread(target=self.run_job, args=(push_uuid,))  # the route answers when the job ends
        runner.start()
        self.addCleanup(runner.join, 60)
        pid = self.wait_for(lambda: self.lock_holder(connection_id), message="the push to hold its lock")
        self.wait_for(lambda: not google.faults, message="the insert to reach the provider")
        with self.env_() as env:
            env.cr.execute("SELECT pg_terminate_backend(%s)", (pid,))
            self.assertTrue(env.cr.fetchone()[0])
        runner.join(timeout=60)
        self.assertEqual(len(self.event_inserts(mark)), 3, "the provider acted before the session was cut")
        with self.env_() as env:
            env.cr.execute("SELECT state, retry, result, exc_name FROM queue_job WHERE uuid = %s", (push_uuid,))
            state, retry, result, exc_name = env.cr.fetchone()
        self.assertEqual(state, "pending", f"a retry, not a failure ({exc_name})")
        self.assertEqual(retry, 1)
        self.assertIn("Database session lost", result)
        self.assertEqual(self.link_states(connection_id), {"pending_push": 3}, "nothing after the cut was kept")
        # the next try binds the events the provider made instead of making them again
        self.assertEqual(self.run_job(push_uuid), "done")
        self.assertEqual(self.link_states(connection_id), {"in_sync": 3})
        events = google.live_events(account)
        self.assertEqual(len(events), 3, "exactly one event per job")
        self.assertEqual({e["id"] for e in events}, self._event_ids(connection_id))

    def test_a_job_whose_dispatch_was_lost_is_requeued_by_the_cron(self):
        # The runner marked the job enqueued and sent its runjob request, which failed before the job
        # started (PostgreSQL restarting as it arrived): nothing will ever run it
        connection_id, _account = self.connect("google", jobs=1)
        (push_uuid, _method, _state), = self.jobs(connection_id, method="_job_push")
        with self.env_() as env:
            env.cr.execute("UPDATE queue_job SET state = 'enqueued', date_enqueued = now() AT TIME ZONE 'UTC' "
                           "WHERE uuid = %s", (push_uuid,))
            env[CONNECTION]._cron_requeue_owed_work()
        self.assertEqual(self.jobs(connection_id, method="_job_push")[0][2], "enqueued",
                         "a request sent a moment ago may still be on its way to a worker")
        with self.env_() as env:
            env.cr.execute("UPDATE queue_job SET date_enqueued = date_enqueued - interval '2 minutes' "
                           "WHERE uuid = %s", (push_uuid,))
            env[CONNECTION]._cron_requeue_owed_work()
        self.assertEqual(self.jobs(connection_id, method="_job_push"), [(push_uuid, "_job_push", "pending")])
        self.assertEqual(self.run_job(push_uuid), "done")
        self.assertEqual(self.link_states(connection_id), {"in_sync": 1})

    def lock_holder(self, connection_id):
        """The PostgreSQL backend holding the connection's advisory lock (the running job's session)."""
        with self.env_() as env:
            key = env[CONNECTION].browse(connection_id)._lock_key()
            env.cr.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                           "AND classid = %s::oid AND objid = %s::oid", (key >> 32, key & 0xFFFFFFFF))
            row = env.cr.fetchone()
        return row and row[0]

    def requeue_once_old_enough(self, uuid):
        """The requeue cron leaves a job that started a moment ago (it may be polling for the lock), then
        requeues it once it is older than the lock wait."""
        with self.env_() as env:
            env[CONNECTION]._cron_requeue_owed_work()
            env.cr.execute("SELECT state FROM queue_job WHERE uuid = %s", (uuid,))
            self.assertEqual(env.cr.fetchone()[0], "started", "a job that just started is not taken for dead")
            env.cr.execute("UPDATE queue_job SET date_started = date_started - interval '1 minute' WHERE uuid = %s",
                           (uuid,))
        with self.env_() as env:
            env[CONNECTION]._cron_requeue_owed_work()

    def _event_ids(self, connection_id):
        with self.env_() as env:
            env.cr.execute("SELECT event_id FROM fieldops_calendar_link WHERE connection_id = %s", (connection_id,))
            return {row[0] for row in env.cr.fetchall()}
