"""The live contract run's own logic (skipping, setup, cleanup), with the sandbox standing in for the real APIs.

The run (``bin/test --live google|microsoft``) is started here as the test command starts it, in a
process of its own, pointed at the emulators through the same variables a real account uses plus
``FIELDOPS_LIVE_*_BASE_URL`` / ``FIELDOPS_LIVE_CA_CERTS``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

from tests.google_fixtures import sign_in
from tests.live import variables
from tests.microsoft_fixtures import ms_sign_in

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = {"google": "tests/live/test_live_google.py", "microsoft": "tests/live/test_live_microsoft.py"}
# the contract checks no API lets a test bring about: an expired sync token, and the three injected faults
NOT_LIVE = 4


def _clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith(variables.PREFIX)}


def _run(args, env, tmp_path):
    report = tmp_path / "live.xml"
    command = [sys.executable, "-m", "pytest", "-q", f"--junitxml={report}", *args]
    done = subprocess.run(command, cwd=ROOT,  # noqa: S603 (our own pytest)
                          env={**env, variables.RUN_SWITCH: "1"}, capture_output=True, text=True, timeout=600)
    # the report is pytest's own, written by the run just made
    cases = ET.parse(report).getroot().iter("testcase") if report.exists() else []  # noqa: S314
    outcome = {}
    for case in cases:
        child = next(iter(case), None)
        outcome[case.get("name")] = ("passed", "") if child is None else (child.tag, child.get("message") or "")
    return done, outcome


@pytest.fixture
def google_account_env(emulator, config, tls, account):
    token = json.loads(sign_in(config, account))
    return {**_clean_env(), "FIELDOPS_LIVE_GOOGLE_CLIENT_ID": config.client_id,
            "FIELDOPS_LIVE_GOOGLE_CLIENT_SECRET": config.client_secret,
            "FIELDOPS_LIVE_GOOGLE_REFRESH_TOKEN": token["refresh_token"],
            "FIELDOPS_LIVE_GOOGLE_CALENDAR_ID": "primary",
            "FIELDOPS_LIVE_GOOGLE_BASE_URL": emulator.base_url, "FIELDOPS_LIVE_CA_CERTS": tls.cert_path}


@pytest.fixture
def microsoft_account_env(ms_emulator, ms_config, tls, ms_account):
    from calsync.microsoft import auth as ms_auth

    flow, params = ms_sign_in(ms_config, ms_account)
    cache, _email = ms_auth.finish_auth(ms_config, flow, params)
    (refresh,) = [entry["secret"] for entry in json.loads(cache)["RefreshToken"].values()]
    return {**_clean_env(), "FIELDOPS_LIVE_MICROSOFT_CLIENT_ID": ms_config.client_id,
            "FIELDOPS_LIVE_MICROSOFT_CLIENT_SECRET": ms_config.client_secret,
            "FIELDOPS_LIVE_MICROSOFT_TENANT": "common", "FIELDOPS_LIVE_MICROSOFT_REFRESH_TOKEN": refresh,
            "FIELDOPS_LIVE_MICROSOFT_BASE_URL": ms_emulator.base_url, "FIELDOPS_LIVE_CA_CERTS": tls.cert_path}


def _live_events(request, provider):
    if provider == "google":
        return request.getfixturevalue("emulator").live_events(request.getfixturevalue("account"))
    return request.getfixturevalue("ms_emulator").live_events(request.getfixturevalue("ms_account"))


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_without_an_account_the_run_says_plainly_that_it_was_skipped(provider, tmp_path):
    reason = variables.skip_reason(provider, _clean_env())
    assert reason.startswith(f"live contract run ({provider}) skipped")
    assert all(name in reason for name in variables.names(provider))
    done, outcome = _run([MODULES[provider]], _clean_env(), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert outcome and {kind for kind, _ in outcome.values()} == {"skipped"}
    assert all("no test account configured" in message for _, message in outcome.values())


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_the_run_passes_against_the_sandbox_and_leaves_the_calendar_empty(provider, request, tmp_path):
    env = request.getfixturevalue(f"{provider}_account_env")
    done, outcome = _run([MODULES[provider]], env, tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    skipped = {name: message for name, (kind, message) in outcome.items() if kind == "skipped"}
    assert len(skipped) == NOT_LIVE and all("cannot be made live" in m for m in skipped.values()), skipped
    assert "test_expired_cursor_asks_for_a_full_resync" in skipped
    passed = {name for name, (kind, _) in outcome.items() if kind == "passed"}
    assert {"test_a_batch_of_many_writes_is_applied_item_by_item",
            "test_a_series_lists_its_occurrences_and_its_deletion",
            "test_an_access_token_the_provider_refuses_is_renewed", "test_full_then_incremental_listing"} <= passed
    assert _live_events(request, provider) == []


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_a_failing_run_still_deletes_what_it_created(provider, request, tmp_path):
    env = request.getfixturevalue(f"{provider}_account_env")
    failing = tmp_path / "test_fails_halfway.py"
    failing.write_text(textwrap.dedent(f"""
        from tests.provider_contract import job_event, new_identity

        LIVE_PROVIDER = "{provider}"

        def test_creates_then_fails(provider, backdoor):
            provider.create(new_identity(), job_event("Left behind?"))
            backdoor.person_create(job_event("A person's too", hours=1))
            assert backdoor.live_count() == 2
            raise AssertionError("failing on purpose, halfway through")
    """))
    done, outcome = _run(["-p", "tests.live.fixtures", f"--rootdir={tmp_path}", str(failing)], env, tmp_path)
    assert done.returncode == 1, done.stdout[-3000:]
    assert outcome["test_creates_then_fails"][0] == "failure"
    assert "failing on purpose" in outcome["test_creates_then_fails"][1]
    assert _live_events(request, provider) == []
