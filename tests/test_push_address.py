"""Push notifications need an https address (loopback http only for the sandbox)."""

import pytest

from calsync.push_address import MISSING, NOT_HTTPS, push_refusal


@pytest.mark.parametrize("url, sandbox, expected", [
    ("https://erp.example.com", False, None),
    ("https://erp.example.com:8443/odoo", True, None),
    ("http://erp.example.com", False, NOT_HTTPS),
    ("http://erp.example.com", True, NOT_HTTPS),  # the sandbox allows loopback only
    ("http://127.0.0.1:8069", False, NOT_HTTPS),  # the real providers never reach a loopback address
    ("http://127.0.0.1:8069", True, None),
    ("http://localhost:8069", True, None),
    ("http://[::1]:8069", True, None),
    ("ftp://erp.example.com", False, NOT_HTTPS),
    ("", False, MISSING),
    (None, True, MISSING),
    ("erp.example.com", False, MISSING),
])
def test_push_refusal(url, sandbox, expected):
    assert push_refusal(url, sandbox) == expected
