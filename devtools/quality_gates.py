"""OCA's quality gates for the two addons, beside ruff: pylint-odoo, the generated READMEs, manifestoo.

- pylint-odoo with our copy of OCA's mandatory set (``.pylintrc-mandatory``); nothing disabled for a
  file or the project, each inline disable says why;
- ``devtools.addon_readme --check``: README.rst and index.html are what the readme/ fragments give;
- manifestoo: ``list-missing`` names no dependency that is not found, ``check-licenses`` and
  ``check-dev-status`` pass (it needs Odoo's addons and the OCA addons, so only where Odoo is found).

The tools live in a virtualenv of their own (``.venv-lint``), pinned, so a new release of a linter
never turns a green run red by itself.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from devtools.odoo_env import read_text, run_quietly

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = ("fieldops_calendar_sync", "fieldops_calendar_sync_recurring")
TOOLS = ("pylint-odoo==10.0.12", "manifestoo==1.1", "docutils==0.21.2")


def ensure_lint_venv(log=print) -> str:
    """Create or refresh .venv-lint with the pinned gate tools; returns its python."""
    path = os.path.join(ROOT, ".venv-lint")
    python = os.path.join(path, "bin", "python")
    stamp = os.path.join(path, ".fieldops-stamp")
    digest = hashlib.sha256(repr(TOOLS).encode()).hexdigest()
    if os.path.exists(python) and os.path.exists(stamp) and read_text(stamp) == digest:
        return python
    if not os.path.exists(python):
        log("creating .venv-lint")
        subprocess.run([sys.executable, "-m", "venv", path], check=True)
    log("installing " + ", ".join(TOOLS) + " into .venv-lint")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PIP_CONSTRAINT", None)
    run_quietly([python, "-m", "pip", "install", "-q", *TOOLS], env=env)
    with open(stamp, "w") as handle:
        handle.write(digest)
    return python


def _gate(tally, name, cmd, cwd=ROOT):
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stdout.write(done.stdout + done.stderr)
    tally.add(name, 1 if done.returncode == 0 else 0, 0 if done.returncode == 0 else 1)
    return done.returncode == 0


def run_code_gates(tally, log=print) -> None:
    """pylint-odoo and the README check: they need no Odoo."""
    python = ensure_lint_venv(log)
    _gate(tally, "pylint-odoo (OCA mandatory set)",
          [python, "-m", "pylint", "--rcfile", os.path.join(ROOT, ".pylintrc-mandatory"), *ADDONS])
    _gate(tally, "addon READMEs generated from readme/", [python, "-m", "devtools.addon_readme", "--check"])


def run_manifestoo(tally, addons_paths, log=print) -> None:
    """manifestoo over both addons, with Odoo's addons and the OCA addons as the addons path."""
    python = ensure_lint_venv(log)
    manifestoo = os.path.join(os.path.dirname(python), "manifestoo")
    base = [manifestoo, "--select-addons-dir", ROOT, "--addons-path", ",".join(addons_paths), "--odoo-series", "18.0"]
    done = subprocess.run([*base, "list-missing"], cwd=ROOT, capture_output=True, text=True)
    missing = done.stdout.split()
    if missing or done.returncode != 0:
        print(f"manifestoo list-missing: {' '.join(missing) or done.stderr.strip()}")
    tally.add("manifestoo list-missing", 0 if missing or done.returncode else 1, 1 if missing or done.returncode else 0)
    _gate(tally, "manifestoo check-licenses", [*base, "check-licenses"])
    _gate(tally, "manifestoo check-dev-status", [*base, "check-dev-status"])
