"""The emulators' record of what they were asked, shared by both.

Each API call with the status it answered (so tests tell writes that took effect
from refused ones), and HTTP round trips by kind (a batch is one round trip
however many calls it carries).
"""

import threading
import time
from collections import Counter, deque


class CallLog:
    def __init__(self, size=5000):
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
