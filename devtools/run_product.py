"""The run command: Odoo 18 with the addon, its demo data and the sandbox providers, on a private PostgreSQL.

Everything listens on loopback only. State (database, filestore, sandbox
calendars, encryption key) is kept in ``.run/product/`` between runs;
``bin/run --reset`` starts from scratch. Every file it writes is its owner's only
(umask 077), and the encryption key reaches Odoo through the environment
(``FIELDOPS_CALENDAR_SYNC_KEY``), never through ``odoo.conf``.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import subprocess
import sys
import time

from devtools import odoo_env, product
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


def owner_only(home: str) -> None:
    """Take group and other permissions off what an earlier run (before umask 077) left readable.

    Directories keep their search bit for others: PostgreSQL runs as its own user when we are root
    and must traverse to its data (devtools.pgcluster adds that bit where it is missing).
    """
    for top, dirs, files in os.walk(home):
        for name in dirs:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & 0o7711)
        for name in files:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & 0o7700)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bin/run", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("FIELDOPS_HTTP_PORT", 8069)))
    parser.add_argument("--reset", action="store_true", help="drop the demo database and sandbox state first")
    parser.add_argument("--home", default=os.path.join(odoo_env.RUN_DIR, "product"),
                        help="where the state is kept (default .run/product)")
    parser.add_argument("--limit-time-real", type=int, default=None,
                        help="Odoo's limit on one request's wall time in seconds, after which it restarts itself "
                             "(Odoo's default: 120)")
    args = parser.parse_args(argv)
    os.umask(0o077)  # the key, the config, the sessions and the sandbox's tokens: readable by us only

    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        say(why)
        say("The run command needs Odoo 18.0 (its source and a Python that can import it) and the")
        say("PostgreSQL 15 server binaries; README.md, 'Running the product', says how to provide them.")
        return 2
    home = os.path.abspath(args.home)
    if args.reset and os.path.isdir(home):
        shutil.rmtree(home)
    os.makedirs(home, exist_ok=True)
    owner_only(home)
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
        sandbox, info = product.start_sandbox(odoo, info_file, os.path.join(home, "sandbox.log"),
                                              "--state-dir", os.path.join(home, "sandbox"))
        procs.append(sandbox)
        say(f"sandbox Google Calendar at {info['google']['base_url']}, "
            f"Microsoft 365 at {info['microsoft']['base_url']}")
        config = os.path.join(home, "odoo.conf")
        limits = {"limit_time_real": str(args.limit_time_real)} if args.limit_time_real else {}
        odoo_env.write_config(
            config, odoo, oca, cluster, data_dir=os.path.join(home, "data"), http_port=args.port,
            extra={
                "fieldops_calendar_sync_sandbox": info_file,
                "dbfilter": f"^{DB}$",
                "proxy_mode": "False",
                "workers": "0",
                **limits,
            })
        # the key by environment: the process's environment is readable by its owner only (/proc/PID/environ)
        env = odoo_env.process_env(
            FIELDOPS_CALENDAR_SYNC_KEY=persistent_secret(os.path.join(home, "encryption.key")))
        if not cluster.database_exists(DB):
            say("creating the demo database (Odoo, fieldservice, queue_job and the addon with demo data)")
            subprocess.run([*odoo.odoo_bin, "-c", config, "-d", DB, "-i", ADDON, "--stop-after-init",
                            "--log-level", "warn"], check=True, env=env)
        else:
            say("updating the addon in the existing demo database")
            subprocess.run([*odoo.odoo_bin, "-c", config, "-d", DB, "-u", ADDON, "--stop-after-init",
                            "--log-level", "warn"], check=True, env=env)
        odoo_log = os.path.join(home, "odoo.log")
        procs.append(product.start_odoo(odoo, config, DB, odoo_log, "--log-level", "info", env=env))
        url = f"http://127.0.0.1:{args.port}"
        say(f"Odoo is starting at {url}/web/login  (log: {odoo_log})")
        product.wait_ready(url, procs[-1], log_path=odoo_log)
        say(f"Odoo is ready at {url}/web/login")
        say("demo logins: admin / admin (administrator, company 'YourCompany');")
        say("             dispatcher / dispatcher (dispatcher and conflict reviewer);")
        say("             northwind / northwind (user of the second company, 'Northwind Field Services')")
        say("press Ctrl-C to stop Odoo, the sandbox providers and PostgreSQL")
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        say("a process exited; stopping")
        return 1
    except product.NotReady as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        product.stop(procs)
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
