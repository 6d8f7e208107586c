"""The alert state machine: pending → firing → resolved, with hysteresis and a cooldown.

For one alert key (metric and subject), each evaluation feeds :func:`step` the combined check
(anomalous or not) and the time:

* an anomalous check with no open alert opens one as **pending** (nothing is announced);
* a pending alert whose condition has held for ``pending_for`` starts **firing** (announced);
  a normal check while pending cancels it — a blip never becomes an alert (the trigger window);
* while firing, the level only rises (warning → critical is announced as ``escalated``), and a
  normal check does not resolve it: only ``resolve_after`` without any anomalous check does
  (the recovery window, Prometheus' ``keep_firing_for``);
* after resolving, the key is in **cooldown** for ``cooldown``: anomalous checks then open
  nothing, so a noisy series produces at most one alert per cooldown instead of flapping.

The state holds only what the stored alert row holds (its last anomalous check is
``last_seen_at``), so any instance can rebuild it from the database. Pure: time is the ``now``
passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from systemprompt_analytics.anomaly.levels import AnomalyCheck, AnomalyLevel


class Phase(StrEnum):
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class Transition(StrEnum):
    OPENED = "pending"
    FIRED = "firing"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    UPDATED = "updated"  # still anomalous: value and last_seen_at move on, nothing announced


ANNOUNCED = frozenset({Transition.FIRED, Transition.ESCALATED, Transition.RESOLVED})


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    pending_for: timedelta = timedelta(minutes=2)
    """How long a condition must hold before the alert fires (the trigger window)."""
    resolve_after: timedelta = timedelta(minutes=5)
    """How long without an anomalous check before a firing alert resolves (recovery window)."""
    cooldown: timedelta = timedelta(minutes=15)
    """After resolving, how long the same metric and subject cannot open a new alert."""

    def __post_init__(self) -> None:
        for name in ("pending_for", "resolve_after", "cooldown"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"{name} must not be negative")


@dataclass(frozen=True, slots=True)
class AlertState:
    """One alert as stored: phase, level, the latest anomalous value and its times."""

    metric: str
    subject: str
    phase: Phase
    level: AnomalyLevel
    value: float
    baseline: float | None
    detector: str
    message: str
    started_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    state: AlertState | None
    """The alert after this check (None: no alert is open, nothing to keep)."""
    transition: Transition | None
    """What happened to it (None: nothing)."""

    @property
    def announced(self) -> bool:
        return self.transition in ANNOUNCED


def step(state: AlertState | None, check: AnomalyCheck, now: datetime, policy: AlertPolicy) -> Step:
    """Apply one evaluation's ``check`` for this key at ``now``."""
    anomalous = check.level is not AnomalyLevel.NORMAL
    if state is None or state.phase is Phase.RESOLVED:
        in_cooldown = (
            state is not None
            and state.resolved_at is not None
            and now - state.resolved_at < policy.cooldown
        )
        if not anomalous or in_cooldown:
            return Step(state, None)
        opened = _open(check, now)
        if policy.pending_for <= timedelta(0):
            return Step(replace(opened, phase=Phase.FIRING), Transition.FIRED)
        return Step(opened, Transition.OPENED)

    if state.phase is Phase.PENDING:
        if not anomalous:
            return Step(None, Transition.CANCELLED)
        seen = _seen(state, check, now)
        if now - state.started_at >= policy.pending_for:
            return Step(replace(seen, phase=Phase.FIRING), Transition.FIRED)
        return Step(seen, Transition.UPDATED)

    # Firing.
    if anomalous:
        seen = _seen(state, check, now)
        if seen.level.rank > state.level.rank:
            return Step(seen, Transition.ESCALATED)
        return Step(seen, Transition.UPDATED)
    if now - state.last_seen_at >= policy.resolve_after:
        return Step(replace(state, phase=Phase.RESOLVED, resolved_at=now), Transition.RESOLVED)
    return Step(state, None)


def _open(check: AnomalyCheck, now: datetime) -> AlertState:
    return AlertState(
        metric=check.metric,
        subject=check.subject,
        phase=Phase.PENDING,
        level=check.level,
        value=check.value,
        baseline=check.baseline,
        detector=check.detector,
        message=check.message,
        started_at=now,
        last_seen_at=now,
    )


def _seen(state: AlertState, check: AnomalyCheck, now: datetime) -> AlertState:
    """The alert after another anomalous check: the level never drops while it is open; the
    value, baseline and message are the latest check's at the alert's level or above."""
    if check.level.rank >= state.level.rank:
        return replace(
            state,
            level=check.level,
            value=check.value,
            baseline=check.baseline,
            detector=check.detector,
            message=check.message,
            last_seen_at=now,
        )
    return replace(state, last_seen_at=now)
