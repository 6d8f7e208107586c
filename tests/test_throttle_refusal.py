"""``ThrottleService.refusal`` (the middlewares' per-request question, with a fast path for
in-memory storage) answers and counts exactly as ``check(detailed=False)``."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from systemprompt_analytics.throttle import (
    AllowList,
    Observation,
    ThrottleConfig,
    ThrottleKeys,
    ThrottleLimiter,
    ThrottleService,
)
from systemprompt_analytics.throttle.memory_storage import SlidingWindowMemoryStorage

ALLOW = AllowList(paths=frozenset({"/healthz"}), client_categories=frozenset({"search_engine"}))
BURST = Observation(requests_last_minute=31)

request = st.tuples(
    st.sampled_from([None, "s1", "s2"]),
    st.sampled_from([None, "fp1", "fp2"]),
    st.sampled_from([None, "203.0.113.1", "203.0.113.2"]),
    st.sampled_from(["/", "/docs", "/healthz"]),
    st.sampled_from([None, "search_engine", "scanner"]),
    st.floats(min_value=0, max_value=20),  # seconds since the previous step
    st.sampled_from([None, None, None, "session:s1", "ip:203.0.113.2"]),  # escalate first
)


def _service(clock: list[float], shadow: bool) -> ThrottleService:
    config = ThrottleConfig(base_rate="3/minute", shadow=shadow, allow_list=ALLOW)
    storage = SlidingWindowMemoryStorage(clock=lambda: clock[0])
    limiter = ThrottleLimiter(storage, base_rate=config.base_rate)
    return ThrottleService(config, limiter=limiter, clock=lambda: clock[0])


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(request, max_size=40), shadow=st.booleans())
def test_refusal_matches_check(steps: list[tuple], shadow: bool) -> None:
    clock = [1_000_000.0]
    by_check, by_refusal = _service(clock, shadow), _service(clock, shadow)
    for session, fingerprint, ip, path, category, pause, escalate in steps:
        clock[0] += pause
        if escalate is not None:
            for throttle in (by_check, by_refusal):
                throttle.observe(escalate, BURST, now=clock[0])
        keys = ThrottleKeys(session, fingerprint, ip)
        decision = by_check.check(keys, path=path, client_category=category, detailed=False)
        refusal = by_refusal.refusal(keys, path=path, client_category=category)
        assert (refusal is None) == decision.allowed
        if refusal is not None:
            assert (refusal.reason, refusal.key, refusal.level, refusal.limit) == (
                decision.reason, decision.key, decision.level, decision.limit,
            )  # fmt: skip
            assert refusal.retry_after == decision.retry_after
    assert by_refusal.stats.snapshot() == by_check.stats.snapshot()


def test_fast_path_refuses_with_the_429_fields() -> None:
    clock = [time.time()]  # the 429's reset time is read from the wall clock
    throttle = _service(clock, shadow=False)
    keys = ThrottleKeys("s1", None, "203.0.113.1")
    assert [throttle.refusal(keys) for _ in range(3)] == [None, None, None]
    refused = throttle.refusal(keys)
    assert refused is not None and refused.reason == "rate_limited"
    assert refused.key == "session:s1" and refused.limit == 3 and refused.remaining == 0
    assert 1 <= refused.retry_after <= 60
    assert refused.headers()["Retry-After"] == str(refused.retry_after)
    assert throttle.stats.allowed == 3 and throttle.stats.denied == 1
