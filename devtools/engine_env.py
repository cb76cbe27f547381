"""Virtualenvs for the engine suite: one under Odoo 18's pins, one with current releases."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from devtools.odoo_env import read_text, run_quietly

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONSTRAINTS = os.path.join(ROOT, "constraints-odoo18.txt")


def ensure_venv(path: str, pinned: bool, log=print) -> str:
    """Create or refresh ``path`` with ``calsync[test]`` and ruff; returns its python."""
    python = os.path.join(path, "bin", "python")
    inputs = read_text(os.path.join(ROOT, "pyproject.toml"))
    if pinned:
        inputs += read_text(CONSTRAINTS)
    digest = hashlib.sha256((inputs + str(pinned)).encode()).hexdigest()
    stamp = os.path.join(path, ".fieldops-stamp")
    if os.path.exists(python) and os.path.exists(stamp) and read_text(stamp) == digest:
        return python
    if not os.path.exists(python):
        log(f"creating {os.path.relpath(path, ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", path], check=True)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PIP_CONSTRAINT", None)
    args = [python, "-m", "pip", "install", "-q", "--upgrade"]
    if pinned:
        args += ["-c", CONSTRAINTS]
    log("installing calsync[test] " + ("under Odoo 18's pins" if pinned else "with current releases"))
    run_quietly([*args, "-e", f"{ROOT}[test]", "ruff"], env=env)
    with open(stamp, "w") as handle:
        handle.write(digest)
    return python


def versions(python: str) -> str:
    probe = ("import importlib.metadata as m;"
             "print(', '.join(f'{n} {m.version(n)}' for n in ('cryptography', 'requests', 'urllib3',"
             " 'google-api-python-client', 'google-auth', 'msal')))")
    return subprocess.run([python, "-c", probe], capture_output=True, text=True).stdout.strip()
