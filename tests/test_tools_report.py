"""Tool reports on both databases: success rate = success / all, latency percentiles, status
breakdown, top errors, usage by agent and server, shares of the true total, trends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.tools import (
    NO_AGENT,
    NO_SERVER,
    OTHER_ERRORS,
    tool_list,
    tool_show,
    tool_stats,
    tool_trends,
)
from tests.factories import add_tool_execution

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(hours=24), NOW)
IN = NOW - timedelta(hours=3)
BEFORE = NOW - timedelta(hours=30)


def test_success_rate_is_success_over_every_execution(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for status in ("success", "success", "success", "failed", "timeout"):
            add_tool_execution(conn, at=IN, tool_name="web.search", status=status)
        add_tool_execution(conn, at=BEFORE, tool_name="web.search", status="failed")
        add_tool_execution(conn, at=BEFORE, tool_name="web.search", status="success")
        (row,) = tool_list(conn, PERIOD).tools.rows
        stats = tool_stats(conn, PERIOD)
    assert (row["executions"], row["succeeded"], row["failed"], row["timeouts"]) == (5, 3, 1, 1)
    assert row["success_rate"] == 0.6
    rate = stats.figures["success_rate"]
    assert (rate.current, rate.previous, rate.change_pts) == (0.6, 0.5, 10.0)
    breakdown = [(row["status"], row["executions"]) for row in stats.status_breakdown]
    assert breakdown == [("success", 3), ("failed", 1), ("timeout", 1)]
    assert sum(count for _, count in breakdown) == stats.figures["executions"].current


def test_latency_average_and_p95(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for duration in (100, 200, 300, 400, 500):
            add_tool_execution(conn, at=IN, tool_name="db.query", duration_ms=duration)
        add_tool_execution(conn, at=IN, tool_name="db.query", duration_ms=None)
        (row,) = tool_list(conn, PERIOD).tools.rows
        stats = tool_stats(conn, PERIOD)
    assert row["avg_duration_ms"] == 300.0
    assert row["p95_duration_ms"] == 480.0
    assert stats.figures["p95_duration_ms"].current == 480.0
    assert stats.figures["p95_duration_ms"].previous is None


def test_tools_are_listed_per_server_with_shares_of_every_execution(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for _ in range(3):
            add_tool_execution(conn, at=IN, tool_name="search", server_name="web")
        for _ in range(2):
            add_tool_execution(conn, at=IN, tool_name="search", server_name="intranet")
        add_tool_execution(conn, at=IN, tool_name="read", server_name=None)
        report = tool_list(conn, PERIOD, limit=2)
        everything = tool_list(conn, PERIOD)
    assert [(row["tool"], row["server"], row["executions"]) for row in report.tools.rows] == [
        ("search", "web", 3),
        ("search", "intranet", 2),
    ]
    assert report.tools.rows[0]["share_of_executions"] == 0.5
    assert report.tools.total_rows == 3
    assert report.totals["executions"] == 6
    assert report.rest == {
        "executions": 1,
        "succeeded": 1,
        "failed": 0,
        "timeouts": 0,
        "tools": 1,
        "success_rate": 1.0,
        "share_of_executions": 0.166667,
    }
    assert ("read", NO_SERVER, 1) in {
        (row["tool"], row["server"], row["executions"]) for row in everything.tools.rows
    }


def test_top_errors_and_usage_by_agent_and_server(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_tool_execution(
            conn,
            at=IN,
            status="timeout",
            error_message="timed out",
            agent_name="research",
            server_name="web",
        )
        add_tool_execution(
            conn,
            at=IN,
            status="timeout",
            error_message="timed out",
            agent_name="research",
            server_name="web",
        )
        add_tool_execution(
            conn,
            at=IN,
            status="failed",
            error_message="403",
            agent_name="research",
            server_name="web",
        )
        add_tool_execution(conn, at=IN, status="failed", error_message="500", server_name="web")
        add_tool_execution(conn, at=IN, status="success", agent_name="support", server_name="slack")
        add_tool_execution(conn, at=IN, status="success", agent_name=None, server_name="slack")
        stats = tool_stats(conn, PERIOD, limit=1)
    assert stats.top_errors.rows == [
        {"error": "timed out", "executions": 2, "share_of_all": 0.5},
        {"error": OTHER_ERRORS, "executions": 2, "share_of_all": 0.5},
    ]
    assert stats.top_errors.total_rows == 3
    (agent,) = stats.by_agent.rows
    assert agent["agent"] == "research" and agent["executions"] == 3
    assert agent["share_of_all"] == 0.5  # of all six executions, not of the rows shown
    assert agent["success_rate"] == 0.0
    assert stats.by_agent.total_rows == 3  # research, support, (no agent)
    (server,) = stats.by_server.rows
    assert (server["server"], server["executions"], server["success_rate"]) == ("web", 4, 0.0)
    with db_engine.connect() as conn:
        everything = tool_stats(conn, PERIOD, limit=10)
    assert {row["agent"] for row in everything.by_agent.rows} == {"research", "support", NO_AGENT}
    assert sum(row["executions"] for row in everything.by_server.rows) == 6


def test_show_is_one_tool_and_an_unknown_tool_names_the_argument(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_tool_execution(conn, at=IN, tool_name="web.fetch", status="failed", error_message="x")
        add_tool_execution(conn, at=IN, tool_name="web.search")
        shown = tool_show(conn, PERIOD, "web.fetch")
        with pytest.raises(InvalidInputError) as caught:
            tool_show(conn, PERIOD, "web.nothing")
    assert shown.tool == "web.fetch"
    assert "tools" not in shown.figures
    assert shown.figures["executions"].current == 1
    assert shown.figures["success_rate"].current == 0.0
    assert caught.value.field == "NAME"
    assert "web.fetch, web.search" in caught.value.problem


def test_trends_are_zero_filled_and_latency_is_none_without_executions(db_engine: Engine) -> None:
    period = Period(datetime(2026, 11, 27, 6, tzinfo=UTC), datetime(2026, 11, 27, 9, tzinfo=UTC))
    with db_engine.begin() as conn:
        add_tool_execution(conn, at=datetime(2026, 11, 27, 6, 10, tzinfo=UTC), duration_ms=100)
        add_tool_execution(
            conn, at=datetime(2026, 11, 27, 6, 20, tzinfo=UTC), status="timeout", duration_ms=300
        )
        add_tool_execution(conn, at=datetime(2026, 11, 27, 8, 59, tzinfo=UTC), duration_ms=50)
        series = tool_trends(conn, period, "hour").series
    assert [row["executions"] for row in series] == [2, 0, 1]
    assert [row["timeouts"] for row in series] == [1, 0, 0]
    assert [row["success_rate"] for row in series] == [0.5, None, 1.0]
    assert [row["avg_duration_ms"] for row in series] == [200.0, None, 50.0]
    assert [row["p95_duration_ms"] for row in series] == [290.0, None, 50.0]
