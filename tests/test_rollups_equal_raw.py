"""Rollup-backed reports give exactly what the raw rows give, on the demo dataset (both
databases): every report that reads rollups, for windows aligned to days, ragged windows
(raw rows at both edges), hourly and weekly buckets, and with dirty hours (rows changed after
they were rolled up) that must be read raw until a refresh recomputes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, update

from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.activity import activity_trends
from systemprompt_analytics.reports.agents import agent_list, agent_show, agent_stats, agent_trends
from systemprompt_analytics.reports.bots import bot_traffic
from systemprompt_analytics.reports.costs import cost_summary, cost_trends
from systemprompt_analytics.reports.costs_breakdown import cost_breakdown, unpriced_models
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.reports.requests import model_usage, request_stats, request_trends
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.requests_list import request_list
from systemprompt_analytics.reports.sessions import session_stats, session_trends
from systemprompt_analytics.reports.tools import tool_list, tool_show, tool_stats, tool_trends
from systemprompt_analytics.reports.users import UserRanking, top_users
from systemprompt_analytics.storage.rollups import (
    ROLLUP_NAMES,
    RollupReader,
    rebuild_rollups,
    refresh_rollups,
)
from systemprompt_analytics.storage.rollups.source import SPLIT_RANGES
from systemprompt_analytics.storage.rollups.state import mark_dirty, read_coverage
from systemprompt_analytics.storage.schema import ai_requests, sessions, tool_executions
from tests.rollup_equality import DAYS, END, WINDOWS, Report, differences, rollup_rows

BILLABLE = RequestFilter()
EVERYTHING = RequestFilter(include_synthetic=True)
ONE_MODEL = RequestFilter(provider="anthropic", model="claude-sonnet-4-5")
FAILED = RequestFilter(status="error")  # the AI rollups do not group by status: read raw


def _window(period: Period) -> CostWindow:
    return CostWindow(period, default=False)


REPORTS: dict[str, Report] = {
    "costs summary": lambda c, p, r: cost_summary(c, _window(p), BILLABLE, use_rollups=r),
    "costs summary, synthetic": lambda c, p, r: cost_summary(
        c, _window(p), EVERYTHING, use_rollups=r
    ),
    "costs trends by hour": lambda c, p, r: cost_trends(
        c, _window(p), BILLABLE, "hour", use_rollups=r
    ),
    "costs trends by week": lambda c, p, r: cost_trends(
        c, _window(p), ONE_MODEL, "week", use_rollups=r
    ),
    **{
        f"costs breakdown by {by}": (
            lambda c, p, r, by=by: cost_breakdown(c, _window(p), BILLABLE, by, 3, use_rollups=r)
        )
        for by in ("model", "provider", "agent", "user")
    },
    "costs unpriced": lambda c, p, r: unpriced_models(c, _window(p), BILLABLE, use_rollups=r),
    "requests stats": lambda c, p, r: request_stats(c, p, BILLABLE, use_rollups=r),
    "requests stats, failed": lambda c, p, r: request_stats(c, p, FAILED, use_rollups=r),
    "requests list": lambda c, p, r: request_list(c, p, ONE_MODEL, 5, use_rollups=r),
    "requests models": lambda c, p, r: model_usage(c, p, EVERYTHING, 4, use_rollups=r),
    "requests trends by hour": lambda c, p, r: request_trends(
        c, p, BILLABLE, "hour", use_rollups=r
    ),
    "requests trends by day": lambda c, p, r: request_trends(c, p, BILLABLE, "day", use_rollups=r),
    "agents list": lambda c, p, r: agent_list(c, p, 2, use_rollups=r),
    "agents stats": lambda c, p, r: agent_stats(c, p, 3, True, use_rollups=r),
    "agents show": lambda c, p, r: agent_show(c, p, "research-agent", use_rollups=r),
    "agents trends": lambda c, p, r: agent_trends(c, p, "hour", use_rollups=r),
    "tools list": lambda c, p, r: tool_list(c, p, 4, use_rollups=r),
    "tools stats": lambda c, p, r: tool_stats(c, p, 3, use_rollups=r),
    "tools show": lambda c, p, r: tool_show(c, p, "web.fetch", use_rollups=r),
    "tools trends": lambda c, p, r: tool_trends(c, p, "day", use_rollups=r),
    "users top by requests": lambda c, p, r: top_users(c, p, 5, use_rollups=r),
    "users top by cost": lambda c, p, r: top_users(c, p, 5, UserRanking.cost, use_rollups=r),
    "activity trends": lambda c, p, r: activity_trends(c, p, "day", use_rollups=r),
    "activity trends by hour": lambda c, p, r: activity_trends(c, p, "hour", True, use_rollups=r),
    "traffic bots": lambda c, p, r: bot_traffic(c, p, 3, use_rollups=r),
    "sessions stats": lambda c, p, r: session_stats(c, p, p.until, use_rollups=r),
    "sessions trends": lambda c, p, r: session_trends(c, p, "day", use_rollups=r),
    "overview": lambda c, p, r: overview(c, p, p.until, use_rollups=r),
}


@pytest.fixture
def demo(db_engine: Engine) -> Engine:
    generate_demo(db_engine, days=DAYS, sessions=600, seed=5, end=END)
    rebuild_rollups(db_engine, datetime.now(UTC))
    return db_engine


def test_rollup_backed_reports_equal_the_raw_rows(demo: Engine) -> None:
    with demo.connect() as conn:
        coverage = read_coverage(conn, ["ai_requests", "sessions"])
        plan = RollupReader(conn).plan("ai_requests", [WINDOWS["ragged"].since, END])
    assert all(found.covered_until is not None for found in coverage.values())
    assert plan.daily and plan.hourly and plan.raw  # every tier is really read
    assert differences(demo, REPORTS) == []


def test_dirty_hours_are_read_raw_until_a_refresh_recomputes_them(demo: Engine) -> None:
    """Rows changed after their hours were rolled up (as a late write or a reprice would):
    the marked hours are read raw, so reports stay right; a refresh recomputes them."""
    before = rollup_rows(demo)
    hour = datetime(2026, 10, 31, 10, tzinfo=UTC)
    late = {hour, hour + timedelta(hours=1), hour + timedelta(hours=5)}
    with demo.begin() as conn:
        a, t, s = ai_requests.c, tool_executions.c, sessions.c
        conn.execute(
            update(ai_requests)
            .where(a.requested_at >= hour, a.requested_at < hour + timedelta(hours=1))
            .values(cost_microdollars=a.cost_microdollars + 1_000_000)
        )
        conn.execute(
            delete(tool_executions).where(
                t.started_at >= hour + timedelta(hours=5), t.started_at < hour + timedelta(hours=6)
            )
        )
        conn.execute(
            update(sessions)
            .where(s.started_at >= hour, s.started_at < hour + timedelta(hours=1))
            .values(is_behavioral_bot=True)
        )
        # The sessions' page views may reach into the next hour: it is marked too.
        mark_dirty(conn, dict.fromkeys(REPORT_ROLLUPS, late), datetime.now(UTC))
    assert rollup_rows(demo) == before  # the rollups are stale: only the marks save them
    assert differences(demo, REPORTS) == []
    result = refresh_rollups(demo, datetime.now(UTC), settle=timedelta(0))
    assert result.marks == len(REPORT_ROLLUPS) * len(late)
    with demo.connect() as conn:
        assert all(not found.dirty for found in read_coverage(conn, REPORT_ROLLUPS).values())
    refreshed = rollup_rows(demo)
    assert refreshed != before
    assert differences(demo, REPORTS) == []
    rebuild_rollups(demo, datetime.now(UTC))
    assert differences(demo, REPORTS) == []


# Every rollup: a changed session counts in every session-bound one (the writer marks them all).
REPORT_ROLLUPS = ROLLUP_NAMES


def test_many_scattered_dirty_hours_read_raw_in_one_branch(demo: Engine) -> None:
    """Each raw range of a window is read by a branch of its own, up to a few; past that
    (many scattered dirty hours) by one branch: the same figures either way."""
    first = datetime(2026, 10, 30, 16, tzinfo=UTC)
    scattered = {first + timedelta(hours=2 * n) for n in range(2 * SPLIT_RANGES)}
    with demo.begin() as conn:
        mark_dirty(conn, dict.fromkeys(REPORT_ROLLUPS, scattered), datetime.now(UTC))
    with demo.connect() as conn:
        plan = RollupReader(conn).plan("ai_requests", [WINDOWS["ragged"].since, END])
    assert len(plan.raw) > SPLIT_RANGES
    assert differences(demo, REPORTS) == []
