"""AI request reports on both databases, against a small fixture computed by hand.

Five requests in the 24 h window (synthetic one excluded):
  a  anthropic/claude-sonnet-4-5  success  in 100 out 50 cache-read 300       450 tok  100 ms
  b  openai/o3-mini               success  in 200 out 20 reasoning 80         300 tok  200 ms
  c  openai/gpt-4o                error    no tokens                            0 tok 1000 ms
  d  anthropic/claude-sonnet-4-5  success  in 10 out 10 cache-write 80        100 tok  300 ms
  e  openai/gpt-4o                success  in 50 out 50 cache-read 100        200 tok  400 ms
Latencies sorted: 100, 200, 300, 400, 1000 → p50 300, p95 400 + 0.8 × 600 = 880,
p99 400 + 0.96 × 600 = 976 (continuous percentiles).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.requests import model_usage, request_stats, request_trends
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.requests_list import LIST_COLUMNS, request_list
from tests.factories import add_ai_request

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(days=1), NOW)
BILLABLE = RequestFilter()
SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5"}
GPT = {"provider": "openai", "model": "gpt-4o"}
O3 = {"provider": "openai", "model": "o3-mini"}


def usage(**counts: int) -> dict[str, int]:
    kinds = ("input", "output", "cache_read", "cache_write", "reasoning")
    values = {f"{kind}_tokens": counts.get(kind, 0) for kind in kinds}
    return {**values, "total_tokens": sum(values.values())}


def add_fixture(conn: Connection) -> dict[str, str]:
    return {
        "a": add_ai_request(conn, NOW - timedelta(hours=6), **SONNET,
                            **usage(input=100, output=50, cache_read=300), latency_ms=100,
                            cache_hit=True, is_streaming=True, time_to_first_token_ms=40,
                            cost_microdollars=500, user_id="u1", session_id="s1"),
        "b": add_ai_request(conn, NOW - timedelta(hours=5), **O3,
                            **usage(input=200, output=20, reasoning=80), latency_ms=200,
                            cost_microdollars=700, user_id="u2", session_id="s2"),
        "c": add_ai_request(conn, NOW - timedelta(hours=4), **GPT, **usage(), latency_ms=1000,
                            status="error", error_message="429 Too Many Requests",
                            cost_microdollars=0, user_id="u1", session_id="s1"),
        "d": add_ai_request(conn, NOW - timedelta(hours=3), **SONNET,
                            **usage(input=10, output=10, cache_write=80), latency_ms=300,
                            is_streaming=True, time_to_first_token_ms=60, cost_microdollars=200),
        # The host did not set cache_hit, but cache-read tokens make it a hit.
        "e": add_ai_request(conn, NOW - timedelta(hours=2), **GPT,
                            **usage(input=50, output=50, cache_read=100), latency_ms=400,
                            cost_microdollars=300),
        "synthetic": add_ai_request(conn, NOW - timedelta(hours=1), **GPT,
                                    **usage(input=1000), latency_ms=99_999, is_synthetic=True),
        "previous": add_ai_request(conn, NOW - timedelta(hours=30), **GPT, **usage(input=10),
                                   latency_ms=500),
    }  # fmt: skip


@pytest.fixture
def requests(db_engine: Engine) -> tuple[Engine, dict[str, str]]:
    with db_engine.begin() as conn:
        ids = add_fixture(conn)
    return db_engine, ids


def current(report: dict[str, Any], section: str) -> dict[str, Any]:
    return {name: value["current"] for name, value in report[section].items()}


def test_stats_by_hand(requests: tuple[Engine, dict[str, str]]) -> None:
    engine, _ = requests
    with engine.connect() as conn:
        report = request_stats(conn, PERIOD, BILLABLE).to_dict()
    assert current(report, "requests") == {
        "total": 5, "succeeded": 4, "failed": 1, "error_rate": 0.2, "streaming": 2,
        "cache_hit_rate": 0.5,  # a and e of the 4 that succeeded
        "cached_prompt_share": round(400 / 840, 6),  # cache read / (input + read + write)
    }  # fmt: skip
    assert current(report, "tokens") == {"input": 360, "output": 130, "cache_read": 400,
                                         "cache_write": 80, "reasoning": 80,
                                         "total": 1050}  # fmt: skip
    assert current(report, "latency_ms") == {"avg": 400.0, "p50": 300.0, "p95": 880.0,
                                             "p99": 976.0}  # fmt: skip
    assert current(report, "time_to_first_token_ms") == {"p50": 50.0, "p95": 59.0}
    assert report["latency_ms"]["p50"]["previous"] == 500.0
    assert report["latency_ms"]["p50"]["change_pct"] == -40.0
    assert report["requests"]["error_rate"]["previous"] == 0.0
    assert report["requests"]["error_rate"]["change_pts"] == 20.0
    assert "linear interpolation" in report["percentile_method"]


def test_stats_include_synthetic_only_when_asked(requests: tuple[Engine, dict[str, str]]) -> None:
    engine, _ = requests
    with engine.connect() as conn:
        report = request_stats(conn, PERIOD, RequestFilter(include_synthetic=True)).to_dict()
    assert report["requests"]["total"]["current"] == 6
    assert report["tokens"]["input"]["current"] == 1360
    assert report["latency_ms"]["p99"]["current"] > 976.0


def test_models_with_limit_show_shares_of_the_true_total_and_the_rest(
    requests: tuple[Engine, dict[str, str]],
) -> None:
    engine, _ = requests
    with engine.connect() as conn:
        report = model_usage(conn, PERIOD, BILLABLE, limit=2)
    sonnet, gpt = report.rows
    assert (sonnet["model"], sonnet["requests"], sonnet["share_of_requests"]) == (
        "claude-sonnet-4-5", 2, 0.4)  # fmt: skip
    assert (sonnet["error_rate"], sonnet["cache_hit_rate"]) == (0.0, 0.5)
    assert (sonnet["latency_p50_ms"], sonnet["latency_p95_ms"]) == (200.0, 290.0)
    assert (sonnet["total_tokens"], sonnet["share_of_tokens"]) == (550, round(550 / 1050, 6))
    assert sonnet["cost_microdollars"] == 700
    assert (gpt["model"], gpt["failed"], gpt["error_rate"], gpt["cache_hit_rate"]) == (
        "gpt-4o", 1, 0.5, 1.0)  # fmt: skip
    assert gpt["latency_p50_ms"] == 700.0
    rest = report.rest
    assert (rest["models"], rest["requests"], rest["share_of_requests"]) == (1, 1, 0.2)
    assert (rest["reasoning_tokens"], rest["total_tokens"], rest["cost_microdollars"]) == (
        80, 300, 700)  # fmt: skip
    total = report.total
    assert (total["models"], total["requests"], total["total_tokens"]) == (3, 5, 1050)
    for name in ("requests", "failed", "total_tokens", "cache_read_tokens", "cost_microdollars"):
        assert sum(row[name] for row in report.rows) + rest[name] == total[name], name


def test_list_is_newest_first_and_filters(requests: tuple[Engine, dict[str, str]]) -> None:
    engine, ids = requests

    def listed(limit: int = 50, **filters: Any) -> list[str]:
        with engine.connect() as conn:
            report = request_list(conn, PERIOD, RequestFilter(**filters), limit)
        return [next(k for k, v in ids.items() if v == row["id"]) for row in report.rows]

    assert listed() == ["e", "d", "c", "b", "a"]
    assert listed(limit=2) == ["e", "d"]
    assert listed(model="gpt-4o") == ["e", "c"]
    assert listed(provider="anthropic") == ["d", "a"]
    assert listed(status="error") == ["c"]
    assert listed(user_id="u1") == ["c", "a"]
    assert listed(session_id="s2") == ["b"]
    assert listed(model="gpt-4o", include_synthetic=True) == ["synthetic", "e", "c"]
    assert listed(model="no-such-model") == []


def test_list_rows_carry_every_column(requests: tuple[Engine, dict[str, str]]) -> None:
    engine, ids = requests
    with engine.connect() as conn:
        report = request_list(conn, PERIOD, RequestFilter(status="error"), limit=1)
        everything = request_list(conn, PERIOD, BILLABLE, limit=1)
    assert report.matching == 1 and everything.matching == 5 and len(everything.rows) == 1
    (row,) = report.rows
    assert tuple(row) == LIST_COLUMNS
    assert row["id"] == ids["c"]
    assert row["requested_at"] == (NOW - timedelta(hours=4)).isoformat()
    assert (row["status"], row["error_message"]) == ("error", "429 Too Many Requests")
    assert (row["priced"], row["cost_microdollars"], row["cost_usd"]) == (True, 0, 0.0)
    assert row["cache_hit"] is False and row["is_synthetic"] is False


def test_an_unpriced_request_lists_without_a_cost(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_ai_request(conn, NOW - timedelta(hours=1), provider="acme", model="acme-llm-2",
                       cost_microdollars=None, is_priced=False)  # fmt: skip
        (row,) = request_list(conn, PERIOD, BILLABLE).rows
    assert (row["priced"], row["cost_microdollars"], row["cost_usd"]) == (False, None, None)


def test_trends_are_zero_filled_without_inventing_latency(
    requests: tuple[Engine, dict[str, str]],
) -> None:
    engine, _ = requests
    with engine.connect() as conn:
        series = request_trends(conn, PERIOD, BILLABLE, "hour").series
    assert len(series) == 24
    by_bucket = {row["bucket"]: row for row in series}
    error_hour = by_bucket[(NOW - timedelta(hours=4)).isoformat()]
    assert (error_hour["requests"], error_hour["failed"], error_hour["error_rate"]) == (1, 1, 1.0)
    assert error_hour["latency_p50_ms"] == 1000.0
    quiet = by_bucket[(NOW - timedelta(hours=10)).isoformat()]
    assert (quiet["requests"], quiet["total_tokens"]) == (0, 0)
    assert (quiet["latency_p50_ms"], quiet["error_rate"], quiet["cache_hit_rate"]) == (
        None, None, None)  # fmt: skip
    assert by_bucket[(NOW - timedelta(hours=1)).isoformat()]["requests"] == 0  # synthetic
    assert sum(row["requests"] for row in series) == 5
    assert sum(row["total_tokens"] for row in series) == 1050
