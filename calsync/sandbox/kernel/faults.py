"""The emulators' fault queue: what the next matching API requests should suffer.

Both emulators take faults the same way (in-process or through ``/_sandbox/inject_fault``):
a kind, how many requests it hits, which request paths it matches, and how many
matching requests to let through first (``after``), so a test can fail the second
batch of a push without racing the first.
"""

import threading


class FaultQueue:
    """A thread-safe list of pending faults, each matched against a request path."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def inject(self, kind, count=1, retry_after=None, delay=None, path_contains=None, after=0):
        with self._lock:
            for n in range(int(count)):  # ``after`` delays the first of them; the rest follow at once
                self._faults.append({"kind": kind, "retry_after": retry_after, "delay": delay,
                                     "path": path_contains, "after": int(after or 0) if n == 0 else 0})

    def take(self, path):
        """The fault this request suffers, or None; a fault still letting requests through counts one down."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault["path"] is not None and fault["path"] not in path:
                    continue
                if fault["after"] > 0:
                    fault["after"] -= 1
                    return None
                return self._faults.pop(i)
        return None

    def clear(self):
        with self._lock:
            self._faults.clear()

    def __len__(self):
        with self._lock:
            return len(self._faults)

    def __bool__(self):
        return len(self) > 0
