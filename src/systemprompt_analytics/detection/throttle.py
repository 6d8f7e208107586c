"""Progressive throttling: the pure state machine (DESIGN.md section 7).

Levels Normal → Warning → Severe → Blocked scale a base rate limit by 1.0 / 0.5 / 0.25 / 0.
:func:`evaluate` moves a key's :class:`ThrottleState` one step given an :class:`Observation`:

* **escalate** one level when any trigger fires (behavioural score ≥ 50, more than 30 requests in
  the last minute, error rate above 0.5 over more than 20 requests) — at most once per
  ``min_dwell_seconds``, so one burst seen by several observations escalates once;
* **de-escalate** one level after ``cooldown_seconds`` without a trigger *and* without a level
  change, so a noisy signal that keeps re-firing inside the cooldown never lets the level drop and
  rise again (no flapping);
* **Blocked** lasts ``block_base_seconds × 2^(offences-1)``, capped at ``block_max_seconds``; an
  offence is remembered for ``offence_memory_seconds`` after the last block. When the block
  expires the key drops to Severe.

Everything here is pure: time is the explicit ``now`` (epoch seconds), nothing reads a clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import IntEnum


class ThrottleLevel(IntEnum):
    """How hard a key is throttled; the value orders the levels."""

    NORMAL = 0
    WARNING = 1
    SEVERE = 2
    BLOCKED = 3

    @property
    def multiplier(self) -> float:
        """The factor applied to the base rate limit at this level."""
        return _MULTIPLIERS[self]

    @property
    def label(self) -> str:
        """Lower-case name, as sent in the ``X-Throttle-Level`` header."""
        return self.name.lower()


_MULTIPLIERS = {
    ThrottleLevel.NORMAL: 1.0,
    ThrottleLevel.WARNING: 0.5,
    ThrottleLevel.SEVERE: 0.25,
    ThrottleLevel.BLOCKED: 0.0,
}


def adjusted_limit(base: int, level: ThrottleLevel) -> int:
    """The rate limit at ``level``: ``max(1, floor(base × multiplier))``, 0 when Blocked."""
    if base < 1:
        raise ValueError(f"base limit must be at least 1, got {base}")
    if level is ThrottleLevel.BLOCKED:
        return 0
    return max(1, math.floor(base * level.multiplier))


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Escalation triggers, cooldown, dwell and block timeouts. Every number configurable."""

    behavioural_score_threshold: float = 50.0
    """Escalate when the behavioural bot score is at least this."""
    requests_per_minute_threshold: int = 30
    """Escalate when more than this many requests arrived in the last minute."""
    error_rate_threshold: float = 0.5
    """Escalate when errors / requests is above this ..."""
    error_rate_min_requests: int = 20
    """... and more than this many requests were seen."""
    cooldown_seconds: float = 600.0
    """Quiet time (no trigger, no level change) before dropping one level."""
    min_dwell_seconds: float = 60.0
    """Minimum time at a level before the next escalation."""
    block_base_seconds: float = 300.0
    """Length of the first block; doubles with each repeat offence."""
    block_max_seconds: float = 86_400.0
    """Cap on one block's length."""
    offence_memory_seconds: float = 86_400.0
    """How long after the end of the last block a new block counts as a repeat offence."""

    def __post_init__(self) -> None:
        for name in (
            "cooldown_seconds",
            "min_dwell_seconds",
            "block_base_seconds",
            "offence_memory_seconds",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.block_base_seconds <= 0:
            raise ValueError("block_base_seconds must be positive")
        if self.block_max_seconds < self.block_base_seconds:
            raise ValueError("block_max_seconds must be at least block_base_seconds")
        if self.requests_per_minute_threshold < 0 or self.error_rate_min_requests < 0:
            raise ValueError("request thresholds must not be negative")


@dataclass(frozen=True, slots=True)
class Observation:
    """What is known about a key's recent behaviour; every field optional."""

    behavioural_score: float | None = None
    requests_last_minute: int = 0
    requests: int = 0
    errors: int = 0


@dataclass(frozen=True, slots=True)
class ThrottleState:
    """One key's throttle state. ``since`` is when the level was entered (None: never changed)."""

    level: ThrottleLevel = ThrottleLevel.NORMAL
    since: float | None = None
    last_trigger_at: float | None = None
    blocked_until: float | None = None
    offences: int = 0
    last_offence_at: float | None = None

    def is_blocked(self, now: float) -> bool:
        """Blocked and the block has not run out at ``now``."""
        return (
            self.level is ThrottleLevel.BLOCKED
            and self.blocked_until is not None
            and now < self.blocked_until
        )

    def effective_level(self, now: float) -> ThrottleLevel:
        """The level to enforce at ``now``: an expired block already counts as Severe."""
        if self.level is ThrottleLevel.BLOCKED and not self.is_blocked(now):
            return ThrottleLevel.SEVERE
        return self.level


@dataclass(frozen=True, slots=True)
class ThrottleTransition:
    """What :func:`evaluate` did, and why."""

    previous: ThrottleLevel
    level: ThrottleLevel
    action: str
    """``escalated``, ``de-escalated``, ``unblocked`` or ``unchanged``."""
    reasons: tuple[str, ...] = ()
    """The triggers that fired in this observation (even if the dwell held the level)."""
    blocked_until: float | None = None

    @property
    def changed(self) -> bool:
        return self.level != self.previous


def triggers(observation: Observation, policy: ThrottlePolicy) -> tuple[str, ...]:
    """The escalation criteria the observation meets, by name."""
    fired: list[str] = []
    score = observation.behavioural_score
    if score is not None and score >= policy.behavioural_score_threshold:
        fired.append("behavioural_score")
    if observation.requests_last_minute > policy.requests_per_minute_threshold:
        fired.append("requests_per_minute")
    if (
        observation.requests > policy.error_rate_min_requests
        and observation.errors / observation.requests > policy.error_rate_threshold
    ):
        fired.append("error_rate")
    return tuple(fired)


def block_timeout(offences: int, policy: ThrottlePolicy) -> float:
    """Length of the block for the ``offences``-th offence (1-based): base × 2^(n-1), capped."""
    if offences < 1:
        raise ValueError("offences counts from 1")
    # Cap the exponent first so huge offence counts never overflow a float.
    doublings = min(offences - 1, 64)
    return min(policy.block_max_seconds, policy.block_base_seconds * 2.0**doublings)


def evaluate(
    state: ThrottleState, observation: Observation, policy: ThrottlePolicy, now: float
) -> tuple[ThrottleState, ThrottleTransition]:
    """Apply one observation at ``now``; return the new state and what happened."""
    previous = state.level
    fired = triggers(observation, policy)
    action = "unchanged"

    if state.level is ThrottleLevel.BLOCKED:
        if state.is_blocked(now):
            if fired:
                state = replace(state, last_trigger_at=now)
            return state, ThrottleTransition(
                previous, state.level, action, fired, state.blocked_until
            )
        # The block ran out: drop to Severe; a trigger now waits for the dwell like any other.
        state = replace(state, level=ThrottleLevel.SEVERE, since=now, blocked_until=None)
        action = "unblocked"

    if fired:
        state = replace(state, last_trigger_at=now)
        if action == "unchanged" and _dwelt(state, policy, now):
            state = _escalate(state, policy, now)
            action = "escalated"
    elif action == "unchanged" and _cooled_down(state, policy, now):
        state = replace(state, level=ThrottleLevel(state.level - 1), since=now)
        action = "de-escalated"

    return state, ThrottleTransition(previous, state.level, action, fired, state.blocked_until)


def _dwelt(state: ThrottleState, policy: ThrottlePolicy, now: float) -> bool:
    return state.since is None or now - state.since >= policy.min_dwell_seconds


def _cooled_down(state: ThrottleState, policy: ThrottlePolicy, now: float) -> bool:
    if state.level is ThrottleLevel.NORMAL:
        return False
    quiet_since = max(t for t in (state.since, state.last_trigger_at) if t is not None)
    return now - quiet_since >= policy.cooldown_seconds


def _escalate(state: ThrottleState, policy: ThrottlePolicy, now: float) -> ThrottleState:
    level = ThrottleLevel(state.level + 1)
    if level is not ThrottleLevel.BLOCKED:
        return replace(state, level=level, since=now)
    last_end = last_block_end(state, policy)
    remembered = (
        state.offences
        if last_end is not None and now - last_end <= policy.offence_memory_seconds
        else 0
    )
    offences = remembered + 1
    return replace(
        state,
        level=level,
        since=now,
        blocked_until=now + block_timeout(offences, policy),
        offences=offences,
        last_offence_at=now,
    )


def last_block_end(state: ThrottleState, policy: ThrottlePolicy) -> float | None:
    """When the key's most recent block ended (or will end); None if it was never blocked."""
    if state.last_offence_at is None or state.offences < 1:
        return None
    return state.last_offence_at + block_timeout(state.offences, policy)


def state_ttl(state: ThrottleState, policy: ThrottlePolicy, now: float) -> float:
    """How long a store must keep ``state`` before it is equivalent to a fresh one (0: drop it).

    A key needs keeping while it is above Normal (each level takes at least one cooldown to
    shed, a block its remaining time first) and while its last offence is remembered.
    """
    keep = 0.0
    if state.level is not ThrottleLevel.NORMAL:
        blocked_left = max(0.0, (state.blocked_until or now) - now)
        keep = blocked_left + int(state.level) * policy.cooldown_seconds + policy.min_dwell_seconds
    last_end = last_block_end(state, policy)
    if last_end is not None:
        keep = max(keep, last_end + policy.offence_memory_seconds - now)
    return max(0.0, keep)
