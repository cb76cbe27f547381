"""A small threaded HTTP(S) server the emulators run on, in a thread of their own."""

from __future__ import annotations

import contextlib
import socket
import threading
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
