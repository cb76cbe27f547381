"""Keep OAuth codes and states out of the HTTP access log.

Odoo's server logs every request line ("GET /path?query HTTP/1.1" 200 ...) through the
``werkzeug`` logger. The provider redirects the browser to our callback with the
authorization code and the state in the query string, and a callback that needs a login
again carries them inside ``/web/login?redirect=...``; both would land in the log file.
This filter blanks those values in the request lines that concern the addon.
"""

import logging
import re

MARK = "fieldops_calendar_sync"
# a parameter starts after '?', '&' or their URL-encoded forms (a callback URL inside a login redirect)
SECRET_PARAM = re.compile(r"(?:(?<=[?&;\s])|(?<=%3F)|(?<=%3f)|(?<=%26)|(?<=%253F)|(?<=%2526))"
                          r"(code|state|session_state|client_info|id_token)(=|%3D|%253D)"
                          r"[^&\s%\"']*((?:%(?!26|2526|3F)[0-9A-Fa-f]{2}[^&\s%\"']*)*)")


def redact(text):
    """``text`` with the values of code-like query parameters replaced, if it concerns the addon."""
    if not isinstance(text, str) or MARK not in text:
        return text
    return SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)


class RedactOAuthParams(logging.Filter):
    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        record.msg = redact(record.msg)
        return True


def install():
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactOAuthParams) for f in logger.filters):
        logger.addFilter(RedactOAuthParams())
