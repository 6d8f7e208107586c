"""ThrottleService on the real Redis: atomic shared counters, shared levels, fail-open/closed.

Each test uses its own key prefix and deletes its keys afterwards (``tests.redis_support``).
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Iterator

import pytest
import redis

from systemprompt_analytics.detection.throttle import ThrottleLevel, state_ttl
from systemprompt_analytics.throttle import (
    Observation,
    ThrottleConfig,
    ThrottleKeys,
    ThrottleService,
)
from tests.redis_support import (
    UNREACHABLE_REDIS_URL,
    delete_prefix,
    hammer,
    require_redis,
    unique_prefix,
)

BURST = Observation(requests_last_minute=31)


@pytest.fixture
def redis_url() -> str:
    return require_redis()


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    key_prefix = unique_prefix()
    yield key_prefix
    delete_prefix(redis_url, key_prefix)


def make(url: str, prefix: str, **options: object) -> ThrottleService:
    config = ThrottleConfig(redis_url=url, key_prefix=prefix, **options)  # type: ignore[arg-type]
    return ThrottleService.from_config(config)


@pytest.mark.slow
def test_four_processes_share_one_counter_exactly(redis_url: str, prefix: str) -> None:
    """4 processes × 100 hits against 100/minute admit exactly 100 in total."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    results = context.Queue()
    workers = [
        context.Process(target=hammer, args=(redis_url, prefix, "100/minute", 100, start, results))
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert sum(failures for _, failures in outcomes) == 0  # no fail-open admission
    assert sum(admitted for admitted, _ in outcomes) == 100
    assert sum(1 for admitted, _ in outcomes if admitted) >= 2  # they really competed


def test_two_instances_share_counter_and_levels(redis_url: str, prefix: str) -> None:
    first, second = (
        make(redis_url, prefix, base_rate="10/minute"),
        make(redis_url, prefix, base_rate="10/minute"),
    )
    keys = ThrottleKeys(session_id="sess_shared", ip="203.0.113.5")
    admitted = sum(1 for n in range(30) if (first if n % 2 else second).check(keys).allowed)
    assert admitted == 10
    refused = second.check(keys)
    assert not refused.allowed and refused.reason == "rate_limited"
    assert refused.headers()["Retry-After"] == str(refused.retry_after)

    # A level set through one instance is enforced by the other.
    other = ThrottleKeys(session_id="sess_level")
    now = time.time()
    for step in range(3):
        first.observe("session:sess_level", BURST, now=now + 60 * step)
    decision = second.check(other, now=now + 130)
    assert not decision.allowed and decision.reason == "blocked"
    assert decision.level is ThrottleLevel.BLOCKED
    assert second.status("session:sess_level").offences == 1
    first.close()
    second.close()


def test_state_is_a_small_hash_with_ttl(redis_url: str, prefix: str) -> None:
    service = make(redis_url, prefix)
    transition = service.observe("fingerprint:fp_ttl", BURST, now=time.time())
    assert transition is not None and transition.level is ThrottleLevel.WARNING
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    fields: dict[str, str] = client.hgetall(f"{prefix}state:fingerprint:fp_ttl")  # type: ignore[assignment]
    assert fields["level"] == "1"
    ttl = int(client.pttl(f"{prefix}state:fingerprint:fp_ttl")) / 1000  # type: ignore[arg-type]
    expected = state_ttl(service.status("fingerprint:fp_ttl"), service.config.policy, time.time())
    assert 0 < ttl <= expected + 1
    service.reset("fingerprint:fp_ttl")
    assert not client.exists(f"{prefix}state:fingerprint:fp_ttl")
    client.close()
    service.close()


def test_unreachable_redis_fails_open_and_records_it(caplog: pytest.LogCaptureFixture) -> None:
    service = make(UNREACHABLE_REDIS_URL, "sp:none:", base_rate="1/minute")
    keys = ThrottleKeys(session_id="s", fingerprint_hash="f", ip="192.0.2.1")
    with caplog.at_level(logging.WARNING, logger="systemprompt_analytics.throttle"):
        started = time.perf_counter()
        decisions = [service.check(keys) for _ in range(50)]
        elapsed = time.perf_counter() - started
    assert all(d.allowed and d.fail_open for d in decisions)
    assert {d.reason for d in decisions} == {"storage_unavailable"}
    assert decisions[0].headers() == {}
    assert service.stats.fail_open == 50
    assert service.stats.storage_errors == 1  # then Redis is skipped for retry_interval_seconds
    assert service.stats.last_storage_error is not None
    assert elapsed < 1.0  # an outage costs milliseconds, not seconds
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1
    assert service.observe("session:s", BURST) is None
    assert service.stats.storage_errors == 2


def test_unreachable_redis_retries_after_the_interval() -> None:
    service = make(UNREACHABLE_REDIS_URL, "sp:none:", retry_interval_seconds=0.0)
    for _ in range(3):
        assert service.check(ThrottleKeys(ip="192.0.2.2")).fail_open
    assert service.stats.storage_errors == 3


def test_unreachable_redis_fail_closed_refuses() -> None:
    service = make(UNREACHABLE_REDIS_URL, "sp:none:", fail_open=False)
    decision = service.check(ThrottleKeys(session_id="s"))
    assert not decision.allowed and not decision.fail_open
    assert decision.reason == "storage_unavailable"
    assert decision.headers()["Retry-After"] == "2"
    assert service.stats.fail_closed == 1 and service.stats.denied == 1
