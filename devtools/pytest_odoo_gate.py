"""A pytest plugin for the Odoo suite under pytest-odoo: Odoo's tag rules kept, and no browser test skipped.

pytest-odoo collects every test class of the addon; Odoo's runner would leave out the classes
tagged ``-standard`` (those that need committed data run in a pass of their own). This plugin
deselects them the same way. And where an HttpCase test or a tour is skipped (no Chromium, no
websocket-client, no HTTP server because ``--odoo-http`` was forgotten), the run fails: a skipped
browser test proves nothing. Loaded with ``-p devtools.pytest_odoo_gate``.
"""

from __future__ import annotations

import pytest

_skipped_http: list[str] = []


def _odoo_tags(item) -> set:
    cls = getattr(item, "cls", None)
    return set(getattr(cls, "test_tags", ()) or ())


def pytest_collection_modifyitems(config, items):
    kept, dropped = [], []
    for item in items:
        tags = _odoo_tags(item)
        (dropped if tags and "standard" not in tags else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _is_http_case(item) -> bool:
    from odoo.tests.common import HttpCase

    cls = getattr(item, "cls", None)
    return isinstance(cls, type) and issubclass(cls, HttpCase)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _is_http_case(item):
        _skipped_http.append(f"{item.nodeid}: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else ''}")


def pytest_sessionfinish(session, exitstatus):
    if _skipped_http:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"{len(_skipped_http)} HttpCase test(s) or tour(s) were skipped, which fails the run:",
                 *_skipped_http[:20]]
        if reporter:
            for line in lines:
                reporter.write_line(line, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
