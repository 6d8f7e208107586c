"""Cost of a throttle check (issue 4, part 2), in memory and on Redis.

    .venv/bin/python -m bench.bench_throttle [--iterations 20000] [--redis-url URL]

Baseline per storage: one bare ``limits`` sliding-window ``hit()`` on the same storage. Cases:
``check()`` with one key (session) and with all three keys (session, fingerprint, IP); the
limit is high enough that every check is admitted (the common path). Each figure is the best
of five rounds. Redis is the local server
at ``$SP_ANALYTICS_TEST_REDIS_URL`` (default redis://127.0.0.1:6379/15), under a scratch key
prefix deleted afterwards; without a server the Redis rows are skipped with a message.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from collections.abc import Callable

from limits import parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import SlidingWindowCounterRateLimiter
from rich.console import Console
from rich.table import Table

from bench.help_format import HelpFormat
from systemprompt_analytics.throttle import ThrottleConfig, ThrottleKeys, ThrottleService

RATE = "100000000/minute"


def per_call_us(call: Callable[[], object], iterations: int, rounds: int = 5) -> float:
    """Best of ``rounds`` runs of ``iterations // rounds`` calls (the machine is shared)."""
    for _ in range(min(200, iterations)):  # warm up (script loading, connections)
        call()
    size = max(1, iterations // rounds)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(size):
            call()
        best = min(best, (time.perf_counter() - started) / size * 1e6)
    return best


def bare_hit(storage: Storage) -> Callable[[], object]:
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse(RATE)
    return lambda: limiter.hit(item, "bench", "session", "sess_bench")


def rows_for(label: str, storage: Storage, service: ThrottleService, n: int) -> list[list[str]]:
    baseline = per_call_us(bare_hit(storage), n)
    one = ThrottleKeys(session_id="sess_bench")
    three = ThrottleKeys("sess_bench", "fp_bench", "203.0.113.9")
    rows = [[label, "bare limits hit() (baseline)", f"{baseline:.1f}", "1.00×"]]
    for case, keys in (("check(), 1 key", one), ("check(), 3 keys", three)):
        cost = per_call_us(lambda keys=keys: service.check(keys), n)  # type: ignore[misc]
        rows.append([label, case, f"{cost:.1f}", f"{cost / baseline:.2f}×"])
    assert service.stats.fail_open == 0 and service.stats.denied == 0
    return rows


def delete_prefix(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument(
        "--iterations", type=int, default=20_000, help="checks per round (a quarter on Redis)"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("SP_ANALYTICS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    )
    args = parser.parse_args()
    console = Console()

    memory_service = ThrottleService(ThrottleConfig(base_rate=RATE))
    rows = rows_for("memory", MemoryStorage(), memory_service, args.iterations)

    prefix = f"sp:bench:{secrets.token_hex(4)}:"
    config = ThrottleConfig(base_rate=RATE, redis_url=args.redis_url, key_prefix=prefix)
    try:
        storage = RedisStorage(args.redis_url, key_prefix=f"{prefix}bare")
        storage.get_connection().ping()
    except Exception as exc:  # no server: say so and keep the memory rows
        console.print(f"[yellow]Redis rows skipped: {type(exc).__name__}: {exc}[/yellow]")
    else:
        redis_service = ThrottleService.from_config(config)
        try:
            n = max(1, args.iterations // 4)
            rows += rows_for("redis (local)", storage, redis_service, n)
        finally:
            redis_service.close()
            delete_prefix(args.redis_url, prefix)

    table = Table(title="Throttle check cost (µs per call, lower is better)")
    for column in ("storage", "case", "µs per call", "ratio to bare hit"):
        table.add_column(column, justify="left" if column in {"storage", "case"} else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
