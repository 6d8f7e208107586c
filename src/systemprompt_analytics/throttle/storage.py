"""Where each key's throttle level lives: in process memory, or in Redis for several instances.

Redis keeps one small hash per key (``<prefix>state:<kind>:<id>``) with a TTL from
:func:`~systemprompt_analytics.detection.throttle.state_ttl`, so idle keys vanish on their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from systemprompt_analytics.detection.throttle import ThrottleLevel, ThrottleState

if TYPE_CHECKING:
    import redis

DEFAULT_KEY_PREFIX = "sp:throttle:"
log = logging.getLogger(__name__)

_FLOAT_FIELDS = ("since", "last_trigger_at", "blocked_until", "last_offence_at")


class StateStore(Protocol):
    """Keeps :class:`ThrottleState` per key; a missing key is a fresh (Normal) state."""

    def get_many(self, keys: Sequence[str]) -> dict[str, ThrottleState]:
        """The stored states of ``keys``; keys without a state are left out."""
        ...

    def put(self, key: str, state: ThrottleState, ttl: float) -> None:
        """Store ``state`` for ``ttl`` seconds (``ttl <= 0`` deletes it)."""
        ...

    def is_known_empty(self) -> bool:
        """True only when no key holds a state, known without a round trip (memory)."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        ...

    def keys(self, limit: int) -> list[str]:
        """Keys that currently hold a state, sorted, at most ``limit``."""
        ...


def encode_state(state: ThrottleState) -> dict[str, str]:
    """The hash fields of a state; unset times are left out."""
    fields = {"level": str(int(state.level)), "offences": str(state.offences)}
    for name in _FLOAT_FIELDS:
        value = getattr(state, name)
        if value is not None:
            fields[name] = repr(float(value))
    return fields


def decode_state(fields: Mapping[str, str] | Mapping[bytes, bytes]) -> ThrottleState | None:
    """A state from its hash fields; None for an empty or unreadable hash."""
    if not fields:
        return None
    text = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in fields.items()
    }
    try:
        times = {name: float(text[name]) if name in text else None for name in _FLOAT_FIELDS}
        return ThrottleState(
            level=ThrottleLevel(int(text["level"])),
            offences=int(text.get("offences", "0")),
            **times,
        )
    except (KeyError, ValueError):
        log.warning("ignoring an unreadable throttle state: %r", text)
        return None


class MemoryStateStore:
    """A thread-safe in-process store with expiry; the default for one instance."""

    def __init__(self, sweep_every: int = 1024) -> None:
        self._states: dict[str, tuple[ThrottleState, float]] = {}
        self._lock = threading.Lock()
        self._sweep_every = sweep_every
        self._puts = 0

    def is_known_empty(self) -> bool:
        return not self._states  # nothing escalated: the common case on the request path

    def get_many(self, keys: Sequence[str]) -> dict[str, ThrottleState]:
        if not self._states:
            return {}
        now = time.monotonic()
        found: dict[str, ThrottleState] = {}
        with self._lock:
            for key in keys:
                entry = self._states.get(key)
                if entry is None:
                    continue
                if entry[1] <= now:
                    del self._states[key]
                    continue
                found[key] = entry[0]
        return found

    def put(self, key: str, state: ThrottleState, ttl: float) -> None:
        now = time.monotonic()
        with self._lock:
            if ttl <= 0:
                self._states.pop(key, None)
                return
            self._states[key] = (state, now + ttl)
            self._puts += 1
            if self._puts % self._sweep_every == 0:
                expired = [k for k, (_, until) in self._states.items() if until <= now]
                for k in expired:
                    del self._states[k]

    def delete(self, key: str) -> None:
        with self._lock:
            self._states.pop(key, None)

    def keys(self, limit: int) -> list[str]:
        now = time.monotonic()
        with self._lock:
            live = [key for key, (_, until) in self._states.items() if until > now]
        return sorted(live)[:limit]

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)


class RedisStateStore:
    """States as Redis hashes under ``<prefix>state:``; one round trip per call."""

    def __init__(self, client: redis.Redis, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        self._client = client
        self._prefix = f"{key_prefix}state:"

    def redis_key(self, key: str) -> str:
        return f"{self._prefix}{key}"

    def is_known_empty(self) -> bool:
        return False  # only a round trip would tell

    def get_many(self, keys: Sequence[str]) -> dict[str, ThrottleState]:
        if not keys:
            return {}
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(self.redis_key(key))
        found: dict[str, ThrottleState] = {}
        for key, fields in zip(keys, pipe.execute(), strict=True):
            state = decode_state(fields)
            if state is not None:
                found[key] = state
        return found

    def put(self, key: str, state: ThrottleState, ttl: float) -> None:
        name = self.redis_key(key)
        pipe = self._client.pipeline(transaction=True)
        pipe.delete(name)
        if ttl > 0:
            pipe.hset(name, mapping=encode_state(state))
            pipe.pexpire(name, max(1, round(ttl * 1000)))
        pipe.execute()

    def delete(self, key: str) -> None:
        self._client.delete(self.redis_key(key))

    def keys(self, limit: int) -> list[str]:
        found: list[str] = []
        for name in self._client.scan_iter(match=f"{self._prefix}*", count=500):
            text = name.decode() if isinstance(name, bytes) else str(name)
            found.append(text[len(self._prefix) :])
            if len(found) >= limit:
                break
        return sorted(found)
