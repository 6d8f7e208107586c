"""ThrottleService with memory storage: decisions, headers, levels, shadow mode, allow-list."""

from __future__ import annotations

import time

import pytest

from systemprompt_analytics.detection.throttle import ThrottleLevel, ThrottleState
from systemprompt_analytics.throttle import (
    AllowList,
    Observation,
    ThrottleConfig,
    ThrottleKeys,
    ThrottleLimiter,
    ThrottleService,
)
from systemprompt_analytics.throttle.storage import decode_state, encode_state

BURST = Observation(requests_last_minute=31)
KEYS = ThrottleKeys("sess_a", "fp_a", "203.0.113.7")


def service(rate: str = "10/minute", **options: object) -> ThrottleService:
    return ThrottleService(ThrottleConfig(base_rate=rate, **options))  # type: ignore[arg-type]


def test_admits_the_limit_then_answers_429_fields() -> None:
    throttle = service("5/minute")
    decisions = [throttle.check(KEYS) for _ in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions[:5]] == [4, 3, 2, 1, 0]
    refused = decisions[-1]
    assert refused.reason == "rate_limited"
    assert refused.limit == 5 and refused.remaining == 0
    assert 1 <= refused.retry_after <= 60
    assert time.time() < refused.reset_at <= time.time() + 61
    headers = refused.headers()
    assert headers["Retry-After"] == str(refused.retry_after)
    assert headers["X-RateLimit-Limit"] == "5"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert int(headers["X-RateLimit-Reset"]) >= int(time.time())
    assert headers["X-Throttle-Level"] == "normal"
    assert "Retry-After" not in decisions[0].headers()
    assert throttle.stats.allowed == 5 and throttle.stats.denied == 1


def test_any_key_over_its_limit_refuses() -> None:
    throttle = service("3/minute")
    for n in range(3):
        assert throttle.check(ThrottleKeys(session_id=f"s{n}", ip="198.51.100.1")).allowed
    # A new session from the same IP: the IP counter is spent.
    decision = throttle.check(ThrottleKeys(session_id="s-new", ip="198.51.100.1"))
    assert not decision.allowed
    assert decision.key == "ip:198.51.100.1"
    # Another IP is unaffected.
    assert throttle.check(ThrottleKeys(session_id="s-other", ip="198.51.100.2")).allowed


def test_per_kind_rate_override() -> None:
    throttle = service("2/minute", rates={"ip": "100/minute"})
    for n in range(10):
        assert throttle.check(ThrottleKeys(session_id=f"s{n}", ip="10.0.0.1")).allowed


def test_levels_reduce_the_limit_at_once() -> None:
    throttle = service("8/minute")
    keys = ThrottleKeys(session_id="sess_lvl")
    for _ in range(3):
        assert throttle.check(keys).allowed
    transition = throttle.observe("session:sess_lvl", BURST, now=1000.0)
    assert transition is not None and transition.level is ThrottleLevel.WARNING
    decision = throttle.check(keys, now=1000.0)
    assert decision.level is ThrottleLevel.WARNING and decision.limit == 4
    assert decision.allowed and decision.remaining == 0  # 4 of 4 used, counter kept
    assert not throttle.check(keys, now=1000.0).allowed
    assert throttle.check(keys, now=1000.0).headers()["X-Throttle-Level"] == "warning"
    # Severe: floor(8 × 0.25) = 2 — already over.
    throttle.observe("session:sess_lvl", BURST, now=1060.0)
    assert throttle.check(keys, now=1060.0).limit == 2


def test_blocked_key_is_refused_until_the_timeout() -> None:
    throttle = service()
    key = "fingerprint:fp_b"
    for step in range(3):
        throttle.observe(key, BURST, now=1000.0 + 60 * step)
    state = throttle.status(key)
    assert state.level is ThrottleLevel.BLOCKED and state.blocked_until == 1120.0 + 300
    keys = ThrottleKeys(session_id="fresh", fingerprint_hash="fp_b")
    decision = throttle.check(keys, now=1200.0)
    assert not decision.allowed and decision.reason == "blocked"
    assert decision.retry_after == 220 and decision.reset_at == 1420.0
    assert decision.limit == 0 and decision.level is ThrottleLevel.BLOCKED
    assert decision.key == key
    # After the block: Severe, requests pass again (at a quarter of the rate).
    after = throttle.check(keys, now=1420.0)
    assert after.allowed and after.level is ThrottleLevel.SEVERE
    assert throttle.stats.escalations == 3


def test_reset_forgets_level_and_counter() -> None:
    throttle = service("1/minute")
    keys = ThrottleKeys(session_id="sess_r")
    throttle.check(keys)
    throttle.observe("session:sess_r", BURST)
    assert not throttle.check(keys).allowed
    throttle.reset("session:sess_r")
    assert throttle.status("session:sess_r") == ThrottleState()
    assert throttle.check(keys).allowed


def test_shadow_mode_allows_but_reports_what_would_happen() -> None:
    throttle = service("2/minute", shadow=True)
    decisions = [throttle.check(KEYS) for _ in range(4)]
    assert all(d.allowed and d.shadow for d in decisions)
    assert [d.would_allow for d in decisions] == [True, True, False, False]
    assert decisions[-1].reason == "rate_limited"
    assert "Retry-After" not in decisions[-1].headers()
    assert throttle.stats.shadow_denied == 2 and throttle.stats.denied == 0


def test_shadow_mode_reports_blocks() -> None:
    throttle = service(shadow=True)
    for step in range(3):
        throttle.observe("ip:192.0.2.9", BURST, now=60.0 * step)
    decision = throttle.check(ThrottleKeys(ip="192.0.2.9"), now=130.0)
    assert decision.allowed and not decision.would_allow and decision.reason == "blocked"


def test_allow_list_paths_and_categories() -> None:
    allow = AllowList(paths=frozenset({"/healthz"}), path_prefixes=("/static/",),
                      client_categories=frozenset({"search_engine"}))  # fmt: skip
    throttle = service("1/minute", allow_list=allow)
    for _ in range(5):
        assert throttle.check(KEYS, path="/healthz").reason == "allow_listed"
        assert throttle.check(KEYS, path="/static/app.js").allowed
        assert throttle.check(KEYS, path="/docs", client_category="search_engine").allowed
    assert throttle.check(KEYS, path="/docs").allowed  # first counted request
    assert not throttle.check(KEYS, path="/docs").allowed
    assert throttle.check(KEYS, path="/healthz").headers() == {}
    assert throttle.stats.allow_listed == 16


def test_no_keys_passes() -> None:
    decision = service().check(ThrottleKeys())
    assert decision.allowed and decision.reason == "no_keys"


def test_bad_keys_are_rejected() -> None:
    throttle = service()
    for key in ("sess_without_kind", "user:1", "ip:"):
        with pytest.raises(ValueError):
            throttle.observe(key, BURST)


def test_bad_rate_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="120/minute"):
        ThrottleLimiter(base_rate="lots")
    with pytest.raises(ValueError, match="unknown key kind"):
        ThrottleLimiter(rates={"user": "1/second"})


def test_state_encoding_round_trips() -> None:
    state = ThrottleState(ThrottleLevel.BLOCKED, 1.5, 2.25, 300.0, 3, 1.5)
    fields = {k.encode(): v.encode() for k, v in encode_state(state).items()}
    assert decode_state(fields) == state
    assert decode_state(encode_state(ThrottleState())) == ThrottleState()
    assert decode_state({}) is None
    assert decode_state({"level": "9"}) is None
