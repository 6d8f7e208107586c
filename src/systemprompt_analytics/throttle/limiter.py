"""Rate-limit enforcement with the ``limits`` package (sliding-window counter).

Each key kind (session, fingerprint, ip) has a base rate such as ``120/minute``; a key at
throttle level L is checked against :func:`adjusted_limit` (base, L). The limit items of all
levels share *one counter per key* (their storage key leaves the amount out), so a level change
applies at once to what the key has already used: a session that made 70 requests this minute
and is escalated to Warning (60/minute) is refused from its next request.

Storage is :class:`SlidingWindowMemoryStorage` (one process; ``limits``' own ``MemoryStorage``
restarts a timer thread every 10 ms under load) or ``limits``' ``RedisStorage`` (shared by
every instance; each hit is one atomic Lua script, so concurrent processes never over-admit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import SlidingWindowCounterRateLimiter

from systemprompt_analytics.detection.throttle import ThrottleLevel, adjusted_limit
from systemprompt_analytics.throttle.memory_storage import SlidingWindowMemoryStorage

DEFAULT_RATE = "120/minute"
KEY_KINDS = ("session", "fingerprint", "ip")


class LevelLimit(RateLimitItem):
    """A limit item whose counter key is independent of its amount.

    ``limits`` puts the amount into the storage key; here every level of one key kind must hit the
    same counter, so the key is ``<namespace>/<identifiers>/<window>s`` and the window length is
    kept on the instance rather than in a granularity class.
    """

    __slots__ = ["key_suffix", "window"]

    def __init__(self, amount: int, window: int, namespace: str) -> None:
        super().__init__(amount, 1, namespace)
        self.window = window
        self.key_suffix = f"/{window}s"

    def get_expiry(self) -> int:
        return self.window

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        if len(identifiers) == 1 and type(identifiers[0]) is str:  # every check: one string
            return f"{self.namespace}/{identifiers[0]}{self.key_suffix}"
        parts = [k.decode() if isinstance(k, bytes) else str(k) for k in identifiers]
        return "/".join([self.namespace, *parts, f"{self.window}s"])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LevelLimit):
            return (self.amount, self.window, self.namespace) == (
                other.amount,
                other.window,
                other.namespace,
            )
        return False

    def __hash__(self) -> int:
        return hash((self.namespace, self.amount, self.window))

    def __lt__(self, other: RateLimitItem) -> bool:
        return self.window < other.get_expiry()

    def __repr__(self) -> str:
        return f"{self.amount} per {self.window} seconds"


@dataclass(frozen=True, slots=True)
class LimitResult:
    """One key's standing against its limit."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    """Epoch seconds when at least one more request will be admitted."""


def parse_rate(rate: str) -> tuple[int, int]:
    """``"120/minute"`` → (120, 60): the amount and the window in seconds."""
    try:
        item = parse(rate)
    except ValueError as exc:
        raise ValueError(f"not a rate limit like '120/minute': {rate!r}") from exc
    if item.amount < 1:
        raise ValueError(f"a rate limit must admit at least one request: {rate!r}")
    return item.amount, item.get_expiry()


class ThrottleLimiter:
    """Level-adjusted sliding-window limits per key kind over one ``limits`` storage."""

    def __init__(
        self,
        storage: Storage | None = None,
        base_rate: str = DEFAULT_RATE,
        rates: Mapping[str, str] | None = None,
        namespace: str = "sp-throttle",
    ) -> None:
        self.storage: Storage = storage if storage is not None else SlidingWindowMemoryStorage()
        self._strategy = SlidingWindowCounterRateLimiter(self.storage)
        self._memory: SlidingWindowMemoryStorage | None = (
            self.storage if isinstance(self.storage, SlidingWindowMemoryStorage) else None
        )
        overrides = dict(rates or {})
        unknown = set(overrides) - set(KEY_KINDS)
        if unknown:
            raise ValueError(f"unknown key kind(s) {sorted(unknown)}; known: {KEY_KINDS}")
        # kind → its items indexed by level value: hashing a ThrottleLevel (an Enum) runs
        # Enum.__hash__ in Python, indexing a list by it does not.
        self._items: dict[str, list[LevelLimit]] = {}
        for kind in KEY_KINDS:
            amount, window = parse_rate(overrides.get(kind, base_rate))
            self._items[kind] = [
                LevelLimit(adjusted_limit(amount, level), window, f"{namespace}/{kind}")
                for level in ThrottleLevel
                if level is not ThrottleLevel.BLOCKED
            ]

    @property
    def is_local(self) -> bool:
        """Whether the counters live in this process (memory storage: no storage errors)."""
        return self._memory is not None

    def item(self, kind: str, level: ThrottleLevel) -> LevelLimit:
        """The limit item for a key kind at a level below Blocked."""
        if level is ThrottleLevel.BLOCKED:
            raise KeyError(level)
        return self._items[kind][level]

    def hit(self, kind: str, identifier: str, level: ThrottleLevel) -> bool:
        """Count one request against the key; False (and nothing counted) when over the limit."""
        item = self.item(kind, level)
        if self._memory is not None:  # the strategy's hit() minus its call layers (per request)
            key = f"{item.namespace}/{identifier}{item.key_suffix}"  # item.key_for(identifier)
            return self._memory.acquire(key, item.amount, item.window)
        return self._strategy.hit(item, identifier)

    def stats(self, kind: str, identifier: str, level: ThrottleLevel, allowed: bool) -> LimitResult:
        """Remaining requests and reset time of the key, after a hit that was ``allowed``."""
        item = self.item(kind, level)
        window = self._strategy.get_window_stats(item, identifier)
        return LimitResult(allowed, item.amount, int(window.remaining), float(window.reset_time))

    def clear(self, kind: str, identifier: str) -> None:
        """Forget the key's counter (shared by all its levels)."""
        self._strategy.clear(self.item(kind, ThrottleLevel.NORMAL), identifier)
