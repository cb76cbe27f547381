"""The run command: Odoo 18 with the addon, its demo data and the sandbox providers, on a private PostgreSQL.

Everything listens on loopback only. State (database, filestore, sandbox
calendars, encryption key) is kept in ``.run/product/`` between runs;
``bin/run --reset`` starts from scratch.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from devtools import odoo_env
from devtools.pgcluster import PgCluster

ADDON = "fieldops_calendar_sync"
DB = "fieldops"


def say(msg):
    print(f"[fieldops-run] {msg}", flush=True)


def persistent_secret(path: str) -> str:
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(os.urandom(32)).decode())
    return odoo_env.read_text(path).strip()


def wait_for(path: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the sandbox providers did not start (see .run/product/sandbox.log)")
        time.sleep(0.2)


def wait_until_answers(url: str, proc: subprocess.Popen, timeout: float = 120) -> bool:
    """Ask ``url`` once a second until it answers 200 (True), or the process ends or time runs out (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (loopback)
            if answer.status == 200:  # until it listens, urlopen raises (connection refused)
                return True
        time.sleep(1)
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bin/run", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("FIELDOPS_HTTP_PORT", 8069)))
    parser.add_argument("--reset", action="store_true", help="drop the demo database and sandbox state first")
    args = parser.parse_args(argv)

    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        say(why)
        say("The run command needs Odoo 18.0 (its source and a Python that can import it) and the")
        say("PostgreSQL 15 server binaries; README.md, 'Running the product', says how to provide them.")
        return 2
    home = os.path.join(odoo_env.RUN_DIR, "product")
    if args.reset and os.path.isdir(home):
        shutil.rmtree(home)
    os.makedirs(home, exist_ok=True)
    oca = odoo_env.prepare(odoo, log=say)
    procs: list[subprocess.Popen] = []
    cluster = PgCluster(directory=os.path.join(home, "pg"))
    cluster.owned_dir = False

    def stop_all(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_all)
    try:
        cluster.start()
        say(f"private PostgreSQL on 127.0.0.1:{cluster.port}")
        info_file = os.path.join(home, "sandbox.json")
        if os.path.exists(info_file):
            os.remove(info_file)
        sandbox_log = open(os.path.join(home, "sandbox.log"), "a")  # noqa: SIM115 (lives as long as the run)
        procs.append(subprocess.Popen(
            [odoo.python, "-m", "calsync.sandbox",
             # the real APIs want https callbacks; the product serves its webhooks on http://127.0.0.1
             "--allow-http-loopback", "--state-dir", os.path.join(home, "sandbox"),
             "--info-file", info_file], stdout=sandbox_log, stderr=subprocess.STDOUT,
            env=odoo_env.process_env()))
        wait_for(info_file, procs[-1])
        with open(info_file) as handle:
            info = json.load(handle)
        say(f"sandbox Google Calendar at {info['google']['base_url']}, "
            f"Microsoft 365 at {info['microsoft']['base_url']}")
        config = os.path.join(home, "odoo.conf")
        odoo_env.write_config(
            config, odoo, oca, cluster, data_dir=os.path.join(home, "data"), http_port=args.port,
            extra={
                "fieldops_calendar_sync_key": persistent_secret(os.path.join(home, "encryption.key")),
                "fieldops_calendar_sync_sandbox": info_file,
                "dbfilter": f"^{DB}$",
                "proxy_mode": "False",
                "workers": "0",
            })
        env = odoo_env.process_env()
        if not cluster.database_exists(DB):
            say("creating the demo database (Odoo, fieldservice, queue_job and the addon with demo data)")
            subprocess.run([*odoo.odoo_bin, "-c", config, "-d", DB, "-i", ADDON, "--stop-after-init",
                            "--log-level", "warn"], check=True, env=env)
        else:
            say("updating the addon in the existing demo database")
            subprocess.run([*odoo.odoo_bin, "-c", config, "-d", DB, "-u", ADDON, "--stop-after-init",
                            "--log-level", "warn"], check=True, env=env)
        procs.append(subprocess.Popen([*odoo.odoo_bin, "-c", config, "-d", DB, "--log-level", "info",
                                       "--logfile", os.path.join(home, "odoo.log")], env=env))
        url = f"http://127.0.0.1:{args.port}"
        say(f"Odoo is starting at {url}/web/login  (log: .run/product/odoo.log)")
        # one request at a time until it answers: Odoo builds its table of static paths on the first requests,
        # and on CPython 3.11 two threads building it at once can fail (see tests/common.py, warm_up_http)
        if wait_until_answers(f"{url}/web/health", procs[-1]):
            say(f"Odoo is ready at {url}/web/login")
        say("demo logins: admin / admin (administrator, company 'YourCompany');")
        say("             dispatcher / dispatcher (dispatcher and conflict reviewer);")
        say("             northwind / northwind (user of the second company, 'Northwind Field Services')")
        say("press Ctrl-C to stop Odoo, the sandbox providers and PostgreSQL")
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        say("a process exited; stopping")
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
