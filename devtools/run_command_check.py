"""The run command, checked from outside: its secrets stay its own, and a restart of Odoo comes back up.

Starts ``bin/run`` (``devtools.run_product``) in a throwaway home with a short ``limit_time_real``,
then:

- the encryption key is not in ``odoo.conf``, and no file or directory the run wrote is readable by
  group or others (the key file, the config, the sessions, the sandbox's tokens, PostgreSQL's data);
- one request that announces a body and never sends it holds a server thread past the limit, so
  Odoo restarts itself (it re-executes ``sys.executable`` with ``argv[0] = 'python'``); the restarted
  server must come back under the same Python and environment and answer the login page again,
  and the run command must still be running.

Prints ``run command: N passed, N failed`` for the test command's tally.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request

from devtools.pgcluster import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT = 5  # seconds a request may take before Odoo restarts itself (Odoo checks once a minute)


def say(msg):
    print(f"[run-command-check] {msg}", flush=True)


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, what, ok, detail=""):
        say(f"{'PASS' if ok else 'FAIL'}: {what}{'' if ok or not detail else ' - ' + detail}")
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def wait_for_line(path, pattern, proc, timeout, after=0):
    """Wait until the file at ``path`` has a line matching ``pattern`` past offset ``after``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(path):
            with open(path, errors="replace") as handle:
                handle.seek(after)
                if re.search(pattern, handle.read(), flags=re.M):
                    return True
        time.sleep(1)
    return False


def answers(url, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (loopback)
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(1)
    return False


def readable_by_others(home):
    """Paths under ``home`` that group or others can read or write (directories: list or write)."""
    found = []
    for top, dirs, files in os.walk(home):
        for name in dirs + files:
            path = os.path.join(top, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode) or stat.S_ISSOCK(mode):  # PostgreSQL's socket: 0777 by design, in a 0700 dir
                continue
            if mode & 0o066:
                found.append(f"{os.path.relpath(path, home)} ({oct(mode & 0o777)})")
    return found


def hold_a_request(port):
    """A request that announces a body and never sends it: Odoo's thread waits on it with no timeout."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /web/webclient/version_info HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
    return sock


def main() -> int:
    home = tempfile.mkdtemp(prefix="fieldops-run-check-")
    port = free_port()
    log_path = os.path.join(home, "run-command.log")
    results = Checks()
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "devtools.run_product", "--home", os.path.join(home, "product"),
                                 "--port", str(port), "--limit-time-real", str(LIMIT)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    product = os.path.join(home, "product")
    odoo_log = os.path.join(product, "odoo.log")
    try:
        ready = wait_for_line(log_path, r"Odoo is ready at", proc, timeout=1500)
        results.check("the run command starts the product", ready, f"see {log_path}")
        if not ready:
            return 1
        with open(os.path.join(product, "encryption.key")) as handle:
            key = handle.read().strip()
        with open(os.path.join(product, "odoo.conf")) as handle:
            config = handle.read()
        results.check("odoo.conf holds no encryption key (the environment carries it)",
                      key not in config and "fieldops_calendar_sync_key" not in config)
        loose = readable_by_others(product)
        results.check("every file and directory of the run is its owner's only", not loose,
                      ", ".join(loose[:10]))

        offset = os.path.getsize(odoo_log)
        held = hold_a_request(port)
        try:
            restarted = wait_for_line(odoo_log, r"Initiating server reload", proc, timeout=LIMIT + 120,
                                      after=offset)
            results.check(f"a request held past limit_time_real ({LIMIT} s) makes Odoo restart itself", restarted)
            back = restarted and answers(f"http://127.0.0.1:{port}/web/login", timeout=180)
        finally:
            held.close()
        with open(odoo_log, errors="replace") as handle:
            handle.seek(offset)
            after_restart = handle.read()
        missing = re.findall(r"No module named '[^']+'", after_restart)
        results.check("the restarted Odoo answers the login page again", back,
                      missing[0] if missing else "no answer within 180 s")
        results.check("the restart ran under the same Python (no module missing)", restarted and not missing,
                      ", ".join(sorted(set(missing))))
        results.check("the run command is still running after the restart", proc.poll() is None,
                      f"exited with {proc.returncode}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if results.failed:
            say(f"kept {home} for its logs")
        else:
            shutil.rmtree(home, ignore_errors=True)
    print(f"run command: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
