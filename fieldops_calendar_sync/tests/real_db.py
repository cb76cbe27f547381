"""Fixture for tests on committed data: real PostgreSQL sessions, jobs run the way queue_job runs them.

A test cursor cannot show per-batch commits or a session advisory lock (odoo-facts.md),
so these tests run in a pass of their own (tag ``fieldops_real_commits``), on a
throwaway copy of the test database that the test command makes and drops. Every
cursor here is a real connection of its own and every ``with`` block commits.
Jobs run through queue_job's own ``/queue_job/runjob`` route on the running test
server, or in a separate OS process that a test may kill.
"""

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import requests
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import BaseCase, get_db_name
from odoo.tools import config

from .common import ensure_test_key, warm_up_http
from .sandbox import SandboxProviders

CONNECTION = "fieldops.calendar.connection"

# What queue_job's runner does with one job, in a process of its own (see RealCommitsCase.start_worker).
WORKER = """
import sys
import odoo
from odoo.tools import config
config.parse_config(["-c", sys.argv[1], "-d", sys.argv[2], "--no-http"])
from odoo.modules.registry import DummyRLock, Registry
registry = Registry(sys.argv[2])
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    cr.execute("UPDATE queue_job SET state = 'enqueued' WHERE uuid = %s", (sys.argv[3],))
    RunJobController()._try_perform_job(env, Job.load(env, sys.argv[3]))
print("worker done", flush=True)
"""


class RealCommitsCase(BaseCase):
    """Both emulators, the addon in sandbox mode, and helpers that commit for real."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_test_key()
        warm_up_http()
        cls.dbname = get_db_name()
        cls.registry = Registry(cls.dbname)
        # the test runner holds the registry lock for the whole run; HttpCase lifts it in test mode,
        # and so must we, or the server's request threads (webhooks, runjob) wait for the run to end
        saved_lock, Registry._lock = Registry._lock, DummyRLock()
        cls.addClassCleanup(setattr, Registry, "_lock", saved_lock)
        cls.base_url = f"http://127.0.0.1:{config['http_port']}"
        cls.sandbox = SandboxProviders()
        cls.addClassCleanup(cls.sandbox.stop)
        with cls.env_() as env:
            cls.sandbox.configure(env, cls.base_url)
            cls.admin_id = env.ref("base.user_admin").id
            cls.location_id = env.ref("fieldservice.location_1").id

    @classmethod
    @contextmanager
    def env_(cls, uid=SUPERUSER_ID):
        """An environment on a real cursor of its own; committed when the block ends without error."""
        with cls.registry.cursor() as cr:
            yield api.Environment(cr, uid, {})

    # -- data ------------------------------------------------------------------------
    def connect(self, provider, jobs=0, tag=None):
        """A team with ``jobs`` scheduled jobs and a calendar connected through the sandbox sign-in."""
        tag = tag or f"{self._testMethodName[5:35]}-{provider}"
        with self.env_() as env:
            team = env["fsm.team"].create({"name": f"Team {tag}"})
            connection = env[CONNECTION].create({
                "name": f"Calendar {tag}", "provider": provider, "account_email": f"{tag}@example.test",
                "team_ids": [(6, 0, team.ids)], "responsible_user_id": self.admin_id,
            })
            env["fsm.order"].create([{
                "location_id": self.location_id, "team_id": team.id, "description": f"<p>Job {n}</p>",
                "scheduled_date_start": f"2026-12-{1 + n % 28:02d} {8 + n % 9:02d}:00:00",
                "scheduled_date_end": f"2026-12-{1 + n % 28:02d} {9 + n % 9:02d}:00:00",
            } for n in range(jobs)])
        with self.env_() as env:
            connection = env[CONNECTION].browse(connection.id)
            connection._demo_connect_sandbox()
            self.assertEqual(connection.state, "sandbox_connected", connection.last_error)
            return connection.id, f"{tag}@example.test"

    def link_states(self, connection_id):
        with self.env_() as env:
            env.cr.execute("SELECT state, count(*) FROM fieldops_calendar_link WHERE connection_id = %s "
                           "GROUP BY state", (connection_id,))
            return dict(env.cr.fetchall())

    # -- queue jobs --------------------------------------------------------------------
    def jobs(self, connection_id, states=("pending", "enqueued", "started"), method=None):
        """(uuid, method, state) of the queue jobs of a connection, oldest first."""
        with self.env_() as env:
            # every job of ours carries the connection id at the end of its identity key
            env.cr.execute(
                "SELECT uuid, method_name, state FROM queue_job WHERE model_name = %s AND state IN %s "
                "AND identity_key ~ %s ORDER BY id",
                (CONNECTION, tuple(states), f"^fieldops-calendar-[a-z-]+-{connection_id}(-[a-z]+)?$"))
            rows = [row for row in env.cr.fetchall() if method is None or row[1] == method]
        return rows

    def run_job(self, uuid):
        """Run one queue job through queue_job's own route on the running server; returns its new state."""
        with self.env_() as env:
            env.cr.execute("UPDATE queue_job SET state = 'enqueued', date_enqueued = now() WHERE uuid = %s",
                           (uuid,))
        requests.get(f"{self.base_url}/queue_job/runjob", params={"db": self.dbname, "job_uuid": uuid},
                     timeout=120)
        with self.env_() as env:
            env.cr.execute("SELECT state FROM queue_job WHERE uuid = %s", (uuid,))
            return env.cr.fetchone()[0]

    def run_owed(self, connection_id, method=None, rounds=10):
        """Run the connection's queued jobs (and those they queue) until none is due."""
        for _round in range(rounds):
            due = [uuid for uuid, name, state in self.jobs(connection_id, ("pending",), method)]
            if not due:
                return
            for uuid in due:
                self.run_job(uuid)
        self.fail(f"jobs of connection {connection_id} still due after {rounds} rounds")

    def start_worker(self, uuid):
        """Run one queue job in a separate Odoo process, as a worker would; the caller may kill it."""
        return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-c", WORKER, config.rcfile, self.dbname, uuid],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ},
        )

    def wait_for(self, condition, timeout=30, message="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        self.fail(f"timed out waiting for {message}")
