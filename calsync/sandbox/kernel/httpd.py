"""The emulators' HTTP side: a threaded TLS server in a thread of its own, and one request handler.

The handler only parses a request and writes the answer; what a request means is the
emulator's ``handle(request)`` (see emulator.py), so both providers share it.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .tls import TLSMaterial


class QuietThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def get_request(self):
        # answers go out in two writes (headers, then body): without TCP_NODELAY the second waits for the
        # client's delayed ACK, about 40 ms per request on loopback
        sock, address = super().get_request()
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    def handle_error(self, request, client_address):  # a client hanging up is not our failure
        import ssl
        import sys

        exc = sys.exc_info()[1]
        # a client that timed out and closed its TLS connection leaves an SSLEOFError on our side
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


class ServerThread:
    """Runs ``handler_class`` on ``host:port`` (port 0 picks a free one), over TLS if given material."""

    def __init__(self, handler_class: type[BaseHTTPRequestHandler], host: str = "127.0.0.1",
                 port: int = 0, tls: TLSMaterial | None = None):
        self.server = QuietThreadingServer((host, port), handler_class)
        if tls is not None:
            self.server.socket = tls.server_context().wrap_socket(self.server.socket, server_side=True)
        self.tls = tls
        self.host = host
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"sandbox-{self.port}",
                                        daemon=True)

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


@dataclass
class Request:
    """One parsed HTTP request: header names title-cased (they are case-insensitive), the raw body."""

    method: str
    path: str
    query: dict
    headers: dict
    raw: bytes


@dataclass
class Response:
    """An answer: a dict/list is sent as JSON, bytes as they are; ``content_type=None`` sends none."""

    status: int
    body: object = None
    content_type: str | None = "application/json"
    headers: dict | None = None


def make_handler(emulator, methods=("GET", "POST", "PATCH", "PUT", "DELETE")) -> type[BaseHTTPRequestHandler]:
    """A request handler class that hands every request of ``methods`` to ``emulator.handle``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # the emulator keeps its own request log
            return

        def _send(self, answer: Response):
            body = answer.body
            data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
            self.send_response(answer.status)
            if answer.content_type:
                self.send_header("Content-Type", answer.content_type)
            for key, value in (answer.headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self, method):
            split = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=method, path=split.path,
                query=dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
                headers={k.title(): v for k, v in self.headers.items()},
                raw=self.rfile.read(length) if length else b"")
            self._send(emulator.handle(request))

    for verb in methods:
        setattr(Handler, f"do_{verb}", lambda self, verb=verb: self._dispatch(verb))
    return Handler
