"""Latency percentiles agree between SQLite and PostgreSQL on the same data.

Both use the continuous definition (linear interpolation between the two nearest values,
PostgreSQL's ``percentile_cont``; SQLite runs the registered ``sp_percentile`` aggregate).
The same rows go into both databases and every report that shows a percentile must give the
same numbers, which also equal the definition computed in Python.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.requests import model_usage, request_stats, request_trends
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.storage.engine import make_engine, percentile_cont
from systemprompt_analytics.storage.maintenance import clear_activity
from systemprompt_analytics.storage.migrate import upgrade
from tests.factories import add_ai_request

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(days=1), NOW)
MODELS = (("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-4o"), ("google", "gemini-2.5-pro"))

pytestmark = pytest.mark.postgres


@pytest.fixture
def both(
    sqlite_url: str, postgres_url: str, _migrated_engines: dict[str, Engine]
) -> Iterator[dict[str, Engine]]:
    engines = {}
    for name, url in (("sqlite", sqlite_url), ("postgresql", postgres_url)):
        engine = _migrated_engines.get(url)
        if engine is None:
            engine = make_engine(url)
            upgrade(engine)
            _migrated_engines[url] = engine
        with engine.begin() as conn:
            clear_activity(conn)
        engines[name] = engine
    yield engines


def dataset(seed: int, count: int) -> list[dict[str, Any]]:
    """Latencies with duplicates, a long tail and missing values, spread over models and hours."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        provider, model = MODELS[index % len(MODELS)]
        latency = None if rng.random() < 0.05 else int(rng.lognormvariate(7, 1.2))
        if rng.random() < 0.1:
            latency = 1000  # ties
        ttft = int(rng.uniform(50, 3000)) if rng.random() < 0.5 else None
        rows.append({
            "id": f"air_pct_{seed}_{index}", "provider": provider, "model": model,
            "latency_ms": latency, "time_to_first_token_ms": ttft,
            "at": NOW - timedelta(minutes=rng.randint(1, 24 * 60 - 1)),
        })  # fmt: skip
    return rows


def fill(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for row in rows:
            values = {key: value for key, value in row.items() if key != "at"}
            add_ai_request(conn, row["at"], **values)


def reports(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            "stats": request_stats(conn, PERIOD, RequestFilter()).to_dict(),
            "models": model_usage(conn, PERIOD, RequestFilter()).to_dict(),
            "trends": request_trends(conn, PERIOD, RequestFilter(), "hour").to_dict(),
        }


@pytest.mark.parametrize(("seed", "count"), [(1, 1), (2, 2), (3, 7), (4, 250)])
def test_sqlite_and_postgresql_give_the_same_percentiles(
    both: dict[str, Engine], seed: int, count: int
) -> None:
    rows = dataset(seed, count)
    for engine in both.values():
        fill(engine, rows)
    on_sqlite = reports(both["sqlite"])
    on_postgres = reports(both["postgresql"])
    assert on_sqlite == on_postgres

    latencies = [float(row["latency_ms"]) for row in rows if row["latency_ms"] is not None]
    stats = on_sqlite["stats"]["latency_ms"]
    for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        expected = percentile_cont(latencies, fraction)
        assert stats[name]["current"] == (None if expected is None else round(expected, 2))
    for model_row in on_sqlite["models"]["rows"]:
        same_model = [row for row in rows if row["model"] == model_row["model"]]
        values = [float(row["latency_ms"]) for row in same_model if row["latency_ms"] is not None]
        expected = percentile_cont(values, 0.95)
        assert model_row["latency_p95_ms"] == (None if expected is None else round(expected, 2))
