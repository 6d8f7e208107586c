"""Every platform report on the demo data, on both databases: non-empty, internally consistent
(breakdowns add up to their totals) and consistent with each other and with plain SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, func, select

from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.activity import activity_trends
from systemprompt_analytics.reports.agents import agent_list, agent_show, agent_stats, agent_trends
from systemprompt_analytics.reports.conversations import (
    ConversationOrder,
    conversation_list,
    conversation_stats,
    conversation_trends,
)
from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.reports.tools import tool_list, tool_show, tool_stats, tool_trends
from systemprompt_analytics.reports.users import top_users, user_stats
from systemprompt_analytics.storage.schema import ai_requests, users

END = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
DAYS = 3
# The whole demo window (and a previous period before it, empty).
PERIOD = Period(END - timedelta(days=DAYS), END)
EVERYTHING = 10_000  # a --limit that shows every row
# Seed 9 gives, at this small size, agents with every outcome (completed, failed, canceled,
# still working); every seed gives failing and timed-out tools and long conversations.
SEED = 9


@pytest.fixture
def demo(db_engine: Engine) -> Engine:
    generate_demo(db_engine, days=DAYS, sessions=600, seed=SEED, end=END)
    return db_engine


def _agent_cost_in_sql(conn: Connection, include_synthetic: bool) -> int:
    a = ai_requests.c
    statement = select(func.coalesce(func.sum(a.cost_microdollars), 0)).where(
        a.requested_at >= PERIOD.since, a.requested_at < PERIOD.until, a.agent_name.is_not(None)
    )
    if not include_synthetic:
        statement = statement.where(a.is_synthetic.is_(False))
    return int(conn.execute(statement).scalar_one())


def test_agent_reports_add_up(demo: Engine) -> None:
    with demo.connect() as conn:
        listed = agent_list(conn, PERIOD, EVERYTHING)
        with_synthetic = agent_list(conn, PERIOD, EVERYTHING, include_synthetic=True)
        stats = agent_stats(conn, PERIOD, EVERYTHING)
        shows = {row["agent"]: agent_show(conn, PERIOD, row["agent"]) for row in listed.agents.rows}
        trends = agent_trends(conn, PERIOD, "day")
        sql_cost = _agent_cost_in_sql(conn, include_synthetic=False)
        sql_cost_all = _agent_cost_in_sql(conn, include_synthetic=True)
    rows, totals = listed.agents.rows, listed.totals
    assert len(rows) == totals["agents"] == listed.agents.total_rows >= 4
    assert sum(row["tasks"] for row in rows) == totals["tasks"] > 0
    assert sum(row["cost_microdollars"] for row in rows) == totals["cost_microdollars"] == sql_cost
    assert with_synthetic.totals["cost_microdollars"] == sql_cost_all > sql_cost
    assert sum(row["share_of_tasks"] for row in rows) == pytest.approx(1.0, abs=1e-5)
    figures = stats.figures
    assert figures["tasks"].current == totals["tasks"]
    assert figures["cost_microdollars"].current == sql_cost
    breakdown = {row["status"]: row["tasks"] for row in stats.status_breakdown}
    assert sum(breakdown.values()) == totals["tasks"]
    # Mixed outcomes: some completed, some failed, some canceled, some still running.
    assert all(breakdown[status] > 0 for status in ("completed", "failed", "canceled", "working"))
    success_rate = figures["success_rate"].current
    assert success_rate is not None and 0 < success_rate < 1
    assert sum(row["tasks"] for row in stats.top_errors.rows) == figures["failed"].current
    assert sum(row["tasks"] for row in stats.hourly_distribution) == totals["tasks"]
    for row in rows:
        shown = shows[row["agent"]]
        assert shown.figures["tasks"].current == row["tasks"]
        assert shown.figures["cost_microdollars"].current == row["cost_microdollars"]
        assert sum(status["tasks"] for status in shown.status_breakdown) == row["tasks"]
    assert sum(point["tasks"] for point in trends.series) == totals["tasks"]
    assert sum(point["cost_microdollars"] for point in trends.series) == sql_cost


def test_tool_reports_add_up(demo: Engine) -> None:
    with demo.connect() as conn:
        listed = tool_list(conn, PERIOD, EVERYTHING)
        stats = tool_stats(conn, PERIOD, EVERYTHING)
        fetch = tool_show(conn, PERIOD, "web.fetch", EVERYTHING)
        trends = tool_trends(conn, PERIOD, "day")
    rows, totals = listed.tools.rows, listed.totals
    executions = totals["executions"]
    assert len(rows) == listed.tools.total_rows >= 5
    assert sum(row["executions"] for row in rows) == executions > 0
    figures = stats.figures
    assert figures["executions"].current == executions
    statuses = {row["status"]: row["executions"] for row in stats.status_breakdown}
    assert sum(statuses.values()) == executions
    assert statuses["failed"] > 0 and statuses["timeout"] > 0  # failing tools
    failures = executions - statuses["success"]
    assert sum(row["executions"] for row in stats.top_errors.rows) == failures
    assert sum(row["executions"] for row in stats.by_agent.rows) == executions
    assert sum(row["executions"] for row in stats.by_server.rows) == executions
    assert figures["success_rate"].current == round(statuses["success"] / executions, 6)
    fetch_row = next(row for row in rows if row["tool"] == "web.fetch")
    assert fetch.figures["executions"].current == fetch_row["executions"]
    assert fetch.figures["p95_duration_ms"].current == fetch_row["p95_duration_ms"]
    assert sum(point["executions"] for point in trends.series) == executions


def test_conversation_and_user_reports_add_up(demo: Engine) -> None:
    with demo.connect() as conn:
        stats = conversation_stats(conn, PERIOD, EVERYTHING)
        listed = conversation_list(conn, PERIOD, EVERYTHING, ConversationOrder.messages)
        trends = conversation_trends(conn, PERIOD, "day")
        people = user_stats(conn, END)
        top = top_users(conn, PERIOD, EVERYTHING)
        user_count = conn.execute(select(func.count()).select_from(users)).scalar_one()
    started = stats.figures["started"].current
    assert started == listed.conversations.total_rows == len(listed.conversations.rows) > 0
    assert sum(row["conversations"] for row in stats.by_agent.rows) == started
    lengths = [row["messages"] for row in listed.conversations.rows]
    assert lengths == sorted(lengths, reverse=True)
    assert lengths[0] >= 40  # long conversations
    assert stats.longest[0]["messages"] == lengths[0]
    assert stats.figures["avg_messages_per_conversation"].current == round(
        sum(lengths) / started, 2
    )
    assert sum(point["conversations"] for point in trends.series) == started
    assert sum(point["messages"] for point in trends.series) == stats.figures["messages"].current
    assert people.totals["users"] == user_count > 0
    assert people.totals["registered"] > 0 and people.totals["anonymous"] > 0
    assert people.windows["24h"]["active_users"].current
    requests = sum(row["ai_requests"] for row in top.users.rows)
    assert requests + top.totals["unattributed_requests"] == top.totals["ai_requests"]
    # A user whose every request is unpriced has an unknown cost (None), which adds nothing.
    cost = sum(row["cost_microdollars"] or 0 for row in top.users.rows)
    assert cost + top.totals["unattributed_cost_microdollars"] == top.totals["cost_microdollars"]
    assert top.rest["users"] == 0 and top.rest["ai_requests"] == 0


def test_activity_agrees_with_every_other_report(demo: Engine) -> None:
    now = END
    with demo.connect() as conn:
        activity = activity_trends(conn, PERIOD, "day")
        glance = overview(conn, PERIOD, now)
        agents = agent_list(conn, PERIOD, EVERYTHING)
        tools = tool_list(conn, PERIOD, EVERYTHING)
        conversations = conversation_stats(conn, PERIOD)
    totals = activity.totals
    assert len(activity.trends.series) == DAYS + 1  # the window starts mid-day
    assert all(value > 0 for value in totals.values())
    assert totals["sessions"] == glance.sections["sessions"]["created"].current  # type: ignore[union-attr]
    assert totals["ai_requests"] == glance.sections["requests"]["count"].current  # type: ignore[union-attr]
    assert totals["agent_tasks"] == agents.totals["tasks"]
    assert totals["tool_executions"] == tools.totals["executions"]
    assert totals["conversations"] == conversations.figures["started"].current
    assert all(glance.leaderboards[name] for name in ("agents", "tools", "users"))
