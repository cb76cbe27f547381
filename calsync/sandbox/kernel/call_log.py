"""The emulators' record of what they were asked, shared by both.

Each API call with the status it answered (so tests tell writes that took effect
from refused ones), what a create made (event id, our identity property), and
HTTP round trips by kind (a batch is one round trip however many calls it carries).
"""

import threading
import time
from collections import Counter, deque


class CallLog:
    def __init__(self, size=50000):
        self._lock = threading.Lock()
        self._calls = deque(maxlen=size)
        self.round_trips = Counter()

    def answer(self, method, path, query, handle):
        """Run ``handle()`` for one API call; log the call with its status, an error's included."""
        entry = {"method": method, "path": path, "query": dict(query), "time": time.time()}
        with self._lock:
            self._calls.append(entry)
        try:
            result = handle()
        except Exception as exc:
            entry["status"] = getattr(exc, "status", 500)
            raise
        entry["status"] = result[0]
        body = result[1] if len(result) > 1 else None
        if method == "POST" and 200 <= result[0] < 300 and isinstance(body, dict) and body.get("id"):
            # what a create made (or a retried Graph create found): lets a run tell a create sent twice
            # that landed once from one that made a second event
            entry["event_id"] = body["id"]
            entry["identity"] = body.get("transactionId") or \
                (body.get("extendedProperties") or {}).get("private", {}).get("fieldops_identity")
        return result

    def count_round_trip(self, kind):
        with self._lock:
            self.round_trips[kind] += 1

    def calls(self):
        with self._lock:
            return list(self._calls)

    def clear(self):
        with self._lock:
            self._calls.clear()
