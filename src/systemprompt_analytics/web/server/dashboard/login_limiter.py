"""Failed logins per client IP, with the ``limits`` package (moving window, in memory): after
:data:`FAILURES_ALLOWED` failures within a minute the login answers 429 until the oldest
failure leaves the window. Per process, like the logged-out list (docs/dashboard.md)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

FAILURES_ALLOWED = 5
NAMESPACE = "dashboard-login"
UNKNOWN_CLIENT = "unknown"


class LoginLimiter:
    def __init__(
        self, failures: int = FAILURES_ALLOWED, clock: Callable[[], float] = time.time
    ) -> None:
        self._item = RateLimitItemPerMinute(failures)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._clock = clock

    def retry_after(self, client: str | None) -> int | None:
        """Seconds until ``client`` may try again, or None when it may try now."""
        key = client or UNKNOWN_CLIENT
        if self._limiter.test(self._item, NAMESPACE, key):
            return None
        reset_at = self._limiter.get_window_stats(self._item, NAMESPACE, key).reset_time
        return max(1, math.ceil(reset_at - self._clock()))

    def failed(self, client: str | None) -> None:
        self._limiter.hit(self._item, NAMESPACE, client or UNKNOWN_CLIENT)
