"""The overview report pins the metric definitions of DESIGN.md section 6, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.reports.overview import overview
from tests.factories import (
    add_agent_task,
    add_ai_request,
    add_conversation,
    add_request,
    add_session,
    add_tool_execution,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(hours=24), NOW)
IN = NOW - timedelta(hours=3)  # inside the period
BEFORE = NOW - timedelta(hours=30)  # inside the previous period


def _value(report: object, section: str, metric: str) -> Comparison:
    value = report.sections[section][metric]  # type: ignore[attr-defined]
    assert isinstance(value, Comparison)
    return value


def test_bots_never_count_as_humans_and_bot_share_is_of_the_true_total(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        human = add_session(conn, at=IN, visitor_hash="alice")
        add_session(conn, at=IN, visitor_hash="alice")  # same visitor, second session
        add_session(conn, at=IN, visitor_hash="bob")
        for flag in ("is_bot", "is_ai_crawler", "is_scanner", "is_behavioral_bot"):
            bot = add_session(conn, at=IN, visitor_hash=f"bot-{flag}", **{flag: True})
            add_request(conn, bot, at=IN)
        add_request(conn, human, at=IN)
        add_request(conn, human, at=IN + timedelta(minutes=1))
        add_request(conn, human, at=IN, kind="api")  # not a page view
        add_request(conn, human, at=IN, kind="asset")  # not a page view
        report = overview(conn, PERIOD, NOW)
    assert _value(report, "sessions", "created").current == 3
    assert _value(report, "sessions", "bot_sessions").current == 4
    assert _value(report, "sessions", "total").current == 7
    assert _value(report, "traffic", "visitors").current == 2
    assert _value(report, "traffic", "page_views").current == 2
    assert _value(report, "traffic", "bot_share").current == pytest.approx(4 / 7, abs=1e-6)


def test_window_is_half_open_and_previous_period_is_compared(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_session(conn, at=PERIOD.since)  # first instant: inside
        add_session(conn, at=PERIOD.until)  # end instant: outside both periods
        add_session(conn, at=PERIOD.until - timedelta(microseconds=1))  # inside
        add_session(conn, at=BEFORE)  # previous period
        add_session(conn, at=PERIOD.previous.since - timedelta(seconds=1))  # before both
        report = overview(conn, PERIOD, NOW)
    created = _value(report, "sessions", "created")
    assert (created.current, created.previous) == (2, 1)
    assert created.change_pct == 100.0
    assert created.to_dict() == {"current": 2, "previous": 1, "change_pct": 100.0}


def test_active_now_means_open_human_and_recent(db_engine: Engine) -> None:
    recent = NOW - timedelta(minutes=5)
    with db_engine.begin() as conn:
        add_session(conn, at=recent, ended_at=None)  # active
        add_session(conn, at=recent, ended_at=None, last_activity_at=NOW - timedelta(minutes=31))
        add_session(conn, at=recent)  # ended
        add_session(conn, at=recent, ended_at=None, is_bot=True)  # bot
        add_session(conn, at=recent, ended_at=None, revoked_at=recent)  # revoked
        report = overview(conn, PERIOD, NOW)
    assert report.sections["sessions"]["active_now"] == 1


def test_ai_requests_and_cost_exclude_synthetic_and_keep_unpriced_apart(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_ai_request(conn, at=IN, total_tokens=100, cost_microdollars=2_500_000, latency_ms=100)
        add_ai_request(conn, at=IN, total_tokens=300, cost_microdollars=500_000, latency_ms=300)
        add_ai_request(
            conn, at=IN, total_tokens=50, cost_microdollars=None, is_priced=False, latency_ms=200
        )
        add_ai_request(
            conn, at=IN, total_tokens=10_000, cost_microdollars=9_000_000, is_synthetic=True
        )
        add_ai_request(conn, at=BEFORE, total_tokens=20, cost_microdollars=1_000_000)
        report = overview(conn, PERIOD, NOW)
    assert _value(report, "requests", "count").current == 3
    assert _value(report, "requests", "tokens").current == 450
    assert _value(report, "requests", "avg_latency_ms").current == 200.0
    cost = _value(report, "costs", "total_usd")
    assert (cost.current, cost.previous) == (3.0, 1.0)
    assert cost.change_pct == 200.0
    assert _value(report, "costs", "total_microdollars").current == 3_000_000
    assert _value(report, "costs", "unpriced_requests").current == 1


def test_success_rates_use_their_one_definition(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for status in ("success", "success", "success", "failed", "timeout"):
            add_tool_execution(conn, at=IN, status=status)
        add_tool_execution(conn, at=BEFORE, status="success")
        add_tool_execution(conn, at=BEFORE, status="failed")
        for status in ("completed", "completed", "completed", "failed", "working", "submitted"):
            add_agent_task(conn, at=IN, status=status)
        report = overview(conn, PERIOD, NOW)
    tools = _value(report, "tools", "success_rate")
    assert (tools.current, tools.previous) == (0.6, 0.5)
    assert tools.to_dict() == {"current": 0.6, "previous": 0.5, "change_pts": 10.0}
    assert _value(report, "tools", "executions").current == 5
    # Unfinished tasks (working, submitted) are not in the denominator.
    assert _value(report, "agents", "success_rate").current == 0.75
    assert _value(report, "agents", "tasks").current == 6
    assert _value(report, "agents", "success_rate").previous is None


def test_conversations_and_messages(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_conversation(conn, at=IN, messages=4)
        add_conversation(conn, at=IN, messages=2)
        add_conversation(conn, at=BEFORE, messages=3)
        report = overview(conn, PERIOD, NOW)
    started = _value(report, "conversations", "started")
    assert (started.current, started.previous) == (2, 1)
    assert _value(report, "conversations", "messages").current == 6


def test_empty_database_gives_zeros_not_errors(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        data = overview(conn, PERIOD, NOW).to_dict()
    assert data["sessions"]["created"] == {"current": 0, "previous": 0, "change_pct": None}
    assert data["traffic"]["bot_share"] == {"current": None, "previous": None, "change_pts": None}
    assert data["costs"]["total_usd"]["current"] == 0.0
    for key in ("period", "sessions", "traffic", "requests", "costs", "tools", "agents"):
        assert key in data
    assert "conversations" in data
