"""Starting the product's processes, one way for every command: the sandbox, Odoo, and stopping them.

Used by the run command, the security suite and both Odoo benchmarks, so they share:

- **one readiness rule**: the sandbox is ready when its info file exists; an Odoo server is ready
  when ``GET /web/health`` answers 200, asked one request at a time (Odoo builds its table of
  static paths on the first requests, and two threads building it at once can fail on CPython 3.11);
- **one timeout rule**: every process gets ``START_TIMEOUT`` seconds to become ready
  (``FIELDOPS_START_TIMEOUT`` overrides it on a slow machine) and ``STOP_TIMEOUT`` seconds to stop
  after SIGTERM before it is killed. A process that exits while we wait is a failure at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.request

from devtools import odoo_env

START_TIMEOUT = float(os.environ.get("FIELDOPS_START_TIMEOUT", 180))
STOP_TIMEOUT = 20.0
POLL_INTERVAL = 0.3


class NotReady(RuntimeError):
    """A process did not become ready in time, or exited while we waited (the message says where to look)."""


def start_sandbox(odoo, info_file: str, log_path: str, *args: str, env=None):
    """``python -m calsync.sandbox`` writing ``info_file``; returns (process, its info)."""
    if os.path.exists(info_file):
        os.remove(info_file)
    log = open(log_path, "a")  # noqa: SIM115 (lives as long as the process)
    # the real APIs want https callbacks; every product of ours receives its webhooks on http://127.0.0.1
    proc = subprocess.Popen([odoo.python, "-m", "calsync.sandbox", "--allow-http-loopback", "--info-file", info_file,
                             *args],
                            stdout=log, stderr=subprocess.STDOUT, env=env or odoo_env.process_env())
    deadline = time.monotonic() + START_TIMEOUT
    while not os.path.exists(info_file):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop([proc])
            raise NotReady(f"the sandbox providers did not start (see {log_path})")
        time.sleep(POLL_INTERVAL)
    with open(info_file) as handle:
        return proc, json.load(handle)


def answers(url: str, timeout: float = 5) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (loopback)
        return answer.status == 200
    return False


def wait_ready(base_url: str, proc: subprocess.Popen | None = None, what: str = "Odoo",
               log_path: str | None = None, timeout: float | None = None) -> None:
    """Until ``base_url``/web/health answers 200; raises NotReady past the timeout or if ``proc`` exits."""
    deadline = time.monotonic() + (timeout or START_TIMEOUT)
    while not answers(f"{base_url}/web/health"):
        where = f" (see {log_path})" if log_path else ""
        if proc is not None and proc.poll() is not None:
            raise NotReady(f"{what} exited with {proc.returncode} before it answered{where}")
        if time.monotonic() > deadline:
            raise NotReady(f"{what} did not answer {base_url}/web/health in {timeout or START_TIMEOUT:.0f} s{where}")
        time.sleep(POLL_INTERVAL)


def start_odoo(odoo, config: str, db: str, log_path: str, *args: str, env=None, command=None,
               new_session=False) -> subprocess.Popen:
    """An Odoo server on ``config`` and ``db`` (``command`` replaces odoo-bin, e.g. a probe that wraps it)."""
    log = open(log_path, "a")  # noqa: SIM115 (lives as long as the process)
    return subprocess.Popen([*(command or odoo.odoo_bin), "-c", config, "-d", db, *args],
                            stdout=log, stderr=subprocess.STDOUT, env=env or odoo_env.process_env(),
                            start_new_session=new_session)


def stop(procs, signals=None) -> None:
    """SIGTERM (or the signal given per process) to each, newest first; killed after STOP_TIMEOUT."""
    procs = [p for p in procs if p is not None]
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.send_signal((signals or {}).get(proc, signal.SIGTERM))
    for proc in procs:
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
