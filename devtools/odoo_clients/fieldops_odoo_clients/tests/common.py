"""What every test of Odoo's own calendar clients shares: the emulator, the redirect, the transactions.

Odoo's services call the provider in post-commit hooks (``after_commit`` in ``google_sync.py`` and
``microsoft_sync.py``), which Odoo's test cursor drops on purpose. A step here runs as Odoo runs in
production: a transaction of its own (a test cursor over the test's transaction) whose commit runs the
post-commit hooks, as a real cursor's commit does. Everything Odoo's services log at WARNING or above
(their only signal of a failed request: the hooks and the crons catch every exception) fails the step.
"""

import contextlib
import functools
import logging
import tempfile
from datetime import datetime, timedelta

import requests
from odoo import SUPERUSER_ID, api
from odoo.sql_db import TestCursor
from odoo.tests import HttpCase

from calsync.sandbox.kernel.tls import make_tls_material

from .redirect import RedirectedRequests

_logger = logging.getLogger(__name__)

SERVICE_LOGGERS = ("odoo.addons.google_calendar", "odoo.addons.google_account",
                   "odoo.addons.microsoft_calendar", "odoo.addons.microsoft_account")


def strict_expected_failure(why):
    """A step the provider's documentation says cannot work with Odoo's client: it must fail.

    ``why`` cites the document. Odoo's test runner ignores ``unittest.expectedFailure`` (an unexpected
    success passes quietly), so this one is strict: the day the step passes, the test fails and asks for
    the marker to go.
    """
    def decorate(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            try:
                method(self, *args, **kwargs)
            except Exception as exc:
                _logger.info("expected failure of %s (%s): %s", method.__name__, why, exc)
                return
            raise AssertionError(f"{method.__name__} passes now although it is marked as a strict expected "
                                 f"failure ({why}): remove the marker")
        run.strict_expected_failure = why
        return run
    return decorate


def emulator_gap(entry):
    """A step that fails because the emulator breaks the provider's documented behaviour, not because of
    Odoo's client: ``entry`` names the open entry of the emulator gaps list (with what Odoo sent, what the
    emulator answered and the doc). Strict like ``strict_expected_failure``: once the emulator is fixed the
    step passes, the test fails, and the marker must go."""
    return strict_expected_failure(f"emulator gap {entry}, open")


class _ServiceLog(logging.Handler):
    """Keeps what Odoo's calendar services log at WARNING and above."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _commit_running_hooks(cursor, _commit=TestCursor.commit):
    """TestCursor.commit, then the post-commit hooks, as a real cursor commits (sql_db.Cursor.commit).

    TestCursor.commit drops the hooks and their data; they are kept and put back first (the bus's hook
    reads its data from the cursor's own queue)."""
    funcs, data = list(cursor.postcommit._funcs), dict(cursor.postcommit.data)
    _commit(cursor)
    cursor.postcommit._funcs.extend(funcs)
    cursor.postcommit.data.update(data)
    cursor.postcommit.run()


class OdooClientCase(HttpCase):
    """One emulator, Odoo's service modules pointed at it, and helpers to act and to compare."""

    provider = None
    service_modules = ()  # the Odoo modules whose ``requests`` goes to the emulator
    provider_origins = ()  # the provider hosts Odoo's services call; the first names links in answers

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tls = make_tls_material(tempfile.mkdtemp(prefix="fieldops-odoo-clients-tls-"))

    def setUp(self):
        super().setUp()
        self.emulator = self.start_emulator()
        self.addCleanup(self.emulator.stop)
        self.transport = RedirectedRequests({origin: self.emulator.base_url for origin in self.provider_origins},
                                            self.tls.cert_path, self.provider_origins[0])
        for module in self.service_modules:
            self.patch(module, "requests", self.transport)
        self.patch(TestCursor, "commit", _commit_running_hooks)
        self.service_log = _ServiceLog()
        for name in SERVICE_LOGGERS:
            logging.getLogger(name).addHandler(self.service_log)
            self.addCleanup(logging.getLogger(name).removeHandler, self.service_log)
        self.user = self.env.ref("base.user_admin")
        self.user.partner_id.email = "admin@example.test"
        params = self.env["ir.config_parameter"].sudo()
        for key, value in self.client_parameters().items():
            params.set_param(key, value)

    # -- what each provider's case says ---------------------------------------------------------------
    def start_emulator(self):
        raise NotImplementedError

    def client_parameters(self):
        raise NotImplementedError

    # -- acting as Odoo does ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, user=None, handled=()):
        """One Odoo transaction as ``user`` (the admin by default); committing it runs the services' hooks.

        ``handled``: texts of provider answers the step expects Odoo to log and then handle itself (a
        documented 410 that sends it back to a full sync); each must be logged once at least."""
        self.env.flush_all()
        with self.registry.cursor() as cr:
            yield api.Environment(cr, (user or self.user).id, {})
        self.env.invalidate_all()
        self.assertServicesQuiet(handled)

    def run_cron(self, method, handled=()):
        """A calendar cron as Odoo's scheduler runs it (as the superuser; the cron commits per user)."""
        with self.transaction(self.env.ref("base.user_root"), handled) as env:
            getattr(env["res.users"].with_user(SUPERUSER_ID), method)()

    def assertServicesQuiet(self, handled=()):
        records, self.service_log.records = self.service_log.records, []
        for text in handled:
            # google_account / microsoft_account log every 4xx before their caller handles it
            expected = [r for r in records if text in r.getMessage() and r.name.endswith("_service")]
            self.assertTrue(expected, f"the provider answered {text}, as the step expects")
            records = [r for r in records if r not in expected]
        if records:
            calls = "\n".join(f"  {m} {u} -> {s}" for m, u, s in self.transport.calls[-12:])
            lines = "\n".join(f"  {r.levelname} {r.name}: {r.getMessage()[:600]}" for r in records)
            self.fail(f"Odoo's calendar service reported a failure:\n{lines}\nits last requests:\n{calls}")

    # -- looking at the emulator as a client would -------------------------------------------------------
    def emulator_get(self, path, token, **params):
        answer = requests.get(self.emulator.base_url + path, params=params, timeout=10, verify=self.tls.cert_path,
                              headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        return answer.json()

    @staticmethod
    def hour(days=2, hour=9):
        """A whole hour some days ahead (UTC, naive as Odoo stores it), inside both clients' sync range."""
        base = datetime.utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
        return base.replace(hour=hour)
