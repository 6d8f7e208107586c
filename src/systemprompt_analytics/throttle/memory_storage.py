"""In-process storage for ``limits``' sliding-window counter, without timer threads.

``limits.storage.MemoryStorage`` expires its keys from a ``threading.Timer`` that it starts
again every 10 ms while hits arrive, and every run walks all keys: under load that is about a
hundred thread starts a second plus a sweep that grows with the number of clients, all taking
the GIL from the requests it is meant to protect (it cost more than the rest of the middleware
together). Here each key keeps its current and previous window counts in one record; a hit rolls
the windows forward itself, and records idle for two windows are swept at most once per
``sweep_interval`` seconds.

The weighting is ``limits``' own (``previous × its remaining share of the window + current``),
so a key is admitted exactly when ``MemoryStorage`` would admit it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from math import floor

from limits.storage import Storage
from limits.storage.base import SlidingWindowCounterSupport

Clock = Callable[[], float]


class _Window:
    __slots__ = ("current", "expiry", "index", "previous")

    def __init__(self, expiry: int, index: int) -> None:
        self.expiry = expiry
        self.index = index  # which window ``current`` counts: int(now / expiry)
        self.current = 0
        self.previous = 0

    def roll(self, index: int) -> None:
        if index != self.index:
            self.previous = self.current if index == self.index + 1 else 0
            self.current = 0
            self.index = index


class SlidingWindowMemoryStorage(Storage, SlidingWindowCounterSupport):
    """A ``limits`` storage for :class:`~limits.strategies.SlidingWindowCounterRateLimiter`
    (the plain counter methods are there for the interface; this module uses the window ones)."""

    STORAGE_SCHEME = None  # not registered under a URI scheme: built directly

    def __init__(self, sweep_interval: float = 30.0, clock: Clock = time.time) -> None:
        super().__init__()
        self._windows: dict[str, _Window] = {}
        self._counters: dict[str, tuple[int, float]] = {}  # key → (count, expires at)
        self._lock = threading.Lock()
        self._clock = clock
        self._sweep_interval = sweep_interval
        self._next_sweep = clock() + sweep_interval

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    # -- sliding window counter ---------------------------------------------------------------

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        return self.acquire(key, limit, expiry, amount)

    def acquire(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """:meth:`acquire_sliding_window_entry` without ``limits``' exception-wrapping layer
        (memory has no storage errors to wrap); what the throttle limiter calls per request."""
        if amount > limit:
            return False
        now = self._clock()
        index = int(now / expiry)
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(expiry, index)
            elif window.index != index:
                window.roll(index)
            weighted: float = window.current
            if window.previous:
                weighted += window.previous * _previous_ttl(now, expiry) / expiry
            if floor(weighted) + amount > limit:
                return False
            window.current += amount
            if now >= self._next_sweep:
                self._sweep(now)
        return True

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = self._clock()
        previous = current = 0
        with self._lock:
            window = self._windows.get(key)
            if window is not None:
                window.roll(int(now / expiry))
                previous, current = window.previous, window.current
        previous_ttl = _previous_ttl(now, expiry) if previous else 0.0
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Forget windows with nothing left to count (called with the lock held)."""
        idle = [
            key
            for key, window in self._windows.items()
            if window.index < int(now / window.expiry) - 1
        ]
        for key in idle:
            del self._windows[key]
        for key in [key for key, (_, until) in self._counters.items() if until <= now]:
            del self._counters[key]
        self._next_sweep = now + self._sweep_interval

    # -- plain counters (the Storage interface) -----------------------------------------------

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = self._clock()
        with self._lock:
            count, until = self._counters.get(key, (0, 0.0))
            if until <= now:
                count, until = 0, now + expiry
            self._counters[key] = (count + amount, until)
            return count + amount

    def get(self, key: str) -> int:
        count, until = self._counters.get(key, (0, 0.0))
        return count if until > self._clock() else 0

    def get_expiry(self, key: str) -> float:
        return self._counters.get(key, (0, self._clock()))[1]

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self._lock:
            count = len(self._windows) + len(self._counters)
            self._windows.clear()
            self._counters.clear()
        return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)
            self._counters.pop(key, None)

    def __len__(self) -> int:
        """Keys currently held (for tests and metrics)."""
        with self._lock:
            return len(self._windows) + len(self._counters)


def _previous_ttl(now: float, expiry: int) -> float:
    """How much of the previous window still weighs, in seconds (``limits``' formula)."""
    return (1 - (((now - expiry) / expiry) % 1)) * expiry
