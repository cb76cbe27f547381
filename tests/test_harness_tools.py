"""The harness finds its system tools with a minimal PATH, and says what to install where one is missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devtools import tools

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MINIMAL_PATH = "/nonexistent"  # nothing at all on PATH: every tool must be found by its absolute place


def run_with_minimal_path(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FIELDOPS_") and k != "PG_BIN"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180,  # noqa: S603 (our own code)
                          env={**clean, "PATH": MINIMAL_PATH, **env})


def fake_program(directory, name):
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return str(path)


def test_a_tool_is_found_at_its_absolute_place_without_path(tmp_path):
    program = fake_program(tmp_path, "nginx")
    tool = tools.Tool("nginx", "FIELDOPS_TEST_TOOL", (str(tmp_path / "missing"), program), "install it")
    assert tool.find() == program


def test_the_override_variable_wins(tmp_path, monkeypatch):
    chosen = fake_program(tmp_path, "my-chrome")
    monkeypatch.setenv("FIELDOPS_CHROMIUM", chosen)
    assert tools.chromium() == chosen


def test_an_override_that_is_no_program_is_refused_with_what_to_install(tmp_path, monkeypatch):
    not_executable = tmp_path / "nginx"
    not_executable.write_text("")
    monkeypatch.setenv("FIELDOPS_NGINX", str(not_executable))
    with pytest.raises(tools.ToolMissing, match=r"FIELDOPS_NGINX=.*apt-get install nginx-light"):
        tools.nginx()


def test_a_missing_tool_names_the_package_and_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", MINIMAL_PATH)
    tool = tools.Tool("runuser", "FIELDOPS_TEST_TOOL", (str(tmp_path / "runuser"),),
                      "install util-linux (apt-get install util-linux)", ("runuser",))
    with pytest.raises(tools.ToolMissing) as missing:
        tool.find()
    assert "apt-get install util-linux" in str(missing.value)
    assert "FIELDOPS_TEST_TOOL" in str(missing.value)


def test_pg_bin_override_must_hold_initdb(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDOPS_PG_BIN", str(tmp_path))
    with pytest.raises(tools.ToolMissing, match="apt-get install postgresql"):
        tools.pg_bin()
    fake_program(tmp_path, "initdb")
    assert tools.pg_bin() == str(tmp_path)


def test_pg_bin_prefers_the_newest_version():
    paths = ["/usr/lib/postgresql/9/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/13/bin"]
    assert sorted(paths, key=tools._version_key, reverse=True)[0] == "/usr/lib/postgresql/15/bin"


def test_a_private_cluster_starts_with_a_minimal_path():
    """initdb, pg_ctl, psql (and runuser when root) by absolute path: the real cluster, PATH emptied."""
    try:
        tools.pg_bin()
        if os.geteuid() == 0:
            tools.runuser()
    except tools.ToolMissing as missing:
        pytest.skip(f"no PostgreSQL server on this machine: {missing}")
    done = run_with_minimal_path(
        "from devtools.pgcluster import PgCluster\n"
        "cluster = PgCluster().start()\n"
        "try:\n"
        "    print(cluster.psql('SELECT 40 + 2'))\n"
        "finally:\n"
        "    cluster.stop()\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "42"


def test_with_a_minimal_path_every_tool_is_found_or_named():
    """Each lookup either finds an absolute program or fails naming what to install; none needs PATH."""
    done = run_with_minimal_path(
        "from devtools import tools\n"
        "for find in (tools.runuser, tools.pg_bin, tools.chromium, tools.nginx):\n"
        "    try:\n"
        "        print('found', find())\n"
        "    except tools.ToolMissing as missing:\n"
        "        print('missing', missing)\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4
    for line in lines:
        kind, rest = line.split(" ", 1)
        assert (kind == "found" and rest.startswith("/")) or (kind == "missing" and "install" in rest), line
