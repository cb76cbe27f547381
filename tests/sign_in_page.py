"""What a person does on the sandbox's sign-in page, over real HTTP: open it, pick or type the account, decide."""

from __future__ import annotations

import urllib.parse

import requests


def open_page(url: str, ca_certs: str | None = None) -> requests.Response:
    """GET ``url`` as a browser would; the provider's https authorize URL redirects to the plain-http page."""
    session = requests.Session()
    session.trust_env = False
    return session.get(url, verify=ca_certs or True, timeout=10)


def consent(url: str, account: str, ca_certs: str | None = None, decision: str = "allow") -> dict:
    """Sign in as ``account`` (picked or typed) and ``decision`` (allow / deny): the redirect's query parameters."""
    page = open_page(url, ca_certs)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html"), page.text[:300]
    assert page.url.startswith("http://"), "the page a browser opens is plain http (no certificate warning)"
    session = requests.Session()
    session.trust_env = False
    done = session.post(page.url, data={"account": account, "decision": decision}, allow_redirects=False,
                        timeout=10)
    assert done.status_code == 302, done.text[:300]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(done.headers["Location"]).query))
