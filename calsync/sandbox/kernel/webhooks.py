"""Webhook delivery, alike for both providers, and the rule that callback URLs are https.

Delivery: a POST with retries and backoff on 5xx and connection errors, either in
order through one queue per key (Google numbers a channel's messages, so they must
not overtake each other) or fire-and-forget (Graph's change notifications carry no
order). What each notification says is the provider's.
"""

from __future__ import annotations

import ipaddress
import queue
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def callback_allowed(url: str, allow_http_loopback: bool = False) -> bool:
    """Whether a provider would accept ``url`` as a webhook callback.

    Both real APIs require https: Google Calendar's push notifications guide
    (developers.google.com/calendar/api/guides/push, "Create notification channels":
    the address must use HTTPS with a valid SSL certificate) and Microsoft Graph's
    subscription resource (learn.microsoft.com/graph/api/resources/subscription,
    ``notificationUrl`` / ``lifecycleNotificationUrl``: must use the HTTPS protocol).
    Plain http passes only when the sandbox was started with an explicit loopback
    allowance (tests, ``bin/run``), and then only for a loopback host: the docs
    allow no exception, the allowance is the sandbox's own.
    """
    try:
        split = urllib.parse.urlsplit(url or "")
        host = split.hostname
    except ValueError:
        return False
    if split.scheme == "https" and host:
        return True
    return split.scheme == "http" and allow_http_loopback and is_loopback_host(host)


class Deliverer:
    """POSTs notifications to callback URLs; records (url, status) of each attempt (0: no connection)."""

    def __init__(self, attempts=4, timeout=10):
        self.attempts, self.timeout = attempts, timeout
        self.deliveries: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._outboxes: dict[str, queue.Queue] = {}
        self._context = ssl.create_default_context()

    def post(self, url, data=b"", headers=None) -> None:
        """POST now, in this thread; retry on 5xx and connection errors with backoff."""
        if not url.startswith(("http://", "https://")):
            return
        for attempt in range(self.attempts):
            request = urllib.request.Request(url, data=data, method="POST", headers=headers or {})  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=self.timeout,  # noqa: S310
                                            context=self._context) as answer:
                    self.deliveries.append((url, answer.status))
                    return
            except urllib.error.HTTPError as exc:
                self.deliveries.append((url, exc.code))
                if exc.code < 500:
                    return
            except (urllib.error.URLError, OSError):
                self.deliveries.append((url, 0))
            time.sleep(0.2 * 2 ** attempt)

    def post_async(self, url, data=b"", headers=None) -> None:
        """POST in a thread of its own: no order among such posts."""
        threading.Thread(target=self.post, args=(url, data, headers), daemon=True).start()

    def post_in_order(self, key, url, data=b"", headers=None) -> None:
        """POST after every earlier post of the same ``key``: one queue and one thread per key."""
        with self._lock:
            box = self._outboxes.get(key)
            if box is None:
                box = self._outboxes[key] = queue.Queue()
                threading.Thread(target=self._drain, args=(box,), name=f"sandbox-deliver-{key}",
                                 daemon=True).start()
        box.put((url, data, headers))

    def _drain(self, box):
        while True:
            self.post(*box.get())
