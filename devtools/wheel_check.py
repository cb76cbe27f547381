"""Both addons as wheels: built with whool, installed with pip, installed into a fresh database from site-packages.

Builds the engine wheel (``fieldops-calsync``) and the two ``odoo-addon-*`` wheels (whool, OCA's
build backend; each addon has its ``pyproject.toml``), fetches the OCA addons' wheels, and installs
them with ``pip --no-index --find-links`` into a throwaway virtualenv. That virtualenv sees Odoo 18
and its libraries read-only: one ``.pth`` file names the Odoo source and the site-packages of
Odoo's virtualenv, whose own ``.pth`` files (this checkout's editable ``calsync`` among them) are
not run. pip never writes outside the throwaway virtualenv (it does not uninstall outside its
environment), so the developer's Odoo environment is unchanged. Then odoo-bin, run by that
virtualenv's Python with only Odoo's own addons on its addons path, installs both addons into a
fresh database, and the check asserts they (and the engine) were imported from the virtualenv's
site-packages, not from this source tree.

Prints ``wheels: N passed, N failed`` for the test command's tally.
"""

from __future__ import annotations

import base64
import glob
import os
import shutil
import subprocess
import sys
import tempfile

from devtools import odoo_env, quality_gates
from devtools.pgcluster import PgCluster, free_port

ROOT = odoo_env.ROOT
ADDONS = ("fieldops_calendar_sync", "fieldops_calendar_sync_recurring")
WHEEL_TOOLS = ("whool==1.3.1", "wheel")


def say(msg):
    print(f"[wheel-check] {msg}", flush=True)


def run(cmd, **kwargs):
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        sys.stdout.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise subprocess.CalledProcessError(done.returncode, cmd)
    return done.stdout


def build_wheels(wheelhouse, odoo):
    """The engine's wheel, both addons' wheels, and the OCA addons' wheels, in ``wheelhouse``."""
    python = quality_gates.ensure_lint_venv(log=say)
    pip = [python, "-m", "pip"]
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run([*pip, "install", "-q", *WHEEL_TOOLS], env=env)
    for source in (ROOT, *(os.path.join(ROOT, addon) for addon in ADDONS)):
        run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", wheelhouse, source], env=env, cwd=ROOT)
    queue_job = odoo_env.QUEUE_JOB_NEW_ODOO if odoo.has_private else odoo_env.QUEUE_JOB_OLD_ODOO
    run([*pip, "download", "-q", "--no-deps", "-d", wheelhouse, *odoo_env.OCA_ADDONS, queue_job], env=env)
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(wheelhouse, "*.whl")))


def throwaway_venv(path, odoo):
    """A virtualenv on Odoo's interpreter that sees Odoo and its libraries, without running their .pth files."""
    run([odoo.python, "-m", "venv", path])
    python = os.path.join(path, "bin", "python")
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    odoo_site = run([odoo.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    with open(os.path.join(site, "zz-odoo18-readonly.pth"), "w") as handle:
        handle.write(f"{odoo.src}\n{odoo_site}\n")
    return python, site


def clean_env(venv):
    """No PYTHONPATH (it would put this checkout's calsync first); the venv's bin first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_CONSTRAINT")}
    env["PATH"] = os.pathsep.join([os.path.join(venv, "bin"), env.get("PATH", os.defpath)])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["TZ"] = "UTC"
    return env


def main() -> int:
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        say(f"SKIPPED: {why}")
        print("wheels: 0 passed, 0 failed")
        return 0
    passed = failed = 0

    def check(what, ok, detail=""):
        nonlocal passed, failed
        say(f"{'PASS' if ok else 'FAIL'}: {what}{'' if ok or not detail else ' - ' + detail}")
        passed, failed = passed + bool(ok), failed + (not ok)

    home = tempfile.mkdtemp(prefix="fieldops-wheels-")
    wheelhouse = os.path.join(home, "wheelhouse")
    venv = os.path.join(home, "venv")
    cluster = PgCluster(os.path.join(home, "pg"))
    odoo_site_before = _listing(odoo.python)
    try:
        wheels = build_wheels(wheelhouse, odoo)
        check("whool builds odoo-addon-* wheels of both addons, and the engine's wheel",
              all(any(w.startswith(f"odoo_addon_{a}-18.0.") for w in wheels) for a in ADDONS)
              and any(w.startswith("fieldops_calsync-") for w in wheels), ", ".join(wheels))
        python, site = throwaway_venv(venv, odoo)
        env = clean_env(venv)
        pip = [python, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheelhouse]
        # the engine is also installed (editable) in Odoo's virtualenv: make pip put the wheel's copy here
        run([*pip, "--no-deps", "--force-reinstall", "fieldops-calsync"], env=env, cwd=home)
        run([*pip, *(f"odoo-addon-{a}" for a in ADDONS)], env=env, cwd=home)
        check("pip installs both addon wheels, their OCA dependencies from the wheelhouse and the engine",
              all(os.path.isdir(os.path.join(site, "odoo", "addons", a)) for a in ADDONS)
              and os.path.isdir(os.path.join(site, "calsync")))
        # where Python finds them (without importing the addons: that needs Odoo's config)
        where = run([python, "-c", "import importlib.util as u; print(*(u.find_spec(n).origin for n in ("
                     "'calsync', 'odoo.addons.fieldops_calendar_sync', 'odoo.addons.fieldops_calendar_sync_recurring', "
                     "'odoo.addons.fieldservice')))"], env=env, cwd=home).split()
        check("the engine, both addons and fieldservice are found in the virtualenv's site-packages",
              all(path.startswith(site) for path in where), " ".join(where))

        cluster.start()
        config = os.path.join(home, "odoo.conf")
        with open(config, "w") as handle:
            handle.write("\n".join([
                "[options]", f"addons_path = {','.join(odoo.addons_paths())}", "db_host = 127.0.0.1",
                f"db_port = {cluster.port}", "db_user = fieldops", "db_password = False",
                f"data_dir = {os.path.join(home, 'data')}", "http_interface = 127.0.0.1",
                f"http_port = {free_port()}", "server_wide_modules = base,web,queue_job", "list_db = False", ""]))
        env["FIELDOPS_CALENDAR_SYNC_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
        install = subprocess.run([python, os.path.join(odoo.src, "odoo-bin"), "-c", config, "-d", "fieldops_wheels",
                                  "-i", ",".join(ADDONS), "--without-demo=all", "--stop-after-init",
                                  "--log-level", "warn"], env=env, cwd=home, capture_output=True, text=True)
        states = cluster.psql("SELECT name || '=' || state FROM ir_module_module WHERE name IN "
                              "('fieldops_calendar_sync', 'fieldops_calendar_sync_recurring', 'fieldservice') "
                              "ORDER BY name", db="fieldops_wheels") if install.returncode == 0 else ""
        check("odoo-bin installs both addons from site-packages into a fresh database",
              install.returncode == 0 and states.split() == [
                  "fieldops_calendar_sync=installed", "fieldops_calendar_sync_recurring=installed",
                  "fieldservice=installed"], states or install.stderr[-2000:])
        after = _listing(odoo.python)
        changed = sorted({n for n, _ in set(after) ^ set(odoo_site_before)})
        check("Odoo's own virtualenv is unchanged (nothing of the wheels in it)",
              not changed and not _wheels_in(odoo.python), ", ".join(changed[:10] + _wheels_in(odoo.python)))
    except subprocess.CalledProcessError as exc:
        check("building and installing the wheels", False, " ".join(map(str, exc.cmd))[:300])
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)
    print(f"wheels: {passed} passed, {failed} failed")
    return 1 if failed else 0


def _listing(python):
    """What is installed in ``python``'s site-packages (names and times), to prove we changed nothing there.

    The engine's own editable install is left out: every checkout of this project on the machine
    reinstalls it into the shared Odoo Python when its pyproject.toml changes (odoo_env.prepare), so
    it may change while we run without our doing; the wheels' names must never appear there.
    """
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True).stdout.strip()
    ours = ("fieldops_calsync", "__editable__.fieldops_calsync", "__editable___fieldops_calsync")
    return sorted((name, os.path.getmtime(os.path.join(site, name))) for name in os.listdir(site)
                  if not name.startswith(ours))


def _wheels_in(python):
    """Our addon wheels' files in ``python``'s site-packages: there must be none."""
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True).stdout.strip()
    found = glob.glob(os.path.join(site, "odoo_addon_fieldops*")) + glob.glob(os.path.join(site, "odoo", "addons",
                                                                                           "fieldops_*"))
    return found


if __name__ == "__main__":
    sys.exit(main())
