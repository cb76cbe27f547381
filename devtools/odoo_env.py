"""Find an Odoo 18 to test and run with, and prepare it the way production would be.

Odoo core is on no package registry: the developer keeps an Odoo 18 checkout
with its virtualenv at ``FIELDOPS_ODOO_HOME`` (default ``/opt/odoo18``: source
in ``src/``, virtualenv in ``venv/``), or points ``FIELDOPS_ODOO_PYTHON`` at a
Python that can ``import odoo``, or runs the command with such a Python.
Preparing installs the engine with its dependencies under Odoo's own pins and
the OCA addons (wheels, ``--no-deps``) into a directory of our own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from devtools import tools

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_DIR = os.path.join(ROOT, ".run")
DEFAULT_ODOO_HOME = "/opt/odoo18"
OCA_ADDONS = ("odoo-addon-fieldservice>=18.0.5.9,<18.1", "odoo-addon-base_territory>=18.0.1.0,<18.1",
              # optional: only the fieldops_calendar_sync_recurring bridge needs it (no OCA depends beyond fieldservice)
              "odoo-addon-fieldservice_recurring>=18.0.1.2,<18.1")
# queue_job 18.0.1.7.1 and later use @api.private, which the original 18.0 release lacks
QUEUE_JOB_OLD_ODOO = "odoo-addon-queue_job==18.0.1.7.0"
QUEUE_JOB_NEW_ODOO = "odoo-addon-queue_job>=18.0.1.7.0,<18.1"

# what the test command drives Odoo with: tours talk to Chromium over a websocket; the Odoo suite also runs
# under pytest-odoo (2.x supports Odoo 15 and later, 18 included; it needs pytest 8)
TEST_TOOLS = ("websocket-client", "pytest-odoo>=2.3,<3")

_PROBE = (
    "import json, os, odoo, odoo.release as r, odoo.api as a;"
    "src = os.path.dirname(os.path.dirname(odoo.__file__));"
    "print(json.dumps({'version': list(r.version_info[:2]), 'src': src,"
    " 'has_private': hasattr(a, 'private')}))"
)


@dataclass
class OdooInstall:
    python: str
    src: str
    version: tuple
    has_private: bool

    @property
    def odoo_bin(self) -> list[str]:
        script = os.path.join(self.src, "odoo-bin")
        if os.path.exists(script):
            return [self.python, script]
        return [self.python, "-m", "odoo"]

    @property
    def requirements(self) -> str | None:
        path = os.path.join(self.src, "requirements.txt")
        return path if os.path.exists(path) else None

    def addons_paths(self) -> list[str]:
        paths = [os.path.join(self.src, "addons"), os.path.join(self.src, "odoo", "addons")]
        return [p for p in paths if os.path.isdir(p)]


def _probe(python: str) -> OdooInstall | None:
    try:
        out = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "TZ": "UTC"})
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    info = json.loads(out.stdout.strip().splitlines()[-1])
    return OdooInstall(python, info["src"], tuple(info["version"]), info["has_private"])


def find_odoo() -> tuple[OdooInstall | None, str]:
    """The Odoo 18 to use, or None and the reason none was found."""
    tried = []
    candidates = []
    if os.environ.get("FIELDOPS_ODOO_PYTHON"):
        candidates.append(os.environ["FIELDOPS_ODOO_PYTHON"])
    home = os.environ.get("FIELDOPS_ODOO_HOME", DEFAULT_ODOO_HOME)
    for name in ("venv", ".venv"):
        candidates.append(os.path.join(home, name, "bin", "python"))
    candidates.append(sys.executable)
    for python in candidates:
        if not os.path.exists(python):
            tried.append(f"{python} (absent)")
            continue
        found = _probe(python)
        if found is None:
            tried.append(f"{python} (cannot import odoo)")
        elif found.version[0] != 18:
            tried.append(f"{python} (Odoo {found.version[0]}, not 18)")
        else:
            global _odoo_bin_dir  # one Odoo per process; process_env() needs its directory
            _odoo_bin_dir = os.path.dirname(python)
            return found, ""
    return None, "Odoo 18 not found: tried " + "; ".join(tried) + \
        " (set FIELDOPS_ODOO_HOME or FIELDOPS_ODOO_PYTHON, see README)"


def _pip(odoo: OdooInstall, *args: str) -> None:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PIP_CONSTRAINT", None)
    # several checkouts (a CI clone beside the developer's) may share one Odoo Python: one pip at a time
    lock_path = os.path.join(tempfile.gettempdir(), "fieldops-odoo-pip.lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run_quietly([odoo.python, "-m", "pip", "install", "-q", *args], env=env)


def run_quietly(cmd: list[str], env=None) -> None:
    """Run a pip install, printing its output only if it fails (pip warns about local indexes)."""
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stdout.write(done.stdout + done.stderr)
        raise subprocess.CalledProcessError(done.returncode, cmd)


def _stamp_ok(name: str, content: str) -> bool:
    path = os.path.join(RUN_DIR, f"{name}.stamp")
    digest = hashlib.sha256(content.encode()).hexdigest()
    return os.path.exists(path) and read_text(path) == digest


def read_text(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _stamp_write(name: str, content: str) -> None:
    os.makedirs(RUN_DIR, exist_ok=True)
    with open(os.path.join(RUN_DIR, f"{name}.stamp"), "w") as handle:
        handle.write(hashlib.sha256(content.encode()).hexdigest())


# the directory of the Python that find_odoo() chose, put first on PATH by process_env()
_odoo_bin_dir: str | None = None


def process_env(**extra: str) -> dict:
    """Environment of every process of ours that runs Odoo or the engine on Odoo's Python.

    ``calsync`` comes from this checkout first: another checkout (a CI clone) may have
    installed its own copy into the shared Odoo Python since. The directory of Odoo's Python
    comes first on PATH: when Odoo restarts itself (a worker past ``limit_time_real``, a module
    update) it re-executes ``sys.executable`` with ``argv[0]`` set to the bare name ``python``,
    and Python then finds its prefix through PATH; without this it would come back up outside
    the virtualenv (``No module named 'babel'``).
    """
    path = [ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
    search = [_odoo_bin_dir] if _odoo_bin_dir else []
    search += [p for p in os.environ.get("PATH", os.defpath).split(os.pathsep) if p and p != _odoo_bin_dir]
    return {**os.environ, "TZ": "UTC", "PYTHONPATH": os.pathsep.join(path), "PATH": os.pathsep.join(search),
            **extra}


def _engine_importable(odoo: OdooInstall) -> bool:
    """Odoo's Python has the engine's dependencies and imports this checkout's ``calsync``."""
    probe = subprocess.run(
        [odoo.python, "-c", "import calsync, googleapiclient, msal, os; print(os.path.dirname(calsync.__path__[0]))"],
        env=process_env(), capture_output=True, text=True)
    return probe.returncode == 0 and os.path.realpath(probe.stdout.strip()) == os.path.realpath(ROOT)


def prepare(odoo: OdooInstall, log=print) -> str:
    """Install the engine and test tools into Odoo's Python and the OCA addons beside it.

    Returns the addons directory holding the OCA addons. Repeated calls are cheap.
    """
    constraints = ["-c", odoo.requirements] if odoo.requirements else []
    pyproject = read_text(os.path.join(ROOT, "pyproject.toml"))
    key = json.dumps([odoo.python, ROOT, pyproject, *TEST_TOOLS])
    if not _stamp_ok("odoo-python", key) or not _engine_importable(odoo):
        log(f"installing calsync and its dependencies into {odoo.python} under Odoo's pins")
        _pip(odoo, *constraints, "-e", ROOT, *TEST_TOOLS)
        _stamp_write("odoo-python", key)
    oca_dir = os.path.join(RUN_DIR, "oca-addons")
    queue_job = QUEUE_JOB_NEW_ODOO if odoo.has_private else QUEUE_JOB_OLD_ODOO
    specs = [*OCA_ADDONS, queue_job]
    if not _stamp_ok("oca-addons", json.dumps(specs)) or not os.path.isdir(oca_dir):
        log("installing OCA addons: " + ", ".join(specs))
        _pip(odoo, "--no-deps", "--upgrade", "--target", oca_dir, *specs)
        _stamp_write("oca-addons", json.dumps(specs))
    return os.path.join(oca_dir, "odoo", "addons")


def write_config(path: str, odoo: OdooInstall, oca_addons: str, pg, *, data_dir: str, http_port: int,
                 extra: dict | None = None) -> None:
    """An Odoo config file for the private cluster, with the addon and queue_job's runner."""
    addons = [*odoo.addons_paths(), oca_addons, ROOT]
    values = {
        "addons_path": ",".join(addons),
        # Odoo finds pg_dump/psql through pg_path and the tours' browser through PATH and bin_path,
        # never only through the caller's PATH (which may be minimal)
        "pg_path": pg.bin,
        "db_host": "127.0.0.1",
        "db_port": str(pg.port),
        "db_user": "fieldops",
        "db_password": "False",
        "data_dir": data_dir,
        "http_interface": "127.0.0.1",
        "http_port": str(http_port),
        "server_wide_modules": "base,web,queue_job",
        "list_db": "False",
        "admin_passwd": "fieldops-local-admin",
    }
    browser_dir = _browser_dir()
    if browser_dir:
        values["bin_path"] = browser_dir
    values.update(extra or {})
    lines = ["[options]"] + [f"{k} = {v}" for k, v in values.items()]
    lines += ["", "[queue_job]", "channels = root:2,root.fieldops_calendar:2", ""]
    # the file may hold secrets (the admin password, a key passed in extra): its owner's only
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file of ours may have been created 0644
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines))


def _browser_dir() -> str | None:
    """A directory in which Odoo's tour runner (it looks for ``chromium`` by name) finds our Chromium."""
    try:
        chromium = tools.chromium()
    except tools.ToolMissing:
        return None
    link_dir = os.path.join(RUN_DIR, "bin")
    os.makedirs(link_dir, exist_ok=True)
    link = os.path.join(link_dir, "chromium")
    if os.path.realpath(link) != os.path.realpath(chromium):
        with contextlib.suppress(FileNotFoundError):
            os.remove(link)
        os.symlink(chromium, link)
    return link_dir


def run_under_odoo_python(odoo: OdooInstall, script: str, argv) -> None:
    """Re-run ``script`` under Odoo's Python unless this one has what the scripts drive Odoo with.

    The benchmarks talk to PostgreSQL (psycopg2) and HTTP (requests), which Odoo's Python always has.
    Returns when this Python will do; otherwise replaces the process.
    """
    try:
        import psycopg2  # noqa: F401
        import requests  # noqa: F401
    except ImportError:
        os.execv(odoo.python, [odoo.python, os.path.abspath(script), *argv])  # noqa: S606 (Odoo's own Python)
