"""The providers' hosts, redirected to the sandbox emulators for one test (test only).

Odoo's ``google_account`` and ``microsoft_account`` services call the module-level ``requests.request``
with hard-coded hosts. A test replaces the ``requests`` name inside those two modules (and nowhere else)
with a ``RedirectedRequests``: a request to a provider's host goes to the emulator instead, over TLS that
trusts the sandbox certificate only, and links in the answer that name the emulator name the provider's
host again, as the real API's answer would (Odoo follows ``@odata.nextLink`` only to Graph's own host).
Nothing else in the process is touched, and the test's cleanup puts the real module back.
"""

import urllib.parse

import requests


class UnroutedHost(AssertionError):
    """Odoo's service called a host the test did not expect: a new endpoint to look at, never the internet."""


class RedirectedRequests:
    """Stands in for the ``requests`` module inside one Odoo service module."""

    def __init__(self, routes, ca_path, links_as):
        # routes: {"https://www.googleapis.com": "https://127.0.0.1:1234", ...}; links_as: the provider origin
        # that the emulator's own address stands for in answers
        self._routes = {origin.rstrip("/"): base.rstrip("/") for origin, base in routes.items()}
        self._ca_path = ca_path
        self._links_as = links_as
        self.calls = []  # (method, URL as Odoo sent it, status): what the test reports when a step fails

    def __getattr__(self, name):  # exceptions, Session, codes...: the real module's
        return getattr(requests, name)

    def _target(self, url):
        split = urllib.parse.urlsplit(url)
        origin = f"{split.scheme}://{split.netloc}"
        base = self._routes.get(origin)
        if base is None:
            raise UnroutedHost(f"Odoo called {origin}, which no emulator stands for ({url})")
        return base + urllib.parse.urlunsplit(("", "", split.path, split.query, split.fragment)), base

    def request(self, method, url, **kwargs):
        target, base = self._target(url)
        kwargs["verify"] = self._ca_path
        timeout = kwargs.pop("timeout", 20)  # Odoo's services always pass theirs
        response = requests.request(method, target, timeout=timeout, **kwargs)
        if response.content and base.encode() in response.content:
            response._content = response.content.replace(base.encode(), self._links_as.encode())
        self.calls.append((method.upper(), url, response.status_code))
        return response

    def get(self, url, **kwargs):
        return self.request("get", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("post", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.request("patch", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("delete", url, **kwargs)

    def browse(self, url, account):
        """A person's browser at the provider's consent page, signing in as ``account``: the emulator's
        redirect back, not followed."""
        target, _base = self._target(url)
        answer = sign_in(target, account, self._ca_path)
        self.calls.append(("GET", url, answer.status_code))
        return answer


def sign_in(url, account, ca_path, params=None):
    """What a person does at the sandbox's authorize URL: it leads to the sign-in page, where the account is
    chosen and access allowed; the answer is the redirect back to the client (not followed)."""
    page = requests.get(url, params=params, verify=ca_path, timeout=10)
    page.raise_for_status()
    return requests.post(page.url, data={"account": account, "decision": "allow"}, verify=ca_path,
                         allow_redirects=False, timeout=10)
