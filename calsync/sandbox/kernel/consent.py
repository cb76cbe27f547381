"""The sandbox's sign-in page: the person picks or types the account to sign in as, then allows or cancels.

Each provider's authorize endpoint (over TLS, where oauthlib and msal send it) redirects the
browser to the same request on this page, served on plain http on loopback by a listener of
its own: a normal browser opens it without a certificate warning, and tokens are still only
issued by the TLS token endpoint. Only this page creates accounts: typing an address the
sandbox does not know creates that account on the spot (as signing up at the provider would);
API calls, control calls and grants naming an unknown account fail as the providers' do.
"""

from __future__ import annotations

import html
import re
import threading
import urllib.parse

from .httpd import Response, ServerThread, make_handler

ACCOUNT_RE = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']+$")


def account_ok(value: str) -> bool:
    """An e-mail-like sign-in name (RFC 5321 caps the address at 254 characters)."""
    return bool(value) and len(value) <= 254 and bool(ACCOUNT_RE.match(value))


class Accounts:
    """The accounts the sandbox knows, in the order they came to exist; names compare without case."""

    def __init__(self):
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}

    def add(self, name: str) -> str:
        with self._lock:
            return self._names.setdefault(name.strip().lower(), name.strip())

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name.strip().lower() in self._names

    def listing(self) -> list[str]:
        with self._lock:
            return list(self._names.values())

    def restore(self, names) -> None:
        for name in names or []:
            self.add(name)


class ConsentServer:
    """The plain-http listener on loopback; it answers the provider's consent page and nothing else."""

    def __init__(self, emulator, host="127.0.0.1"):
        self.emulator = emulator
        self.http = ServerThread(make_handler(self, ("GET", "POST")), host=host, port=0, tls=None)

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def start(self):
        self.http.start()
        return self

    def stop(self):
        self.http.stop()

    def handle(self, request) -> Response:
        if request.path == "/favicon.ico":
            return Response(204, b"", None)
        if not self.emulator.is_consent_path(request.path):
            return Response(404, b"Not found: this address serves the sandbox's sign-in page only.",
                            "text/plain; charset=utf-8")
        params = dict(request.query)
        if request.method == "POST":
            # a form without an action posts to the page's own address: the request is in the query
            params.update(urllib.parse.parse_qsl(request.raw.decode("utf-8", "replace"), keep_blank_values=True))
            return self.emulator.consent_decision(params)
        return self.emulator.consent_page(params)


def redirect(location: str) -> Response:
    return Response(302, b"", "text/html; charset=utf-8", {"Location": location, "Cache-Control": "no-store"})


def with_query(url: str, params: dict) -> str:
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)


def render_page(*, product: str, client_name: str, permissions: list[str], accounts: list[str],
                hint: str = "", error: str = "", status: int = 200) -> Response:
    """The page: known accounts to pick, a field to type another one, what the app may do, Cancel / Allow."""
    esc = html.escape
    hint_known = next((a for a in accounts if a.lower() == hint.strip().lower()), "")
    rows = "".join(
        f'<label class="account"><input type="radio" name="account" value="{esc(a)}"'
        f'{" checked" if a == hint_known else ""}> <span>{esc(a)}</span></label>'
        for a in accounts)
    other_checked = "" if hint_known else " checked"
    other_value = "" if hint_known else hint
    grants = "".join(f"<li>{esc(p)}</li>" for p in permissions)
    notice = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - {esc(product)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f1f3f4; margin: 0;
       color: #202124; }}
main {{ max-width: 460px; margin: 48px auto; background: #fff; border-radius: 8px; padding: 32px 36px;
       box-shadow: 0 1px 3px rgba(0,0,0,.2); }}
.badge {{ display: inline-block; background: #e8f0fe; color: #174ea6; border-radius: 4px; padding: 2px 8px;
         font-size: 12px; font-weight: 600; letter-spacing: .02em; }}
h1 {{ font-size: 22px; font-weight: 500; margin: 12px 0 4px; }}
.sub {{ color: #5f6368; margin: 0 0 20px; }}
fieldset {{ border: 0; padding: 0; margin: 0 0 16px; }}
legend {{ font-weight: 600; margin-bottom: 8px; }}
.account, .other {{ display: flex; align-items: center; gap: 10px; border: 1px solid #dadce0; border-radius: 6px;
                   padding: 10px 12px; margin-bottom: 8px; cursor: pointer; }}
.other input[type=email] {{ flex: 1; font: inherit; padding: 6px 8px; border: 1px solid #dadce0;
                           border-radius: 4px; }}
ul {{ margin: 4px 0 16px 18px; padding: 0; color: #3c4043; }}
.note {{ font-size: 13px; color: #5f6368; }}
.error {{ background: #fce8e6; color: #a50e0e; border-radius: 4px; padding: 8px 12px; }}
.actions {{ display: flex; justify-content: flex-end; gap: 12px; margin-top: 20px; }}
button {{ font: inherit; border-radius: 4px; padding: 8px 20px; cursor: pointer; border: 1px solid #dadce0;
         background: #fff; color: #1a73e8; }}
button.allow {{ background: #1a73e8; color: #fff; border-color: #1a73e8; }}
</style></head>
<body><main>
<span class="badge">SANDBOX</span>
<h1>Sign in to {esc(product)}</h1>
<p class="sub">to continue to <strong>{esc(client_name)}</strong></p>
{notice}
<form method="post" autocomplete="off">
<fieldset><legend>Choose an account</legend>
{rows}
<label class="other"><input type="radio" name="account" value=""{other_checked} id="use-other">
<span>Another account</span>
<input type="email" name="other" value="{esc(other_value)}" placeholder="name@example.com"
       aria-label="Another account" onfocus="document.getElementById('use-other').checked = true"></label>
</fieldset>
<p><strong>{esc(client_name)}</strong> will be able to:</p>
<ul>{grants}</ul>
<p class="note">This is the local sandbox, not the real provider: no password is asked, and an account you type
that the sandbox does not know yet is created on the spot.</p>
<div class="actions">
<button type="submit" name="decision" value="deny">Cancel</button>
<button type="submit" name="decision" value="allow" class="allow">Allow</button>
</div>
</form>
</main></body></html>"""
    return Response(status, page.encode(), "text/html; charset=utf-8",
                    {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                     "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                "script-src 'unsafe-inline'"})


def chosen_account(params: dict) -> str:
    """The picked account, else the typed one (a form posts both fields; a script may post ``account`` only)."""
    return (params.get("account") or params.get("other") or "").strip()


class ConsentPagesMixin:
    """The sign-in page and the person's decision, for an emulator's OAuth server (mixed into its OAuthMixin).

    The emulator sets ``CONSENT_PRODUCT`` and ``CONSENT_PERMISSIONS`` (scope -> the words its real page
    shows) and provides ``_authorize_error``, ``reply``, ``accounts``, ``create_account``, and
    ``_grant_code(account, params, back)``: the redirect that carries its authorization code.
    """

    CONSENT_PRODUCT = ""
    CONSENT_PERMISSIONS: dict = {}
    # the query a refusal sends back besides error=access_denied and the state
    CONSENT_DENIED: dict = {}

    def consent_page(self, params, error="", status=200):
        problem = self._authorize_error(params)
        if problem:
            return self.reply(400, problem)
        scopes = (params.get("scope") or "").split()
        return render_page(product=self.CONSENT_PRODUCT, client_name="FieldOps Calendar Sync",
                           permissions=[self.CONSENT_PERMISSIONS.get(s, s) for s in scopes],
                           accounts=self.accounts.listing(), hint=params.get("other") or params.get("login_hint")
                           or "", error=error, status=status)

    def consent_decision(self, params):
        """The person allowed (as the picked or typed account, created here if new) or cancelled."""
        problem = self._authorize_error(params)
        if problem:
            return self.reply(400, problem)
        back = {"state": params["state"]} if "state" in params else {}
        if params.get("decision") != "allow":
            return redirect(with_query(params["redirect_uri"], {"error": "access_denied", **self.CONSENT_DENIED,
                                                                **back}))
        account = chosen_account(params)
        if not account_ok(account):
            return self.consent_page(params, error="Enter an e-mail address, like name@example.com.", status=400)
        return self._grant_code(self.create_account(account), params, back)

