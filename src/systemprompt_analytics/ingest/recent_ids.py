"""Ids this process queued lately: tracker events, AI requests, tool executions.

The writer stores a retried id once wherever the retry lands (see ``storage/bulk.py``), but
it cannot tell which session counters a skipped row had added; this bounded memory keeps a
retry that reaches the same process (the common case: clients retry within seconds) from
counting twice. A retry that reaches another process is stored once and counted twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

DEFAULT_CAPACITY = 100_000


class RecentIds:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """True (and remembered) when ``key`` was not seen lately; False for a repeat."""
        with self._lock:
            if key in self._ids:
                self._ids.move_to_end(key)
                return False
            self._ids[key] = None
            if len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
            return True

    def release(self, key: str) -> None:
        """Forget ``key`` (it was not stored after all, so sending it again must count)."""
        with self._lock:
            self._ids.pop(key, None)
