"""Subscriptions: create (with the validation handshake), renew, delete; change and lifecycle notifications.

Receive change notifications through webhooks
(learn.microsoft.com/graph/change-notifications-delivery-webhooks): creating a
subscription POSTs a ``validationToken`` that the endpoint must echo as text/plain
within 10 seconds; notifications carry ``clientState`` and may arrive more than once;
lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed) go to
``lifecycleNotificationUrl``. Subscription resource
(learn.microsoft.com/graph/api/resources/subscription): both URLs must be https;
``clientState`` is at most 128 characters.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

from .errors import GraphError
from .oauth import TENANT_ID
from .times import _iso

# subscription resource type, "Subscription lifetime": an Outlook event subscription lasts at most 10,080
# minutes (under 7 days), 1,440 minutes when it includes resource data; longer is refused with 400 (the older
# 4,230-minute limit is gone)
MAX_SUBSCRIPTION_MINUTES = 10080
MAX_WITH_RESOURCE_DATA_MINUTES = 1440
# Create subscription: changeType is a comma-separated list of created, updated, deleted; the resource is an
# Outlook events path (Change notifications for Outlook resources: /me/events, /users/{id}/events, and a
# calendar's events); anything else is 400
CHANGE_TYPES = {"created", "updated", "deleted"}
EVENT_RESOURCE = re.compile(r"^/?(me|users/[^/]+)(/calendars?(/[^/]+)?)?/events$", re.IGNORECASE)


def _check_lifetime(expires, with_resource_data):
    limit = MAX_WITH_RESOURCE_DATA_MINUTES if with_resource_data else MAX_SUBSCRIPTION_MINUTES
    if expires > datetime.now(timezone.utc) + timedelta(minutes=limit):
        raise GraphError(400, "ValidationError", f"Subscription expiration can only be {limit} minutes in the "
                         "future.")


def _change_types(value):
    kinds = [k.strip() for k in (value or "").split(",") if k.strip()]
    if not kinds or any(k not in CHANGE_TYPES for k in kinds):
        raise GraphError(400, "ValidationError", "changeType must be a list of created, updated and deleted.")
    return kinds


class SubscriptionsMixin:
    """/subscriptions and notification delivery (mixed into MicrosoftEmulator)."""

    def webhooks(self):
        """What Graph knows of each subscription (the ``webhooks`` control action), clientState included."""
        with self.lock:
            return [{k: v for k, v in s.items() if k != "expires"} for s in self.subscriptions.values()]

    def send_lifecycle(self, subscription_id, event):
        """What Graph sends when a subscription needs attention (reauthorizationRequired, subscriptionRemoved,
        missed)."""
        sub = self.subscriptions[subscription_id]
        item = {"subscriptionId": subscription_id, "subscriptionExpirationDateTime": sub["expirationDateTime"],
                "tenantId": TENANT_ID, "clientState": sub.get("clientState"), "lifecycleEvent": event}
        if event == "subscriptionRemoved":
            with self.lock:
                self.subscriptions.pop(subscription_id, None)
        self._post_async(sub["lifecycleNotificationUrl"], {"value": [item]})

    def _check_callback(self, name, url):
        # Subscription resource: notificationUrl and lifecycleNotificationUrl "must make use of the HTTPS
        # protocol"; real Graph answers 400 InvalidRequest "NotificationUrl scheme='http' is not supported."
        # (microsoft-graph-docs issue #2751). Plain http only with the sandbox's loopback allowance
        # (kernel/webhooks.py).
        if not self.callback_allowed(url):
            scheme = urllib.parse.urlsplit(url or "").scheme or "none"
            raise GraphError(400, "InvalidRequest", f"{name} scheme='{scheme}' is not supported.")

    def _subscriptions(self, account, method, rest, body):
        if method == "POST" and not rest:
            body = body or {}
            state = body.get("clientState") or ""
            if len(state) > 128:
                raise GraphError(400, "ValidationError", "clientState is too long (128 characters at most).")
            try:
                expires = datetime.fromisoformat(body["expirationDateTime"].replace("Z", "+00:00"))
            except (KeyError, ValueError):
                raise GraphError(400, "ValidationError", "expirationDateTime is required.") from None
            _check_lifetime(expires, bool(body.get("includeResourceData")))
            _change_types(body.get("changeType"))
            if not EVENT_RESOURCE.match(body.get("resource") or ""):
                raise GraphError(400, "InvalidRequest", "The resource is not an Outlook events path.")
            self._check_callback("NotificationUrl", body.get("notificationUrl", ""))
            if body.get("lifecycleNotificationUrl"):
                self._check_callback("LifecycleNotificationUrl", body["lifecycleNotificationUrl"])
            self._validate(body.get("notificationUrl", ""))
            if body.get("lifecycleNotificationUrl"):
                self._validate(body["lifecycleNotificationUrl"])
            sub = {"id": secrets.token_hex(16), "resource": body.get("resource"), "account": account,
                   "changeType": body.get("changeType"), "notificationUrl": body["notificationUrl"],
                   "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"), "clientState": state or None,
                   "includeResourceData": bool(body.get("includeResourceData")),
                   "expirationDateTime": _iso(expires) + "Z", "expires": expires.timestamp()}
            self.issued.add("graph clientState", state)
            with self.lock:
                self.subscriptions[sub["id"]] = sub
            return 201, {k: v for k, v in sub.items() if k not in ("account", "expires")}, {}
        if len(rest) == 1:
            with self.lock:
                sub = self.subscriptions.get(rest[0])
            if sub is None or sub["account"] != account:
                raise GraphError(404, "ResourceNotFound", "The object was not found.")
            if method == "DELETE":
                with self.lock:
                    self.subscriptions.pop(rest[0], None)
                return 204, None, {}
            if method == "PATCH":
                expires = datetime.fromisoformat((body or {})["expirationDateTime"].replace("Z", "+00:00"))
                _check_lifetime(expires, sub.get("includeResourceData"))
                sub.update(expirationDateTime=_iso(expires) + "Z", expires=expires.timestamp())
                return 200, {k: v for k, v in sub.items() if k not in ("account", "expires")}, {}
        raise GraphError(400, "BadRequest", "Resource not found for the segment 'subscriptions'.")

    def _notify(self, account, event, change):
        with self.lock:
            subs = [s for s in self.subscriptions.values() if s["account"] == account]
        for sub in subs:
            # a subscription hears only the change types it asked for
            if sub["expires"] < time.time() or change not in _change_types(sub.get("changeType")):
                continue
            item = {"subscriptionId": sub["id"], "subscriptionExpirationDateTime": sub["expirationDateTime"],
                    "changeType": change, "clientState": sub.get("clientState"), "tenantId": TENANT_ID,
                    "resource": f"Users/{account}/Events/{event['id']}",
                    "resourceData": {"@odata.type": "#Microsoft.Graph.Event",
                                     "@odata.id": f"Users/{account}/Events/{event['id']}",
                                     "@odata.etag": event.get("@odata.etag", ""), "id": event["id"]}}
            times = 2 if self.random.random() < self.duplicates else 1
            for _ in range(times):
                self._post_async(sub["notificationUrl"], {"value": [item]})

    def _post_async(self, url, payload):
        self.outbound.post_async(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def _validate(self, url):
        """The subscription handshake: the endpoint must echo the token as text/plain within 10 s."""
        token = "Validation: " + secrets.token_urlsafe(12)
        target = url + ("&" if "?" in url else "?") + urllib.parse.urlencode({"validationToken": token})
        request = urllib.request.Request(target, data=b"", method="POST",  # noqa: S310
                                         headers={"Content-Type": "text/plain"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                body = answer.read().decode()
                ok = answer.status == 200 and body == token and \
                    answer.headers.get("Content-Type", "").startswith("text/plain")
        except (urllib.error.URLError, OSError):
            ok = False
        if not ok:
            raise GraphError(400, "InvalidRequest", "Subscription validation request failed. Notification "
                             "endpoint must respond with 200 OK and the validation token as text/plain.")
