"""Push notifications: events.watch, channels.stop, and the headers-only notifications Google POSTs.

Push notifications guide (developers.google.com/calendar/api/guides/push): a channel
has a caller-chosen id (unique), a webhook ``address`` that must be HTTPS, an optional
token echoed in ``X-Goog-Channel-Token``, a ttl; a ``sync`` message follows creation,
then ``exists`` messages numbered by ``X-Goog-Message-Number``.
"""

from __future__ import annotations

import re
import secrets
import time

from .errors import ApiError


class ChannelsMixin:
    """Watch channels and their notifications (mixed into GoogleEmulator)."""

    def webhooks(self):
        """What Google knows of each watch channel (the ``webhooks`` control action), token included."""
        with self.lock:
            return [dict(c) for c in self.channels.values()]

    def _watch(self, cal, calendar_ref, body):
        if not isinstance(body, dict) or body.get("type") not in ("web_hook", "webhook"):
            raise ApiError(400, "invalid", "Invalid channel type.")
        channel_id, address = body.get("id", ""), body.get("address", "")
        if not channel_id or len(channel_id) > 64 or not re.match(r"^[A-Za-z0-9\-_+/=]+$", channel_id):
            raise ApiError(400, "invalid", "Invalid channel id.")
        # Push notifications guide, "Create notification channels": the address must use HTTPS (with a valid
        # certificate); Google answers 400 with reason push.webhookUrlNotHttps. Plain http only with the
        # sandbox's loopback allowance (kernel/webhooks.py).
        if not self.callback_allowed(address):
            raise ApiError(400, "push.webhookUrlNotHttps", f"WebHook callback must be HTTPS: {address}")
        if len(body.get("token", "")) > 256:
            raise ApiError(400, "invalid", "Channel token too long.")
        ttl = int((body.get("params") or {}).get("ttl", 604800))
        with self.lock:
            if channel_id in self.channels:
                raise ApiError(400, "channelIdNotUnique", "Channel id not unique.")
            channel = {"id": channel_id, "resourceId": secrets.token_urlsafe(18), "calendar": cal.id,
                       "address": address, "token": body.get("token", ""), "number": 0,
                       "uri": f"{self.base_url}/calendar/v3/calendars/{calendar_ref}/events?alt=json",
                       "expiration": int(time.time() * 1000) + min(ttl, 2592000) * 1000}
            self.channels[channel_id] = channel
        self.issued.add("google channel token", channel["token"])
        self._notify(cal, "sync", only=channel_id)
        return {"kind": "api#channel", "id": channel_id, "resourceId": channel["resourceId"],
                "resourceUri": channel["uri"], "token": channel["token"], "expiration": str(channel["expiration"])}

    def _stop_channel(self, account, body):
        with self.lock:
            channel = self.channels.get((body or {}).get("id"))
            if channel is None or channel["resourceId"] != (body or {}).get("resourceId") or \
                    self.calendars[channel["calendar"]].owner != account:
                raise ApiError(404, "notFound", "Channel not found for project.")
            del self.channels[channel["id"]]
        return 204, None, {}

    def _notify(self, cal, state, only=None):
        """Queue a headers-only POST to each live channel of ``cal``, in message-number order per channel
        (a thread per message raced: a fast answer to the next request could overtake the 'sync' message)."""
        with self.lock:
            targets = [c for c in self.channels.values() if c["calendar"] == cal.id and (only is None or
                                                                                          c["id"] == only)]
            now_ms = time.time() * 1000
            for channel in targets:
                if channel["expiration"] < now_ms:
                    continue
                channel["number"] += 1
                headers = {"X-Goog-Channel-ID": channel["id"], "X-Goog-Message-Number": str(channel["number"]),
                           "X-Goog-Resource-ID": channel["resourceId"], "X-Goog-Resource-State": state,
                           "X-Goog-Resource-URI": channel["uri"],
                           "X-Goog-Channel-Expiration": time.strftime(
                               "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(channel["expiration"] / 1000))}
                if channel.get("token"):
                    headers["X-Goog-Channel-Token"] = channel["token"]
                self.outbound.post_in_order(channel["id"], channel["address"], b"", headers)
