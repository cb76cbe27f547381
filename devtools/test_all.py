"""The test command: the engine suite (pinned and current), then the Odoo suite on real Odoo 18.

Usage: ``bin/test [--require-odoo] [--engine-only | --odoo-only] [--pinned-only]
[--odoo-tags TAGS] [--commit-tags TAGS] [--bridge-tags TAGS] [--no-security] [-- pytest args]``, or
``bin/test --live google|microsoft`` for the live contract run against a real test account.
``FIELDOPS_REQUIRE_ODOO=1`` is the same as ``--require-odoo``: a missing Odoo then fails instead of being
reported as skipped. The recurring-orders bridge is tested in a database of its own (``--bridge-tags none``
skips it), so the addon's own pass runs without fieldservice_recurring installed. Where Odoo is found, the
security suite (``devtools/security_suite.py``) runs after the Odoo passes.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from devtools import engine_env, odoo_env
from devtools.pgcluster import PgCluster, free_port

ROOT = odoo_env.ROOT
RUN_DIR = odoo_env.RUN_DIR
ADDON = "fieldops_calendar_sync"
# installed in a database of its own, so the addon's own pass proves it needs no fieldservice_recurring
BRIDGE = "fieldops_calendar_sync_recurring"


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.lines = []

    def add(self, name, passed, failed, skipped=0, note=""):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        self.lines.append(f"  {name}: {passed} passed, {failed} failed, {skipped} skipped {note}".rstrip())


def say(msg):
    print(f"[fieldops-test] {msg}", flush=True)


def junit_counts(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - failed - skipped, failed, skipped


def run_engine(tally, venv_dir, pinned, pytest_args):
    label = "engine suite (Odoo 18 pins)" if pinned else "engine suite (current releases)"
    python = engine_env.ensure_venv(os.path.join(ROOT, venv_dir), pinned, log=say)
    say(f"{label}: {engine_env.versions(python)}")
    if pinned:
        lint = subprocess.run([python, "-m", "ruff", "check", "."], cwd=ROOT)
        tally.add("ruff", 1 if lint.returncode == 0 else 0, 0 if lint.returncode == 0 else 1)
    os.makedirs(RUN_DIR, exist_ok=True)
    report = os.path.join(RUN_DIR, f"junit-{'pinned' if pinned else 'current'}.xml")
    if os.path.exists(report):
        os.remove(report)
    # the pinned run explores the sync state machine thoroughly (5,000 examples), the other run quickly
    env = dict(os.environ, CALSYNC_HYPOTHESIS_PROFILE=os.environ.get(
        "CALSYNC_HYPOTHESIS_PROFILE", "thorough" if pinned else "default"))
    result = subprocess.run([python, "-m", "pytest", "-q", "tests", f"--junitxml={report}", *pytest_args],
                            cwd=ROOT, env=env)
    if os.path.exists(report):
        passed, failed, skipped = junit_counts(report)
        if result.returncode not in (0, 5) and failed == 0:
            failed = 1
        tally.add(label, passed, failed, skipped)
    else:
        tally.add(label, 0, 1, note="(pytest produced no report)")


def ensure_browser():
    """Browser tours need Chromium; without it Odoo would skip them silently, so insist."""
    if shutil.which("chromium") or os.path.exists("/usr/bin/chromium"):
        return None
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium for the browser tours")
        subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
        done = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"],
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                              stdout=subprocess.DEVNULL)
        if done.returncode == 0:
            return None
    return "Debian's chromium is required for the browser tours (apt-get install chromium)"


# problems outside any test (install, demo data, registry) that must fail the suite too
LOAD_PROBLEMS = re.compile(r"( CRITICAL |failed to install|Failed to load registry|Couldn't load module|"
                           r"odoo\.modules\.loading: .* ERROR |ParseError)")
SKIP_MARKERS = re.compile(r"(Chrome executable not found|websocket-client|Cannot run tour|skipping .*tour)",
                          re.IGNORECASE)
NOTEWORTHY = re.compile(r"( ERROR | CRITICAL | WARNING .*failed|FAIL:|Traceback|\d+ failed, \d+ error)")
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ ")
STATS = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")


COMMIT_TAGS = f"fieldops_real_commits/{ADDON}"


def odoo_pass(odoo, config, db, args, log_path):
    """One odoo-bin run with tests; returns (tests, failed, problems) read from its log."""
    cmd = [*odoo.odoo_bin, "-c", config, "-d", db, *args, "--test-enable", "--stop-after-init",
           "--log-level", "info"]
    stats = None
    skipped_tours, load_problems = [], []
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=odoo_env.process_env(), cwd=os.path.dirname(config))
        echo = False  # print the traceback lines that follow a noteworthy log line
        for line in proc.stdout:
            log.write(line)
            if LOG_LINE.match(line):
                echo = bool(NOTEWORTHY.search(line))
            if echo:
                print(line.rstrip(), flush=True)
            if STATS.search(line):
                stats = STATS.search(line)
            if LOAD_PROBLEMS.search(line):
                load_problems.append(line.strip())
            if SKIP_MARKERS.search(line):
                skipped_tours.append(line.strip())
        rc = proc.wait()
    if stats is None:
        return 0, 1, [f"no test report; exit {rc}; see {os.path.relpath(log_path, ROOT)}"]
    failed = int(stats.group(1)) + int(stats.group(2))
    total = int(stats.group(3))
    problems = []
    if skipped_tours:
        problems.append("browser tours were skipped, which counts as a failure: " + skipped_tours[0])
    if load_problems:
        problems.append("the addon did not load cleanly, which counts as a failure: " + load_problems[0])
    if rc != 0 and failed == 0 and not problems:
        problems.append(f"odoo-bin exited with {rc}")
    if total == 0:
        problems.append("no test ran")
    return total, failed + len(problems), problems


def run_addon_passes(odoo, config, cluster, tally, tags, commit_tags):
    """The addon alone (no fieldservice_recurring installed), then its tests on committed data."""
    started = time.monotonic()
    say("installing the addon with demo data and running its tests (log: .run/odoo-test.log)")
    total, failed, problems = odoo_pass(odoo, config, "fieldops_test", ["-i", ADDON, "--test-tags", tags],
                                        os.path.join(RUN_DIR, "odoo-test.log"))
    for line in problems:
        say(line)
    tally.add("odoo suite", max(0, total - failed), failed, note=f"({time.monotonic() - started:.0f} s)")
    if not commit_tags or commit_tags == "none" or not total:
        return
    # tests that need real commits, separate sessions and processes: on a throwaway copy
    started = time.monotonic()
    cluster.psql("CREATE DATABASE fieldops_commits TEMPLATE fieldops_test")
    say("tests on committed data, in a throwaway copy of the database (log: .run/odoo-test-commits.log)")
    total, failed, problems = odoo_pass(odoo, config, "fieldops_commits", ["--test-tags", commit_tags],
                                        os.path.join(RUN_DIR, "odoo-test-commits.log"))
    for line in problems:
        say(line)
    tally.add("odoo suite, committed data", max(0, total - failed), failed,
              note=f"({time.monotonic() - started:.0f} s)")


def run_odoo(tally, require, tags, commit_tags=COMMIT_TAGS, bridge_tags=f"/{BRIDGE}"):
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        line = f"Odoo suite: SKIPPED — {why}"
        say(line)
        if require:
            tally.add("odoo suite", 0, 1, note="(required but Odoo 18 is missing)")
        else:
            tally.lines.append("  " + line)
        return
    say(f"Odoo suite: Odoo {'.'.join(map(str, odoo.version))} at {odoo.src} ({odoo.python})")
    problem = ensure_browser()
    if problem:
        say(f"Odoo suite: FAILED — {problem}")
        tally.add("odoo suite", 0, 1, note=f"({problem})")
        return
    oca = odoo_env.prepare(odoo, log=say)
    workdir = tempfile.mkdtemp(prefix="fieldops-odoo-test-")
    cluster = PgCluster()
    try:
        cluster.start()
        say(f"private PostgreSQL on 127.0.0.1:{cluster.port}")
        config = os.path.join(workdir, "odoo.conf")
        key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        odoo_env.write_config(config, odoo, oca, cluster, data_dir=os.path.join(workdir, "data"),
                              http_port=free_port(),
                              extra={"fieldops_calendar_sync_key": key, "workers": "0"})
        if tags and tags != "none":
            run_addon_passes(odoo, config, cluster, tally, tags, commit_tags)
        if bridge_tags and bridge_tags != "none":
            started = time.monotonic()
            say(f"installing {BRIDGE} (with fieldservice_recurring) in a database of its own and running its "
                "tests (log: .run/odoo-test-recurring.log)")
            total, failed, problems = odoo_pass(odoo, config, "fieldops_recurring",
                                                ["-i", BRIDGE, "--test-tags", bridge_tags],
                                                os.path.join(RUN_DIR, "odoo-test-recurring.log"))
            for line in problems:
                say(line)
            tally.add("odoo suite, recurring orders bridge", max(0, total - failed), failed,
                      note=f"({time.monotonic() - started:.0f} s)")
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def run_security(tally, require):
    """The security suite (devtools/security_suite.py) against its own running product, when Odoo is here."""
    odoo, why = odoo_env.find_odoo()
    if odoo is None:
        line = f"security suite: SKIPPED — {why}"
        say(line)
        if require:
            tally.add("security suite", 0, 1, note="(required but Odoo 18 is missing)")
        else:
            tally.lines.append("  " + line)
        return
    started = time.monotonic()
    log_path = os.path.join(RUN_DIR, "security-suite.log")
    say(f"security suite: attacks on the running product, then a leak scan (log: {log_path})")
    with open(log_path, "w") as log:
        result = subprocess.run([sys.executable, "-m", "devtools.security_suite", "--require-odoo"], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
    with open(log_path) as log:
        totals = re.findall(r"^\s*total\s+(\d+)\s+(\d+)\s+(\d+)\s*$", log.read(), flags=re.M)
    passed, failed = (int(totals[-1][1]), int(totals[-1][2])) if totals else (0, 0)
    if result.returncode != 0 and failed == 0:
        failed = 1
    tally.add("security suite", passed, failed, note=f"({time.monotonic() - started:.0f} s)")


def run_live(tally, provider, pytest_args):
    """The provider contract against a real test account (``bin/test --live google|microsoft``)."""
    from tests.live import variables

    label = f"live contract run ({provider})"
    reason = variables.skip_reason(provider)
    if reason:
        say(reason)
        tally.add(label, 0, 0, 1, note="(no test account configured)")
        return
    python = engine_env.ensure_venv(os.path.join(ROOT, ".venv"), True, log=say)
    os.makedirs(RUN_DIR, exist_ok=True)
    report = os.path.join(RUN_DIR, f"junit-live-{provider}.xml")
    if os.path.exists(report):
        os.remove(report)
    say(f"{label}: the contract, batch, series and token checks against the real API; "
        "it deletes every event it made, also after a failure")
    result = subprocess.run([python, "-m", "pytest", "-q", "-rs", f"tests/live/test_live_{provider}.py",
                             f"--junitxml={report}", *pytest_args], cwd=ROOT,
                            env={**os.environ, variables.RUN_SWITCH: "1"})
    passed, failed, skipped = junit_counts(report) if os.path.exists(report) else (0, 1, 0)
    if result.returncode not in (0, 5) and failed == 0:
        failed = 1
    tally.add(label, passed, failed, skipped)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bin/test", description=__doc__)
    parser.add_argument("--require-odoo", action="store_true",
                        default=os.environ.get("FIELDOPS_REQUIRE_ODOO", "") not in ("", "0"))
    parser.add_argument("--engine-only", action="store_true")
    parser.add_argument("--odoo-only", action="store_true")
    parser.add_argument("--pinned-only", action="store_true", help="skip the run under current releases")
    parser.add_argument("--odoo-tags", default=f"/{ADDON}", help="test tags of the standard Odoo pass")
    parser.add_argument("--commit-tags", default=COMMIT_TAGS,
                        help="test tags of the pass on committed data ('none' skips it)")
    parser.add_argument("--bridge-tags", default=f"/{BRIDGE}",
                        help=f"test tags of the {BRIDGE} pass, in a database of its own ('none' skips it)")
    parser.add_argument("--no-security", action="store_true", help="skip the security suite")
    parser.add_argument("--live", choices=("google", "microsoft"),
                        help="only the live contract run against a real test account (README: Live contract run)")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    tally = Tally()
    try:
        if args.live:
            run_live(tally, args.live, args.pytest_args)
        elif not args.odoo_only:
            run_engine(tally, ".venv", True, args.pytest_args)
            if not args.pinned_only:
                run_engine(tally, ".venv-current", False, args.pytest_args)
        if not args.engine_only and not args.live:
            run_odoo(tally, args.require_odoo, args.odoo_tags, args.commit_tags, args.bridge_tags)
            if not args.no_security:
                run_security(tally, args.require_odoo)
    except KeyboardInterrupt:
        say("interrupted; the private PostgreSQL cluster was stopped")
        return 130
    print("\n".join(["", "Summary:", *tally.lines]))
    print(f"total: {tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
