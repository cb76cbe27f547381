"""A private, throwaway PostgreSQL cluster on loopback for tests and the demo.

PostgreSQL refuses to run as root, so when we are root the server runs as the
``postgres`` OS user. Odoo refuses ``db_user = postgres``, so the cluster gets
a login role of its own.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

from devtools import tools

ROLE = "fieldops"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_pg_bin() -> str:
    """The directory of the PostgreSQL server binaries (see :func:`devtools.tools.pg_bin`)."""
    return tools.pg_bin()


class PgCluster:
    """initdb + pg_ctl start/stop in ``directory`` (a fresh temp dir by default)."""

    def __init__(self, directory: str | None = None, port: int | None = None):
        self.owned_dir = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="fieldops-pg-")
        self.data = os.path.join(self.directory, "data")
        self.port = port or free_port()
        self.bin = find_pg_bin()
        self.as_postgres = os.geteuid() == 0
        self.runuser = tools.runuser() if self.as_postgres else None
        self.started = False

    # -- helpers -----------------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        if self.as_postgres:
            return [self.runuser, "-u", "postgres", "--", *args]
        return list(args)

    def _run(self, *args: str, quiet=True) -> None:
        subprocess.run(self._cmd(*args), check=True, cwd="/",
                       stdout=subprocess.DEVNULL if quiet else None,
                       stderr=subprocess.PIPE if quiet else None)

    def _prepare_dir(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.directory, pw.pw_uid, pw.pw_gid)
            os.chmod(self.directory, 0o700)  # its log and data are postgres's only (root reads them anyway)
            # every parent must be traversable by the postgres user
            parent = os.path.dirname(os.path.abspath(self.directory))
            while parent not in ("/", ""):
                mode = os.stat(parent).st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
                parent = os.path.dirname(parent)

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> PgCluster:
        self._prepare_dir()
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--locale=C")
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-o", self._options(), "-l", self._log(),
                  "-w", "-t", "60", "start")
        self.started = True
        self.ensure_role()
        return self

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200")

    def _log(self) -> str:
        return os.path.join(self.directory, "postgres.log")

    def restart(self, mode: str = "fast", timeout: int = 60) -> float:
        """``pg_ctl restart -m MODE -w``: every session is cut (fast: rolled back, not waited for), then the
        server accepts connections again; returns the seconds that took. For runs that test what a restart
        of the database does to the product (benchmarks/two_servers_pg_restart.py)."""
        started = time.monotonic()
        # not _run(): the new postmaster would inherit a captured stderr and keep the pipe open for ever
        subprocess.run(self._cmd(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", mode, "-o",
                                 self._options(), "-l", self._log(), "-w", "-t", str(timeout), "restart"),
                       check=True, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        return time.monotonic() - started

    def psql(self, sql: str, db: str = "postgres") -> str:
        result = subprocess.run(
            [os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
            check=True, capture_output=True, text=True)
        return result.stdout.strip()

    def ensure_role(self) -> None:
        exists = self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}'")
        if not exists:
            self.psql(f"CREATE ROLE {ROLE} LOGIN SUPERUSER")

    def database_exists(self, name: str) -> bool:
        return bool(self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def stop(self) -> None:
        if self.started:
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")
            self.started = False
        if self.owned_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.psql("SELECT 1")
                return
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not become ready")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
