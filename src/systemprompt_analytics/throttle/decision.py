"""The value types of the throttle service: keys, configuration, allow-list, decisions, stats."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from systemprompt_analytics.detection.throttle import ThrottleLevel, ThrottlePolicy
from systemprompt_analytics.throttle.limiter import DEFAULT_RATE, KEY_KINDS
from systemprompt_analytics.throttle.storage import DEFAULT_KEY_PREFIX


def throttle_key(kind: str, identifier: str) -> str:
    """The state key of one identity, e.g. ``session:sess_…``, ``ip:203.0.113.7``."""
    return f"{kind}:{identifier}"


def split_key(key: str) -> tuple[str, str]:
    """``"ip:::1"`` → ("ip", "::1"): the kind is everything before the first colon."""
    kind, sep, identifier = key.partition(":")
    if not sep or not identifier or kind not in KEY_KINDS:
        raise ValueError(f"a throttle key looks like 'session|fingerprint|ip:<id>', got {key!r}")
    return kind, identifier


# Not frozen, for speed: one per request (see ThrottleDecision). Treat it as immutable.
@dataclass(slots=True)
class ThrottleKeys:
    """The identities one request is counted against; any may be missing."""

    session_id: str | None = None
    fingerprint_hash: str | None = None
    ip: str | None = None

    def pairs(self) -> list[tuple[str, str]]:
        """(kind, identifier) for each identity present, session first."""
        pairs = []
        if self.session_id:
            pairs.append(("session", self.session_id))
        if self.fingerprint_hash:
            pairs.append(("fingerprint", self.fingerprint_hash))
        if self.ip:
            pairs.append(("ip", self.ip))
        return pairs


@dataclass(frozen=True, slots=True)
class AllowList:
    """Requests never throttled: exact paths, path prefixes and chosen client categories."""

    paths: frozenset[str] = frozenset({"/healthz"})
    path_prefixes: tuple[str, ...] = ()
    client_categories: frozenset[str] = frozenset()
    """E.g. ``{"search_engine"}`` for good bots, as classified by the user-agent detector."""

    def __call__(self, path: str | None, client_category: str | None) -> bool:
        if path is not None and (
            path in self.paths or (self.path_prefixes and path.startswith(self.path_prefixes))
        ):
            return True
        return client_category is not None and client_category in self.client_categories


@dataclass(frozen=True)
class ThrottleConfig:
    """Everything the throttle service needs; built by the host from Settings."""

    base_rate: str = DEFAULT_RATE
    """Requests per window at Normal, e.g. ``120/minute``; applies to every key kind ..."""
    rates: Mapping[str, str] = field(default_factory=dict)
    """... unless overridden per kind here, e.g. ``{"ip": "600/minute"}`` for shared NATs."""
    policy: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    shadow: bool = False
    """Decide and record, but always allow."""
    fail_open: bool = True
    """When Redis is unreachable: allow (True) or refuse (False)."""
    redis_url: str | None = None
    """None: memory storage (one process); else shared state in Redis."""
    key_prefix: str = DEFAULT_KEY_PREFIX
    redis_timeout_seconds: float = 0.1
    """Connect and socket timeout of Redis calls, so an outage costs milliseconds."""
    retry_interval_seconds: float = 2.0
    """After a Redis failure, skip Redis (apply the fail policy) for this long."""
    log_interval_seconds: float = 60.0
    """Log a storage failure at most once per this many seconds."""
    allow_list: AllowList = field(default_factory=AllowList)


# Not frozen: one is made per request and a frozen dataclass's __init__ costs several times
# more (see identity.Resolution). Treat it as immutable; derive variants with replace().
@dataclass(slots=True)
class ThrottleDecision:
    """The answer for one request, with what the middleware needs for its response."""

    allowed: bool
    level: ThrottleLevel
    limit: int
    remaining: int | None
    """Requests left in the window; None when not computed (``check(..., detailed=False)``)."""
    reset_at: float
    """Epoch seconds when the deciding key will admit a request again."""
    retry_after: int
    """Seconds to wait (0 when allowed)."""
    reason: str
    """``ok``, ``allow_listed``, ``no_keys``, ``rate_limited``, ``blocked``,
    ``storage_unavailable``."""
    shadow: bool = False
    fail_open: bool = False
    would_allow: bool = True
    """What enforcement would have done (differs from ``allowed`` only in shadow mode)."""
    key: str | None = None
    """The key that decided (the refusing one, else the most throttled)."""

    @property
    def enforced(self) -> bool:
        """Whether the decision carries rate-limit information worth sending as headers."""
        return self.reason not in {"allow_listed", "no_keys", "storage_unavailable"}

    def headers(self) -> dict[str, str]:
        """Response headers: X-RateLimit-*, X-Throttle-Level, and Retry-After when refused.

        ``X-RateLimit-Reset`` is epoch seconds (as GitHub sends it); ``Retry-After`` is seconds.
        """
        out: dict[str, str] = {}
        if self.enforced:
            out["X-RateLimit-Limit"] = str(self.limit)
            if self.remaining is not None:
                out["X-RateLimit-Remaining"] = str(self.remaining)
            out["X-RateLimit-Reset"] = str(math.ceil(self.reset_at))
            out["X-Throttle-Level"] = self.level.label
        if not self.allowed:
            out["Retry-After"] = str(max(1, self.retry_after))
        return out


@dataclass
class ThrottleStats:
    """Counters since start (per process); ``snapshot()`` for /metrics."""

    checks: int = 0
    allowed: int = 0
    denied: int = 0
    shadow_denied: int = 0
    allow_listed: int = 0
    fail_open: int = 0
    fail_closed: int = 0
    storage_errors: int = 0
    escalations: int = 0
    de_escalations: int = 0
    last_storage_error: str | None = None
    last_storage_error_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_allowed(self) -> None:
        """``checks`` and ``allowed`` plus one: the outcome of nearly every check."""
        with self._lock:
            self.checks += 1
            self.allowed += 1

    def bump(self, *names: str, by: int = 1) -> None:
        """Add ``by`` to each named counter, under one lock acquisition."""
        with self._lock:
            for name in names:
                setattr(self, name, getattr(self, name) + by)

    def snapshot(self) -> dict[str, int | float | str | None]:
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}
