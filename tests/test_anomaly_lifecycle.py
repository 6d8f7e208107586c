"""The alert lifecycle with a fake clock: pending → firing → resolved, hysteresis, cooldown."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from systemprompt_analytics.anomaly.levels import AnomalyCheck, AnomalyLevel
from systemprompt_analytics.anomaly.lifecycle import (
    AlertPolicy,
    AlertState,
    Phase,
    Transition,
    step,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
POLICY = AlertPolicy(
    pending_for=timedelta(minutes=2),
    resolve_after=timedelta(minutes=5),
    cooldown=timedelta(minutes=15),
)


def _check(level: AnomalyLevel, value: float = 1.0) -> AnomalyCheck:
    return AnomalyCheck("error_rate", value, level, "robust", f"{level.value} {value}")


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def tick(self, minutes: int = 1) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


def _run(levels: list[AnomalyLevel], policy: AlertPolicy = POLICY) -> list[Transition | None]:
    """Feed one check per minute; the transitions in order."""
    clock = FakeClock()
    state: AlertState | None = None
    seen: list[Transition | None] = []
    for level in levels:
        result = step(state, _check(level), clock.now, policy)
        state = result.state
        seen.append(result.transition)
        clock.tick()
    return seen


N, W, C = AnomalyLevel.NORMAL, AnomalyLevel.WARNING, AnomalyLevel.CRITICAL


def test_pending_then_firing_after_the_trigger_window() -> None:
    seen = _run([N, W, W, W, W])
    assert seen == [None, Transition.OPENED, Transition.UPDATED, Transition.FIRED,
                    Transition.UPDATED]  # fmt: skip


def test_a_blip_is_cancelled_while_pending() -> None:
    assert _run([W, N, N]) == [Transition.OPENED, Transition.CANCELLED, None]


def test_firing_resolves_only_after_the_recovery_window() -> None:
    seen = _run([W, W, W] + [N] * 6)
    assert seen[2] is Transition.FIRED
    # Normal at minutes 3..8; the last anomalous check was at minute 2: resolved at minute 7.
    assert seen[3:8] == [None, None, None, None, Transition.RESOLVED]
    assert seen[8] is None


def test_an_anomaly_inside_the_recovery_window_keeps_it_firing() -> None:
    seen = _run([W, W, W, N, N, N, N, W, N, N, N, N, N])
    assert Transition.RESOLVED not in seen[:12]
    assert seen[12] is Transition.RESOLVED


def test_level_rises_but_never_falls_while_firing() -> None:
    clock = FakeClock()
    state = None
    transitions = []
    for level in [W, W, W, C, W, W]:
        result = step(state, _check(level, {W: 1.0, C: 9.0}[level]), clock.now, POLICY)
        state = result.state
        transitions.append(result.transition)
        clock.tick()
    assert transitions[3] is Transition.ESCALATED
    assert state is not None and state.level is C and state.value == 9.0
    assert transitions[4:] == [Transition.UPDATED, Transition.UPDATED]


def test_cooldown_blocks_a_new_alert_then_allows_one() -> None:
    clock = FakeClock()
    state: AlertState | None = None
    for level in [W, W, W] + [N] * 5:
        state = step(state, _check(level), clock.now, POLICY).state
        clock.tick()
    assert state is not None and state.phase is Phase.RESOLVED
    resolved_at = state.resolved_at
    assert resolved_at is not None
    # Anomalous again 1 minute after resolving: nothing opens during the cooldown.
    clock.now = resolved_at + timedelta(minutes=1)
    result = step(state, _check(W), clock.now, POLICY)
    assert result.transition is None and result.state is state
    clock.now = resolved_at + POLICY.cooldown
    result = step(state, _check(W), clock.now, POLICY)
    assert result.transition is Transition.OPENED
    assert result.state is not None and result.state.started_at == clock.now


def test_a_noisy_series_does_not_flap() -> None:
    """Anomalous on about half of the minutes, at random, for a day: at most one alert per
    cooldown, and far fewer announcements than anomalous minutes."""
    rng = random.Random(11)
    levels = [W if rng.random() < 0.5 else N for _ in range(24 * 60)]
    seen = _run(levels)
    fired = seen.count(Transition.FIRED)
    resolved = seen.count(Transition.RESOLVED)
    assert resolved <= fired <= resolved + 1
    # Each alert lives at least pending + recovery; then a cooldown: at most one per 22 min.
    assert fired <= 24 * 60 // 22 + 1
    assert fired + resolved < levels.count(W) / 10


def test_alternating_every_minute_never_fires() -> None:
    assert Transition.FIRED not in _run([W, N] * 100)


def test_zero_pending_fires_at_once() -> None:
    policy = AlertPolicy(pending_for=timedelta(0))
    assert _run([C], policy) == [Transition.FIRED]


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="cooldown"):
        AlertPolicy(cooldown=timedelta(seconds=-1))
