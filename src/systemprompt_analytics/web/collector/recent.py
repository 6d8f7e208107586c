"""Client event ids this process stored lately, so a retried beacon is not counted twice.

The ``client_event_id`` unique constraint keeps a retry from storing a second row wherever it
lands; this bounded memory also keeps the retry out of its session's ``event_count`` when it
reaches the same process (the common case: tracker retries follow within seconds).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

DEFAULT_CAPACITY = 50_000


class RecentIds:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, event_id: str) -> bool:
        with self._lock:
            return event_id in self._ids

    def add(self, event_id: str) -> None:
        """Remember ``event_id`` (as stored), forgetting the oldest beyond capacity."""
        with self._lock:
            self._ids[event_id] = None
            self._ids.move_to_end(event_id)
            if len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
