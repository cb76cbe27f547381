"""Test fixture: the sandbox emulators, started in-process on loopback for a test class.

Provider behaviour is never mocked in the Odoo suite: the addon talks real HTTP
through the real client libraries to these emulators, exactly as in sandbox mode.
"""

import json
import os
import tempfile

import requests
from odoo import api
from odoo.tests import HttpCase

from calsync.sandbox.google import GoogleEmulator
from calsync.sandbox.kernel.tls import make_tls_material
from calsync.sandbox.microsoft import MicrosoftEmulator

from .common import ensure_test_key, warm_up_http


class SandboxProviders:
    """Starts the emulators and writes the info file the addon's sandbox mode reads."""

    def __init__(self, enforce_limits=False):
        self.directory = tempfile.mkdtemp(prefix="fieldops-test-sandbox-")
        self.tls = make_tls_material(os.path.join(self.directory, "tls"))
        self.google = GoogleEmulator(self.tls, enforce_quotas=enforce_limits, allow_http_loopback=True).start()
        # the test server receives webhooks on plain http://127.0.0.1: the loopback allowance (the real APIs
        # want https)
        self.microsoft = MicrosoftEmulator(self.tls, enforce_limits=enforce_limits, duplicate_notifications=0,
                                           allow_http_loopback=True).start()
        self.emulators = {"google": self.google, "microsoft": self.microsoft}
        self.info_path = os.path.join(self.directory, "sandbox.json")
        info = {"ca_cert": self.tls.cert_path}
        for name, emulator in self.emulators.items():
            info[name] = {"base_url": emulator.base_url, "consent_url": emulator.consent_url,
                          "client_id": emulator.client_id, "client_secret": emulator.client_secret}
        with open(self.info_path, "w") as handle:
            json.dump(info, handle)

    def configure(self, env, public_base_url=None):
        params = env["ir.config_parameter"].sudo()
        params.set_param("fieldops_calendar_sync.sandbox_mode", "True")
        params.set_param("fieldops_calendar_sync.sandbox_info_path", self.info_path)
        if public_base_url:
            params.set_param("fieldops_calendar_sync.public_base_url", public_base_url)

    def stop(self):
        for emulator in self.emulators.values():
            emulator.stop()


class SandboxHttpCase(HttpCase):
    """An HttpCase with both emulators running for the class and the addon in sandbox mode."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_test_key()
        warm_up_http()
        cls.sandbox = SandboxProviders()
        cls.addClassCleanup(cls.sandbox.stop)

    def setUp(self):
        super().setUp()
        self.sandbox.configure(self.env, self.base_url())

    def sign_in_page(self, url, account, decision="allow"):
        """What the person does on the sandbox's sign-in page (plain http): sign in as ``account``, or cancel.

        Returns where the page sends the browser (the addon's callback, with the code or the error).
        """
        browser = requests.Session()
        browser.trust_env = False
        page = browser.get(url, timeout=10)
        self.assertEqual(page.status_code, 200, page.text[:300])
        self.assertTrue(page.url.startswith("http://127.0.0.1:"), "a plain-http page: no certificate warning")
        done = browser.post(page.url, data={"account": account, "decision": decision}, allow_redirects=False,
                            timeout=10)
        self.assertEqual(done.status_code, 302, done.text[:300])
        return done.headers["Location"]


class SandboxCase(SandboxHttpCase):
    """The sandbox, and one connected calendar feeding a team of its own."""

    provider = "google"
    account_prefix = "crew"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls.sandbox.emulators[cls.provider]

    def setUp(self):
        super().setUp()
        self.admin = self.env.ref("base.user_admin")
        self.team = self.env["fsm.team"].create({"name": f"{self.account_prefix} team"})
        self.account = f"{self.account_prefix}-{self.id().rsplit('.', 1)[-1][5:30]}@example.test"
        self.connection = self.connect(f"{self.account_prefix} calendar", self.team, self.account)

    def connect(self, name, team, account, provider=None):
        """A connection signed in through the sandbox's consent-at-once code flow."""
        connection = self.env["fieldops.calendar.connection"].create({
            "name": name, "provider": provider or self.provider, "account_email": account,
            "team_ids": [(6, 0, team.ids)], "responsible_user_id": self.admin.id,
        })
        connection._demo_connect_sandbox()
        self.assertEqual(connection.state, "sandbox_connected", connection.last_error)
        return connection


def run_job(case, connection, method, **kwargs):
    """Run a queue job method as queue_job would: its own cursor, as the responsible user, in the company.

    The cursor is the registry's test cursor, whose commit() is a savepoint of the test transaction:
    the product's per-batch commits run unchanged.
    """
    case.env.flush_all()  # what the user's transaction wrote is committed before a job runs
    try:
        with case.registry.cursor() as cr:
            env = api.Environment(cr, connection.responsible_user_id.id, {})
            record = env[connection._name].browse(connection.id)._job_env()
            return getattr(record, method)(**kwargs)
    finally:
        case.env.invalidate_all()
