"""Reaching the real Redis server from the throttle tests.

Like :mod:`tests.services` does for PostgreSQL: a test that needs Redis skips with a message when it
is unreachable, unless ``SP_ANALYTICS_REQUIRE_SERVICES=1`` (as in CI), where that fails the run.
The server is ``$SP_ANALYTICS_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``); every test
gets its own key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

import pytest

from tests.services import services_required

REDIS_URL = os.environ.get("SP_ANALYTICS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def redis_reachable(url: str = REDIS_URL) -> str | None:
    """None when the server answers PING, else why not."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any import, network or protocol error means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def require_redis() -> str:
    """The test Redis URL; skips (or fails under SP_ANALYTICS_REQUIRE_SERVICES=1) if unreachable."""
    reason = redis_reachable()
    if reason:
        message = f"Redis unreachable ({reason})"
        if services_required():
            pytest.fail(f"{message}; SP_ANALYTICS_REQUIRE_SERVICES=1 makes this an error")
        pytest.skip(f"{message}; set SP_ANALYTICS_TEST_REDIS_URL or start the server")
    return REDIS_URL


def unique_prefix() -> str:
    return f"sp:test:{os.getpid()}:{secrets.token_hex(4)}:"


def delete_prefix(url: str, prefix: str) -> int:
    """Delete every key under ``prefix`` (including ``limits``' ``{…}`` window keys)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


def hammer(url: str, prefix: str, rate: str, hits: int, start: Any, results: Any) -> None:
    """Worker for the multi-process test: ``hits`` checks of one shared session key.

    Puts (admitted, storage failures) on ``results``. Runs in a spawned process.
    """
    from systemprompt_analytics.throttle import ThrottleConfig, ThrottleKeys, ThrottleService

    config = ThrottleConfig(
        base_rate=rate, redis_url=url, key_prefix=prefix, redis_timeout_seconds=5.0
    )
    service = ThrottleService.from_config(config)
    keys = ThrottleKeys(session_id="shared-session")
    start.wait()
    admitted = sum(1 for _ in range(hits) if service.check(keys).allowed)
    failures = service.stats.fail_open + service.stats.storage_errors
    service.close()
    results.put((admitted, failures))
