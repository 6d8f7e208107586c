"""Cost and request reports on a small demo dataset (both databases): every report has data,
and the reports agree with each other and with the raw rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.costs import cost_summary, cost_trends
from systemprompt_analytics.reports.costs_breakdown import cost_breakdown, unpriced_models
from systemprompt_analytics.reports.costs_window import CostWindow, cost_window
from systemprompt_analytics.reports.requests import model_usage, request_stats, request_trends
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.requests_list import request_list
from systemprompt_analytics.storage.schema import ai_requests

END = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
DAYS = 3
PERIOD = Period(END - timedelta(days=DAYS), END)
WINDOW = CostWindow(PERIOD, default=False)
BILLABLE = RequestFilter()
SUMMED = ("requests", "priced_requests", "unpriced_requests", "tokens", "unpriced_tokens",
          "cost_microdollars")  # fmt: skip


@pytest.fixture
def demo(db_engine: Engine) -> Engine:
    generate_demo(db_engine, days=DAYS, sessions=400, seed=3, end=END)
    return db_engine


def test_the_demo_covers_what_the_reports_show(demo: Engine) -> None:
    with demo.connect() as conn:
        models = model_usage(conn, PERIOD, BILLABLE, limit=50)
        stats = request_stats(conn, PERIOD, BILLABLE).current
        unpriced = unpriced_models(conn, WINDOW, BILLABLE)
        everything = request_stats(conn, PERIOD, RequestFilter(include_synthetic=True)).current
    assert len({row["provider"] for row in models.rows}) >= 3
    assert len(models.rows) >= 6
    assert [row["model"] for row in unpriced.rows] == ["acme-llm-2"]  # the unknown model
    for kind in ("cache_read", "cache_write", "reasoning"):
        assert stats[f"{kind}_tokens"] > 0, kind
    assert 0 < stats["failed"] < stats["requests"]
    assert everything["requests"] > stats["requests"]  # nightly evaluation runs


@pytest.mark.parametrize("by", ["model", "provider", "agent", "user"])
def test_breakdowns_reconcile_with_the_summary_and_the_raw_rows(demo: Engine, by: Any) -> None:
    with demo.connect() as conn:
        summary = cost_summary(conn, WINDOW, BILLABLE).current
        report = cost_breakdown(conn, WINDOW, BILLABLE, by, limit=3)
        raw = conn.execute(
            select(func.count(), func.sum(ai_requests.c.cost_microdollars)).where(
                ai_requests.c.requested_at >= PERIOD.since,
                ai_requests.c.requested_at < PERIOD.until,
                ai_requests.c.is_synthetic.is_(False),
            )
        ).one()
    assert summary["requests"] == raw[0] > 0
    assert summary["cost_microdollars"] == int(raw[1]) > 0
    assert len(report.rows) == 3 and report.rest["groups"] > 0
    for name in SUMMED:
        assert report.total[name] == summary[name], name
        shown = sum(row[name] or 0 for row in report.rows)
        assert shown + (report.rest[name] or 0) == summary[name], name
    # An unpriced-only rest (the unknown provider) has an unknown cost and no share of it.
    shares = [row["share_of_cost"] for row in report.rows] + [report.rest["share_of_cost"]]
    assert sum(share or 0 for share in shares) == pytest.approx(1.0, abs=1e-5)


def test_unattributed_rows_on_the_demo(demo: Engine) -> None:
    """Chat requests have no agent; evaluation runs have neither agent nor user."""
    with demo.connect() as conn:
        agents = cost_breakdown(conn, WINDOW, BILLABLE, "agent", limit=50).rows
        users = cost_breakdown(conn, WINDOW, BILLABLE, "user", limit=1000).rows
        all_users = cost_breakdown(conn, WINDOW, RequestFilter(True), "user", limit=1000).rows
    assert [row["agent"] for row in agents if row["unattributed"]] == ["unattributed"]
    assert not any(row["unattributed"] for row in users)
    assert [row["user_id"] for row in all_users if row["unattributed"]] == ["unattributed"]


def test_trends_unpriced_and_request_reports_agree(demo: Engine) -> None:
    with demo.connect() as conn:
        summary = cost_summary(conn, WINDOW, BILLABLE).current
        trends = cost_trends(conn, WINDOW, BILLABLE, "hour").series
        unpriced = unpriced_models(conn, WINDOW, BILLABLE)
        stats = request_stats(conn, PERIOD, BILLABLE).current
        models = model_usage(conn, PERIOD, BILLABLE, limit=4)
        request_series = request_trends(conn, PERIOD, BILLABLE, "day").series
        listed = request_list(conn, PERIOD, BILLABLE, limit=20)
    assert len(trends) == DAYS * 24
    for name in ("requests", "tokens", "unpriced_requests", "cost_microdollars"):
        assert sum(row[name] or 0 for row in trends) == summary[name], name
    assert unpriced.total["unpriced_requests"] == summary["unpriced_requests"]
    assert unpriced.total["unpriced_total_tokens"] == summary["unpriced_tokens"]
    assert stats["requests"] == summary["requests"]
    assert stats["total_tokens"] == summary["tokens"]
    assert stats["latency_p50_ms"] <= stats["latency_p95_ms"] <= stats["latency_p99_ms"]
    assert 0 < stats["cache_hit_rate"] < 1
    assert models.total["cost_microdollars"] == summary["cost_microdollars"]
    for name in ("requests", "failed", "total_tokens", "cost_microdollars"):
        assert (
            sum(row[name] or 0 for row in models.rows) + models.rest[name] == (models.total[name])
        ), name
    assert sum(row["requests"] for row in request_series) == stats["requests"]
    assert listed.matching == stats["requests"] and len(listed.rows) == 20
    times = [row["requested_at"] for row in listed.rows]
    assert times == sorted(times, reverse=True)


def test_the_default_window_widens_to_cover_the_demo(demo: Engine) -> None:
    now = END + timedelta(days=2)
    with demo.connect() as conn:
        window = cost_window(conn, None, None, now, BILLABLE)
        widened = cost_summary(conn, window, BILLABLE).current
        explicit = cost_summary(conn, WINDOW, BILLABLE).current
    assert window.used == "7d" and window.widened
    assert widened == explicit  # the 7 days hold the whole 3-day demo
