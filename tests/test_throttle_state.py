"""The pure throttle state machine, driven by a fake clock (issue 4, part 2)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.detection.throttle import (
    Observation,
    ThrottleLevel,
    ThrottlePolicy,
    ThrottleState,
    adjusted_limit,
    block_timeout,
    evaluate,
    state_ttl,
    triggers,
)

POLICY = ThrottlePolicy()  # cooldown 600 s, dwell 60 s, block 300 s doubling to 24 h
QUIET = Observation(requests_last_minute=5, requests=40, errors=2, behavioural_score=10)
BURST = Observation(requests_last_minute=31)


class FakeClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def run(state: ThrottleState, observation: Observation, now: float) -> ThrottleState:
    return evaluate(state, observation, POLICY, now)[0]


# -- triggers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observation", "expected"),
    [
        (Observation(behavioural_score=49.9), ()),
        (Observation(behavioural_score=50), ("behavioural_score",)),
        (Observation(requests_last_minute=30), ()),
        (Observation(requests_last_minute=31), ("requests_per_minute",)),
        (Observation(requests=20, errors=20), ()),  # not more than 20 requests
        (Observation(requests=21, errors=11), ("error_rate",)),
        (Observation(requests=22, errors=11), ()),  # exactly 0.5 is not above
        (
            Observation(behavioural_score=80, requests_last_minute=90, requests=100, errors=90),
            ("behavioural_score", "requests_per_minute", "error_rate"),
        ),
        (Observation(), ()),
    ],
)
def test_triggers_match_the_issue_thresholds(
    observation: Observation, expected: tuple[str, ...]
) -> None:
    assert triggers(observation, POLICY) == expected


# -- escalation -----------------------------------------------------------------------------------


def test_escalates_one_level_per_trigger() -> None:
    clock = FakeClock()
    state = ThrottleState()
    seen = []
    for _ in range(3):
        state, transition = evaluate(state, BURST, POLICY, clock.now)
        seen.append((transition.action, state.level))
        clock.advance(POLICY.min_dwell_seconds)
    assert seen == [
        ("escalated", ThrottleLevel.WARNING),
        ("escalated", ThrottleLevel.SEVERE),
        ("escalated", ThrottleLevel.BLOCKED),
    ]
    assert state.blocked_until == clock.now - POLICY.min_dwell_seconds + 300


def test_several_triggers_at_once_still_escalate_one_level() -> None:
    everything = Observation(behavioural_score=99, requests_last_minute=99, requests=99, errors=99)
    state, transition = evaluate(ThrottleState(), everything, POLICY, 0.0)
    assert state.level is ThrottleLevel.WARNING
    assert len(transition.reasons) == 3


def test_one_burst_seen_many_times_within_the_dwell_escalates_once() -> None:
    clock = FakeClock()
    state = ThrottleState()
    for _ in range(50):  # one observation per second for 50 s
        state = run(state, BURST, clock.now)
        clock.advance(1)
    assert state.level is ThrottleLevel.WARNING
    assert state.last_trigger_at == clock.now - 1


def test_a_persisting_burst_escalates_again_after_the_dwell() -> None:
    clock = FakeClock()
    state = run(ThrottleState(), BURST, clock.now)
    state = run(state, BURST, clock.advance(59))
    assert state.level is ThrottleLevel.WARNING
    state = run(state, BURST, clock.advance(1))
    assert state.level is ThrottleLevel.SEVERE


# -- cooldown -------------------------------------------------------------------------------------


def test_cooldown_de_escalates_one_level_at_a_time() -> None:
    clock = FakeClock()
    state = ThrottleState(level=ThrottleLevel.SEVERE, since=clock.now, last_trigger_at=clock.now)
    state = run(state, QUIET, clock.advance(599))
    assert state.level is ThrottleLevel.SEVERE
    state, transition = evaluate(state, QUIET, POLICY, clock.advance(1))
    assert (transition.action, state.level) == ("de-escalated", ThrottleLevel.WARNING)
    # The next step needs another full cooldown from the level change, not from the last trigger.
    state = run(state, QUIET, clock.advance(1))
    assert state.level is ThrottleLevel.WARNING
    state = run(state, QUIET, clock.advance(599))
    assert state.level is ThrottleLevel.NORMAL
    state, transition = evaluate(state, QUIET, POLICY, clock.advance(10_000))
    assert (transition.action, state.level) == ("unchanged", ThrottleLevel.NORMAL)


def test_a_trigger_restarts_the_cooldown() -> None:
    clock = FakeClock()
    state = run(ThrottleState(), BURST, clock.now)
    state = run(state, QUIET, clock.advance(500))
    state = run(state, BURST, clock.advance(50))  # within the dwell of nothing: escalates
    assert state.level is ThrottleLevel.SEVERE
    state = run(state, QUIET, clock.advance(599))
    assert state.level is ThrottleLevel.SEVERE
    state = run(state, QUIET, clock.advance(1))
    assert state.level is ThrottleLevel.WARNING


def test_no_flapping_under_an_alternating_noisy_signal() -> None:
    """A signal that fires every few minutes (within the cooldown) never lets the level drop;
    levels change at least ``min_dwell_seconds`` apart, never up-down-up."""
    clock = FakeClock()
    policy = ThrottlePolicy(block_base_seconds=60, block_max_seconds=60)
    state = ThrottleState()
    levels = []
    changes = []
    for step in range(400):
        observation = BURST if step % 2 == 0 else QUIET
        previous = state.level
        state, _ = evaluate(state, observation, policy, clock.advance(170))
        if state.level != previous:
            changes.append((clock.now, previous, state.level))
        levels.append(state.level)
    downs = [c for c in changes if c[2] < c[1]]
    # The only way down is a block running out (to Severe), never a cooldown step.
    assert all(prev is ThrottleLevel.BLOCKED for _, prev, _ in downs)
    assert min(levels[10:]) >= ThrottleLevel.SEVERE
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(changes)]
    assert all(gap >= policy.min_dwell_seconds for gap in gaps)


def test_flicker_faster_than_the_dwell_changes_nothing_twice() -> None:
    clock = FakeClock()
    state = ThrottleState()
    actions = []
    for step in range(40):  # trigger / quiet every second
        state, transition = evaluate(state, BURST if step % 2 == 0 else QUIET, POLICY, clock.now)
        actions.append(transition.action)
        clock.advance(1)
    assert actions.count("escalated") == 1
    assert "de-escalated" not in actions


# -- blocks ---------------------------------------------------------------------------------------


def _block(state: ThrottleState, clock: FakeClock) -> ThrottleState:
    """Keep bursting until Blocked; return the blocked state."""
    while not state.is_blocked(clock.now):
        state = run(state, BURST, clock.advance(POLICY.min_dwell_seconds))
    return state


def test_block_lasts_its_timeout_then_drops_to_severe() -> None:
    clock = FakeClock()
    state = _block(ThrottleState(), clock)
    assert state.blocked_until == clock.now + 300
    assert state.is_blocked(clock.now + 299.9)
    assert state.effective_level(clock.now + 300) is ThrottleLevel.SEVERE
    state = run(state, BURST, clock.advance(299))  # still blocked: a trigger extends nothing
    assert state.level is ThrottleLevel.BLOCKED and state.blocked_until == clock.now + 1
    state, transition = evaluate(state, BURST, POLICY, clock.advance(1))
    assert (transition.action, state.level) == ("unblocked", ThrottleLevel.SEVERE)
    assert state.blocked_until is None


def test_block_timeout_grows_on_repeat_offences_up_to_the_cap() -> None:
    clock = FakeClock()
    state = ThrottleState()
    timeouts = []
    for _ in range(12):
        state = _block(state, clock)
        assert state.blocked_until is not None
        timeouts.append(state.blocked_until - clock.now)
        clock.now = state.blocked_until  # serve the block; the burst continues
    assert timeouts[:5] == [300, 600, 1200, 2400, 4800]
    assert max(timeouts) == 86_400
    assert timeouts[-1] == 86_400
    assert state.offences == 12


def test_offences_are_forgotten_after_the_memory_window() -> None:
    clock = FakeClock()
    state = _block(ThrottleState(), clock)
    clock.now = state.blocked_until or 0
    state = _block(state, clock)
    assert state.offences == 2
    # Serve the block, then stay quiet for longer than a day.
    clock.now = state.blocked_until or 0
    for _ in range(200):
        state = run(state, QUIET, clock.advance(600))
    assert state.level is ThrottleLevel.NORMAL
    state = _block(state, clock)
    assert state.offences == 1
    assert state.blocked_until == clock.now + 300


def test_block_timeout_function() -> None:
    assert [block_timeout(n, POLICY) for n in range(1, 6)] == [300, 600, 1200, 2400, 4800]
    assert block_timeout(10_000, POLICY) == 86_400
    with pytest.raises(ValueError):
        block_timeout(0, POLICY)


# -- adjusted limit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (120, (120, 60, 30, 0)),
        (100, (100, 50, 25, 0)),
        (7, (7, 3, 1, 0)),
        (3, (3, 1, 1, 0)),  # floor(1.5) = 1, floor(0.75) = 0 -> 1
        (1, (1, 1, 1, 0)),  # never below one request below Blocked
    ],
)
def test_adjusted_limit_table(base: int, expected: tuple[int, ...]) -> None:
    assert tuple(adjusted_limit(base, level) for level in ThrottleLevel) == expected


def test_multipliers() -> None:
    assert [level.multiplier for level in ThrottleLevel] == [1.0, 0.5, 0.25, 0.0]
    assert ThrottleLevel.SEVERE.label == "severe"


def test_adjusted_limit_rejects_a_zero_base() -> None:
    with pytest.raises(ValueError):
        adjusted_limit(0, ThrottleLevel.NORMAL)


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(block_base_seconds=600, block_max_seconds=300)
    with pytest.raises(ValueError):
        ThrottlePolicy(cooldown_seconds=-1)


def test_state_ttl_keeps_what_matters() -> None:
    assert state_ttl(ThrottleState(), POLICY, 0.0) == 0
    clock = FakeClock()
    blocked = _block(ThrottleState(), clock)
    ttl = state_ttl(blocked, POLICY, clock.now)
    assert ttl >= 300 + 3 * 600  # serve the block, then shed three levels
    assert ttl >= POLICY.offence_memory_seconds  # and remember the offence


# -- properties -----------------------------------------------------------------------------------

observations = st.builds(
    Observation,
    behavioural_score=st.none() | st.floats(0, 100),
    requests_last_minute=st.integers(0, 100),
    requests=st.integers(0, 200),
    errors=st.integers(0, 200),
)
steps = st.lists(st.tuples(st.floats(0, 5000), observations), max_size=80)


@given(steps)
def test_level_always_within_range_and_moves_one_step(
    sequence: list[tuple[float, Observation]],
) -> None:
    now = 0.0
    state = ThrottleState()
    for delay, observation in sequence:
        now += delay
        previous = state.level
        state, transition = evaluate(state, observation, POLICY, now)
        assert ThrottleLevel.NORMAL <= state.level <= ThrottleLevel.BLOCKED
        assert abs(state.level - previous) <= 1
        assert transition.level is state.level
        if state.level is ThrottleLevel.BLOCKED:
            assert state.blocked_until is not None and state.blocked_until > now - delay


@given(st.integers(1, 10**9), st.sampled_from(list(ThrottleLevel)))
def test_adjusted_limit_at_least_one_unless_blocked(base: int, level: ThrottleLevel) -> None:
    limit = adjusted_limit(base, level)
    if level is ThrottleLevel.BLOCKED:
        assert limit == 0
    else:
        assert 1 <= limit <= base


@given(st.integers(1, 10**9))
def test_adjusted_limit_shrinks_with_level(base: int) -> None:
    limits = [adjusted_limit(base, level) for level in ThrottleLevel]
    assert limits == sorted(limits, reverse=True)


@given(
    st.floats(1, 10_000),
    st.floats(1, 10**6),
    st.integers(1, 200),
)
def test_block_timeouts_are_monotonic_and_capped(base: float, extra: float, n: int) -> None:
    policy = ThrottlePolicy(block_base_seconds=base, block_max_seconds=base + extra)
    timeouts = [block_timeout(k, policy) for k in range(1, n + 1)]
    assert timeouts == sorted(timeouts)
    assert all(base <= t <= base + extra for t in timeouts)
