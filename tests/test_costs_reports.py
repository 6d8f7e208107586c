"""Cost reports on both databases, against a small fixture computed by hand.

In the 24 h window (synthetic excluded): four requests —
  r1 anthropic/claude-sonnet-4-5, agent research, user u1, 150 tokens,  3,000 µ$
  r2 openai/gpt-4o,             agent research, user u2, 300 tokens,  2,000 µ$
  r3 openai/gpt-4o,             no agent,       user u1, 150 tokens,  1,000 µ$
  r4 acme/acme-llm-2 (unpriced), no agent,      no user, 500 tokens,  cost unknown
plus a synthetic request (9,000 µ$), one in the previous 24 h (research/u1/sonnet, 1,500 µ$)
and one exactly at the window's end (outside: windows are half-open).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.costs import auto_granularity, cost_summary, cost_trends
from systemprompt_analytics.reports.costs_breakdown import (
    CostBreakdown,
    cost_breakdown,
    unpriced_models,
)
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.requests_filter import RequestFilter
from tests.factories import add_ai_request

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(days=1), NOW)
WINDOW = CostWindow(PERIOD, default=False)
BILLABLE = RequestFilter()
ALL = RequestFilter(include_synthetic=True)
SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5"}
GPT = {"provider": "openai", "model": "gpt-4o"}
UNPRICED = {"provider": "acme", "model": "acme-llm-2", "cost_microdollars": None,
            "is_priced": False}  # fmt: skip
BY = ("model", "provider", "agent", "user")


def tokens(input_tokens: int, output_tokens: int, **more: int) -> dict[str, int]:
    total = input_tokens + output_tokens + sum(more.values())
    return {"input_tokens": input_tokens, "output_tokens": output_tokens,
            "total_tokens": total, **more}  # fmt: skip


def add_fixture(conn: Connection) -> None:
    add_ai_request(conn, NOW - timedelta(hours=5), **SONNET, **tokens(100, 50),
                   cost_microdollars=3_000, agent_name="research", user_id="u1")  # fmt: skip
    add_ai_request(conn, NOW - timedelta(hours=5), **GPT, **tokens(200, 100),
                   cost_microdollars=2_000, agent_name="research", user_id="u2")  # fmt: skip
    add_ai_request(conn, NOW - timedelta(hours=3), **GPT, **tokens(100, 50),
                   cost_microdollars=1_000, user_id="u1")  # fmt: skip
    add_ai_request(conn, NOW - timedelta(hours=2), **UNPRICED, **tokens(400, 100))
    add_ai_request(conn, NOW - timedelta(hours=1), **SONNET, **tokens(100, 50),
                   cost_microdollars=9_000, agent_name="eval", is_synthetic=True)  # fmt: skip
    add_ai_request(conn, NOW - timedelta(hours=30), **SONNET, **tokens(100, 50),
                   cost_microdollars=1_500, agent_name="research", user_id="u1")  # fmt: skip
    add_ai_request(conn, NOW, **SONNET, **tokens(100, 50), cost_microdollars=7_777)


@pytest.fixture
def costs(db_engine: Engine) -> Engine:
    with db_engine.begin() as conn:
        add_fixture(conn)
    return db_engine


def test_summary_counts_unpriced_separately_and_compares_with_the_previous_period(
    costs: Engine,
) -> None:
    with costs.connect() as conn:
        report = cost_summary(conn, WINDOW, BILLABLE).to_dict()
    assert report["cost_microdollars"] == {"current": 6_000, "previous": 1_500,
                                           "change_pct": 300.0}  # fmt: skip
    assert report["cost_usd"]["current"] == 0.006
    assert report["requests"]["current"] == 4
    assert report["priced_requests"]["current"] == 3
    assert report["unpriced_requests"]["current"] == 1
    assert report["tokens"]["current"] == 1_100
    assert report["unpriced_tokens"]["current"] == 500
    # The average is over priced requests only: the unpriced one is not a $0 request.
    assert report["avg_cost_per_priced_request_microdollars"]["current"] == 2_000.0
    assert report["avg_cost_per_priced_request_microdollars"]["previous"] == 1_500.0
    assert "never added as 0" in report["unpriced_note"]
    assert report["window"]["default"] is False and report["window"]["widened"] is False


def test_summary_with_synthetic_included(costs: Engine) -> None:
    with costs.connect() as conn:
        report = cost_summary(conn, WINDOW, ALL).to_dict()
    assert report["filters"]["include_synthetic"] is True
    assert report["cost_microdollars"]["current"] == 15_000
    assert report["requests"]["current"] == 5
    assert report["tokens"]["current"] == 1_250


EXPECTED_ROWS: dict[str, list[tuple[Any, ...]]] = {
    # (labels..., requests, cost, share_of_cost, previous cost, change %)
    "model": [
        ("openai", "gpt-4o", 2, 3_000, 0.5, 0, None),
        ("anthropic", "claude-sonnet-4-5", 1, 3_000, 0.5, 1_500, 100.0),
        ("acme", "acme-llm-2", 1, None, None, 0, None),
    ],
    "provider": [
        ("openai", 2, 3_000, 0.5, 0, None),
        ("anthropic", 1, 3_000, 0.5, 1_500, 100.0),
        ("acme", 1, None, None, 0, None),
    ],
    "agent": [
        ("research", 2, 5_000, 0.833333, 1_500, 233.33),
        ("unattributed", 2, 1_000, 0.166667, 0, None),
    ],
    "user": [
        ("u1", 2, 4_000, 0.666667, 1_500, 166.67),
        ("u2", 1, 2_000, 0.333333, 0, None),
        ("unattributed", 1, None, None, 0, None),
    ],
}


def _row_tuple(report: CostBreakdown, row: dict[str, Any]) -> tuple[Any, ...]:
    return (*(row[label] for label in report.labels), row["requests"],
            row["cost_microdollars"], row["share_of_cost"],
            row["previous_cost_microdollars"], row["cost_change_pct"])  # fmt: skip


@pytest.mark.parametrize("by", BY)
def test_breakdown_rows_by_hand(costs: Engine, by: Any) -> None:
    with costs.connect() as conn:
        report = cost_breakdown(conn, WINDOW, BILLABLE, by)
    assert [_row_tuple(report, row) for row in report.rows] == EXPECTED_ROWS[by]
    assert report.total["groups"] == len(EXPECTED_ROWS[by])
    assert report.rest["groups"] == 0 and report.rest["requests"] == 0


@pytest.mark.parametrize("by", BY)
@pytest.mark.parametrize("limit", [1, 2, 50])
def test_breakdown_reconciles_with_the_summary(costs: Engine, by: Any, limit: int) -> None:
    """rows + rest = total = the summary, for every figure; shares are of the true total."""
    with costs.connect() as conn:
        summary = cost_summary(conn, WINDOW, BILLABLE).current
        report = cost_breakdown(conn, WINDOW, BILLABLE, by, limit)
    assert len(report.rows) == min(limit, report.total["groups"])
    for name in ("requests", "priced_requests", "unpriced_requests", "tokens",
                 "unpriced_tokens", "cost_microdollars"):  # fmt: skip
        assert report.total[name] == summary[name], name
        shown = sum(row[name] or 0 for row in report.rows)
        assert shown + (report.rest[name] or 0) == summary[name], name
    assert report.rest["groups"] + len(report.rows) == report.total["groups"]
    shares = [row["share_of_requests"] for row in report.rows] + [report.rest["share_of_requests"]]
    assert sum(shares) == pytest.approx(1.0, abs=1e-5)
    for row in report.rows:
        assert row["share_of_requests"] == round(row["requests"] / summary["requests"], 6)


def test_unattributed_rows_hold_requests_without_agent_or_user(costs: Engine) -> None:
    with costs.connect() as conn:
        agents = cost_breakdown(conn, WINDOW, BILLABLE, "agent")
        users = cost_breakdown(conn, WINDOW, BILLABLE, "user")
    flagged = {row["agent"]: row["unattributed"] for row in agents.rows}
    assert flagged == {"research": False, "unattributed": True}
    nobody = next(row for row in users.rows if row["unattributed"])
    # Only the unpriced request has no user: its cost is unknown, not $0.
    assert (nobody["user_id"], nobody["requests"], nobody["unpriced_requests"]) == (
        "unattributed", 1, 1)  # fmt: skip
    assert nobody["cost_microdollars"] is None and nobody["cost_usd"] is None


def test_rest_of_unpriced_groups_has_an_unknown_cost(costs: Engine) -> None:
    with costs.connect() as conn:
        report = cost_breakdown(conn, WINDOW, BILLABLE, "user", limit=2)
    assert report.rest["groups"] == 1 and report.rest["unpriced_requests"] == 1
    assert report.rest["cost_microdollars"] is None


@pytest.mark.parametrize("by", BY)
def test_synthetic_requests_are_excluded_from_every_breakdown_unless_asked(
    costs: Engine, by: Any
) -> None:
    with costs.connect() as conn:
        default = cost_breakdown(conn, WINDOW, BILLABLE, by)
        everything = cost_breakdown(conn, WINDOW, ALL, by)
    assert default.total["cost_microdollars"] == 6_000
    assert everything.total["cost_microdollars"] == 15_000
    assert sum(row["cost_microdollars"] or 0 for row in everything.rows) == 15_000
    if by == "agent":
        assert "eval" not in {row["agent"] for row in default.rows}
        assert "eval" in {row["agent"] for row in everything.rows}


def test_trends_are_zero_filled_and_keep_unknown_costs_unknown(costs: Engine) -> None:
    with costs.connect() as conn:
        report = cost_trends(conn, WINDOW, BILLABLE, "hour")
        summary = cost_summary(conn, WINDOW, BILLABLE).current
    series = report.series
    assert len(series) == 24
    by_bucket = {row["bucket"]: row for row in series}
    busy = by_bucket[(NOW - timedelta(hours=5)).isoformat()]
    assert (busy["requests"], busy["cost_microdollars"], busy["tokens"]) == (2, 5_000, 450)
    only_unpriced = by_bucket[(NOW - timedelta(hours=2)).isoformat()]
    assert only_unpriced["requests"] == 1 and only_unpriced["cost_microdollars"] is None
    quiet = by_bucket[(NOW - timedelta(hours=10)).isoformat()]
    assert (quiet["requests"], quiet["cost_microdollars"], quiet["cost_usd"]) == (0, 0, 0.0)
    synthetic_hour = by_bucket[(NOW - timedelta(hours=1)).isoformat()]
    assert synthetic_hour["requests"] == 0
    for name in ("requests", "unpriced_requests", "tokens", "cost_microdollars"):
        assert sum(row[name] or 0 for row in series) == summary[name]


def test_unpriced_models_list_requests_and_tokens_by_kind(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_fixture(conn)
        add_ai_request(conn, NOW - timedelta(hours=4), **UNPRICED,
                       **tokens(10, 20, cache_read_tokens=30, reasoning_tokens=5))  # fmt: skip
        add_ai_request(conn, NOW - timedelta(hours=4), provider="local", model="llama-x",
                       cost_microdollars=None, **tokens(1, 1))  # fmt: skip
        add_ai_request(conn, NOW - timedelta(hours=4), provider="local", model="llama-x",
                       cost_microdollars=None, is_synthetic=True, **tokens(1, 1))  # fmt: skip
    with db_engine.connect() as conn:
        report = unpriced_models(conn, WINDOW, BILLABLE, limit=1)
        everything = unpriced_models(conn, WINDOW, ALL)
    (acme,) = report.rows
    assert (acme["provider"], acme["model"], acme["requests"]) == ("acme", "acme-llm-2", 2)
    assert (acme["input_tokens"], acme["output_tokens"], acme["cache_read_tokens"],
            acme["reasoning_tokens"], acme["total_tokens"]) == (410, 120, 30, 5, 565)  # fmt: skip
    assert acme["share_of_requests"] == round(2 / 6, 6)
    assert acme["first_seen_at"] == (NOW - timedelta(hours=4)).isoformat()
    assert acme["last_seen_at"] == (NOW - timedelta(hours=2)).isoformat()
    assert report.total["requests"] == 6 and report.total["unpriced_requests"] == 3
    assert report.total["unpriced_total_tokens"] == 567 and report.total["models"] == 2
    assert report.rest == {"requests": 1, "input_tokens": 1, "output_tokens": 1,
                           "cache_read_tokens": 0, "cache_write_tokens": 0,
                           "reasoning_tokens": 0, "total_tokens": 2, "models": 1,
                           "share_of_requests": round(1 / 6, 6)}  # fmt: skip
    llama = next(row for row in everything.rows if row["model"] == "llama-x")
    assert llama["requests"] == 2


def test_empty_window_reports_zero_cost_not_unknown(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        summary = cost_summary(conn, WINDOW, BILLABLE).to_dict()
        report = cost_breakdown(conn, WINDOW, BILLABLE, "model")
    assert summary["cost_microdollars"]["current"] == 0
    assert summary["avg_cost_per_priced_request_microdollars"]["current"] is None
    assert report.rows == [] and report.total["groups"] == 0
    assert report.rest["share_of_cost"] is None


def test_bad_limit_and_dimension_name_the_field(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        with pytest.raises(InvalidInputError) as error:
            cost_breakdown(conn, WINDOW, BILLABLE, "model", limit=0)
        assert error.value.field == "limit"
        with pytest.raises(InvalidInputError) as error:
            cost_breakdown(conn, WINDOW, BILLABLE, "team")  # type: ignore[arg-type]
        assert error.value.field == "by"
        with pytest.raises(InvalidInputError):
            unpriced_models(conn, WINDOW, BILLABLE, limit=10_001)


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(1, "hour"), (48, "hour"), (49, "day"), (24 * 90, "day"), (24 * 91, "month")],
)
def test_auto_granularity(hours: int, expected: str) -> None:
    assert auto_granularity(Period(NOW - timedelta(hours=hours), NOW)) == expected
