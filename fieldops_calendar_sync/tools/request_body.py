"""Reading a webhook's body with a size limit and a deadline, whatever the server and the transfer encoding.

Odoo's threaded server reads sockets without a timeout, and a chunked body has no
Content-Length to check up front: werkzeug would read either whole. Here the body is
read in pieces, refused with 413 as soon as it passes the limit (before the rest is
read), and with 408 when the client stops sending before the deadline. The socket's
timeout is set for the read (prefork workers already have one of their own).
"""

import contextlib
import time

PIECE = 64 * 1024


class BodyRefused(Exception):
    """The body cannot be taken: ``status`` (400, 408 or 413) and a reason for the admin."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _environ(httprequest):
    # Odoo hides the WSGI stream and socket from its request wrapper; its own websocket code reads them the same way
    return httprequest._HTTPRequest__environ


def has_body(httprequest):
    environ = _environ(httprequest)
    return bool(httprequest.content_length) or bool(environ.get("wsgi.input_terminated"))


def read_body(httprequest, limit, timeout):
    """The whole body, at most ``limit`` bytes, read within ``timeout`` seconds; else ``BodyRefused``."""
    length = httprequest.content_length
    if length is not None and length > limit:
        raise BodyRefused(413, "notification body too large")
    environ = _environ(httprequest)
    # the raw input, not werkzeug's LimitedStream, which reports a timed-out read as a disconnected client
    stream = environ["wsgi.input"]
    chunked = bool(environ.get("wsgi.input_terminated"))
    expected = limit + 1 if chunked else (length or 0)
    sock = environ.get("socket") or environ.get("werkzeug.socket")
    previous = sock.gettimeout() if sock is not None else None
    deadline = time.monotonic() + timeout
    pieces, total = [], 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BodyRefused(408, "notification body not sent in time")
            if sock is not None:
                sock.settimeout(left if previous is None else min(left, previous))
            if total >= expected:
                break
            piece = stream.read(min(PIECE, expected - total))
            if not piece:
                break
            pieces.append(piece)
            total += len(piece)
            if total > limit:
                raise BodyRefused(413, "notification body too large")
    except TimeoutError:
        raise BodyRefused(408, "notification body not sent in time") from None
    except (OSError, ValueError):  # werkzeug's answer to a malformed chunked encoding
        raise BodyRefused(400, "malformed chunked body") from None
    finally:
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(previous)
    if length is not None and total < length:
        raise BodyRefused(400, "notification body cut short")
    return b"".join(pieces)
