"""ThrottleService: progressive throttling per session, fingerprint and IP.

``check()`` is on the request path: it reads the keys' levels (one round trip on Redis), refuses a
Blocked key outright, and otherwise counts the request against each key's level-adjusted limit,
refusing when any key is over. ``observe()`` runs off the request path (the pipeline's behavioural
scoring) and moves a key's level with the pure state machine.

Redis failures never raise out of ``check()``: by default the request is allowed with
``fail_open=True`` (configurable to refuse), counted in :attr:`ThrottleService.stats`, and logged
at most once per ``log_interval_seconds``; Redis is then skipped for ``retry_interval_seconds``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from limits.errors import StorageError
from limits.storage import RedisStorage

from systemprompt_analytics.detection.throttle import (
    Observation,
    ThrottleLevel,
    ThrottleState,
    ThrottleTransition,
    evaluate,
    state_ttl,
)
from systemprompt_analytics.throttle.decision import (
    ThrottleConfig,
    ThrottleDecision,
    ThrottleKeys,
    ThrottleStats,
    split_key,
)
from systemprompt_analytics.throttle.limiter import ThrottleLimiter
from systemprompt_analytics.throttle.storage import MemoryStateStore, RedisStateStore, StateStore

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)
Clock = Callable[[], float]


def _storage_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [StorageError, OSError]
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is an optional extra
        pass
    else:
        errors.append(redis.RedisError)
    return tuple(errors)


STORAGE_ERRORS = _storage_errors()


class ThrottleService:
    """Level-aware rate limiting with memory or Redis state; framework-free."""

    def __init__(
        self,
        config: ThrottleConfig | None = None,
        *,
        state_store: StateStore | None = None,
        limiter: ThrottleLimiter | None = None,
        clock: Clock = time.time,
        closer: Callable[[], None] | None = None,
    ) -> None:
        self.config = config or ThrottleConfig()
        self.state_store: StateStore = state_store or MemoryStateStore()
        self.limiter = limiter or ThrottleLimiter(
            base_rate=self.config.base_rate, rates=self.config.rates
        )
        self.stats = ThrottleStats()
        self._clock = clock
        self._closer = closer
        self._down_until = 0.0  # monotonic; Redis skipped until then after a failure
        self._last_log = -math.inf
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: ThrottleConfig) -> ThrottleService:
        """Memory storage, or Redis when ``config.redis_url`` is set."""
        if not config.redis_url:
            return cls(config)
        client, pool = _redis_client(config.redis_url, config.redis_timeout_seconds)
        storage = RedisStorage(
            config.redis_url,
            connection_pool=pool,
            key_prefix=f"{config.key_prefix}rl",
            wrap_exceptions=True,
        )
        limiter = ThrottleLimiter(storage, base_rate=config.base_rate, rates=config.rates)
        return cls(
            config,
            state_store=RedisStateStore(client, config.key_prefix),
            limiter=limiter,
            closer=pool.disconnect,
        )

    def close(self) -> None:
        """Release Redis connections (no-op for memory storage)."""
        if self._closer is not None:
            self._closer()

    # -- request path -------------------------------------------------------------------------

    def check(
        self,
        keys: ThrottleKeys,
        now: float | None = None,
        *,
        path: str | None = None,
        client_category: str | None = None,
        detailed: bool = True,
    ) -> ThrottleDecision:
        """Count one request and decide whether it may proceed.

        ``detailed=False`` (the middleware, which only sends rate-limit headers on a 429) skips
        reading the window's remaining count for allowed requests: one storage call less per
        request. Refusals are always detailed.
        """
        now = self._clock() if now is None else now
        if self.config.allow_list(path, client_category):
            self.stats.bump("checks", "allow_listed")
            return _pass(now, "allow_listed")
        pairs = keys.pairs()
        if not pairs:
            return self._count(_pass(now, "no_keys"))
        if time.monotonic() < self._down_until:
            return self._storage_failure(now, None)
        try:
            decision = self._decide(pairs, now, detailed)
        except STORAGE_ERRORS as exc:
            return self._storage_failure(now, exc)
        return self._count(decision)

    def refusal(
        self,
        keys: ThrottleKeys,
        *,
        path: str | None = None,
        client_category: str | None = None,
    ) -> ThrottleDecision | None:
        """The middlewares' question on every request: the refusal to answer with, or None
        when the request may go ahead (allowed, allow-listed, failed open, or shadow mode).

        Counts exactly as :meth:`check` does. The usual case on one process — in-memory
        storage, no key ever escalated, every key under its limit — builds no decision.
        """
        pairs = keys.pairs()
        if (
            pairs
            and self.limiter.is_local
            and self.state_store.is_known_empty()
            and not self.config.allow_list(path, client_category)
        ):
            hit = self.limiter.hit
            normal = ThrottleLevel.NORMAL
            for kind, ident in pairs:
                if not hit(kind, ident, normal):
                    refused = self._rate_limited(kind, ident, normal, normal)
                    decision = self._count(refused)
                    return None if decision.allowed else decision
            self.stats.count_allowed()
            return None
        decision = self.check(keys, path=path, client_category=client_category, detailed=False)
        return None if decision.allowed else decision

    def _rate_limited(
        self, kind: str, ident: str, level: ThrottleLevel, top: ThrottleLevel
    ) -> ThrottleDecision:
        """The refusal of a request whose ``kind`` key is over its limit at ``level``."""
        result = self.limiter.stats(kind, ident, level, allowed=False)
        wait = max(1, math.ceil(result.reset_at - self._clock()))
        return ThrottleDecision(
            False, top, result.limit, 0, result.reset_at, wait, "rate_limited",
            would_allow=False, key=f"{kind}:{ident}",
        )  # fmt: skip

    def _decide(
        self, pairs: list[tuple[str, str]], now: float, detailed: bool = True
    ) -> ThrottleDecision:
        names = [f"{kind}:{ident}" for kind, ident in pairs]  # throttle_key(), inlined
        states = self.state_store.get_many(names)
        if states:
            fresh = ThrottleState()
            levels = [states.get(name, fresh).effective_level(now) for name in names]
            top = max(levels)
            blocked = [states[n] for n in names if n in states and states[n].is_blocked(now)]
            if blocked:
                until = max(s.blocked_until or now for s in blocked)
                name = next(n for n in names if n in states and states[n].blocked_until == until)
                wait = max(1, math.ceil(until - now))
                return ThrottleDecision(
                    False, ThrottleLevel.BLOCKED, 0, 0, until, wait, "blocked",
                    would_allow=False, key=name,
                )  # fmt: skip
        else:  # the common case: no key was ever escalated
            top = ThrottleLevel.NORMAL
            levels = None
        hit = self.limiter.hit
        for index, (kind, ident) in enumerate(pairs):
            level = top if levels is None else levels[index]
            if not hit(kind, ident, level):
                return self._rate_limited(kind, ident, level, top)
        # Report the most throttled key (the session when all are equal).
        index = 0 if levels is None else levels.index(top)
        kind, ident = pairs[index]
        if not detailed:
            limit = self.limiter.item(kind, top).amount
            return ThrottleDecision(True, top, limit, None, now, 0, "ok", key=names[index])
        result = self.limiter.stats(kind, ident, top, allowed=True)
        return ThrottleDecision(
            True, top, result.limit, result.remaining, result.reset_at, 0, "ok", key=names[index]
        )

    def _count(self, decision: ThrottleDecision, *also: str) -> ThrottleDecision:
        """Count the check, its outcome and the ``also`` counters; apply shadow mode."""
        if decision.allowed:
            if also:
                self.stats.bump("checks", "allowed", *also)
            else:
                self.stats.count_allowed()
            return replace(decision, shadow=True) if self.config.shadow else decision
        if self.config.shadow:
            self.stats.bump("checks", "shadow_denied", *also)
            return replace(decision, allowed=True, shadow=True, retry_after=0)
        self.stats.bump("checks", "denied", *also)
        return decision

    def _storage_failure(self, now: float, exc: BaseException | None) -> ThrottleDecision:
        if exc is not None:
            self._record_error("check", exc)
        if self.config.fail_open:
            self.stats.bump("checks", "fail_open")
            return replace(_pass(now, "storage_unavailable"), fail_open=True)
        wait = max(1, math.ceil(self.config.retry_interval_seconds))
        decision = ThrottleDecision(
            False, ThrottleLevel.NORMAL, 0, 0, now + wait, wait, "storage_unavailable",
            would_allow=False,
        )  # fmt: skip
        return self._count(decision, "fail_closed")

    def _record_error(self, operation: str, exc: BaseException) -> None:
        self.stats.bump("storage_errors")
        message = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self.stats.last_storage_error = message
            self.stats.last_storage_error_at = self._clock()
            self._down_until = time.monotonic() + self.config.retry_interval_seconds
            due = time.monotonic() - self._last_log >= self.config.log_interval_seconds
            if due:
                self._last_log = time.monotonic()
        if due:
            policy = "allowing" if self.config.fail_open else "refusing"
            log.warning(
                "throttle storage unreachable during %s (%s); %s requests, retrying in %.1fs",
                operation, message, policy, self.config.retry_interval_seconds,
            )  # fmt: skip

    # -- off the request path -----------------------------------------------------------------

    def observe(
        self, key: str, observation: Observation, now: float | None = None
    ) -> ThrottleTransition | None:
        """Feed one observation of ``key`` (``kind:identifier``) to the state machine.

        Returns what happened, or None when the state store was unreachable (counted, logged).
        """
        split_key(key)
        now = self._clock() if now is None else now
        try:
            state = self.state_store.get_many([key]).get(key, ThrottleState())
            new_state, transition = evaluate(state, observation, self.config.policy, now)
            if new_state != state:
                ttl = state_ttl(new_state, self.config.policy, now)
                self.state_store.put(key, new_state, ttl)
        except STORAGE_ERRORS as exc:
            self._record_error("observe", exc)
            return None
        if transition.action == "escalated":
            self.stats.bump("escalations")
        elif transition.action in {"de-escalated", "unblocked"}:
            self.stats.bump("de_escalations")
        return transition

    def tracked(self, limit: int = 100) -> dict[str, ThrottleState]:
        """Every key with a stored state (escalated, blocked or remembering offences)."""
        names = self.state_store.keys(limit)
        return self.state_store.get_many(names)

    def status(self, key: str) -> ThrottleState:
        """The stored state of ``key`` (a fresh Normal state when none is kept)."""
        split_key(key)
        return self.state_store.get_many([key]).get(key, ThrottleState())

    def reset(self, key: str) -> None:
        """Forget ``key``'s level and its request counter."""
        kind, ident = split_key(key)
        self.state_store.delete(key)
        self.limiter.clear(kind, ident)


def _pass(now: float, reason: str) -> ThrottleDecision:
    return ThrottleDecision(True, ThrottleLevel.NORMAL, 0, 0, now, 0, reason)


def _redis_client(url: str, timeout: float) -> tuple[redis.Redis, redis.ConnectionPool]:
    """A client with short timeouts and no retries: an outage must cost milliseconds."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    pool = redis.ConnectionPool.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )
    return redis.Redis(connection_pool=pool), pool
