"""Activity trends on both databases: every activity per day, zero-filled, bots and synthetic
requests left out by default, totals equal to the sum of the buckets."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.activity import ACTIVITY_METRICS, activity_trends
from tests.factories import (
    add_agent_task,
    add_ai_request,
    add_conversation,
    add_session,
    add_tool_execution,
)

PERIOD = Period(datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
DAY1 = datetime(2026, 11, 24, 10, tzinfo=UTC)
DAY3 = datetime(2026, 11, 26, 23, 59, tzinfo=UTC)


def test_each_activity_per_day_zero_filled(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_session(conn, at=DAY1)
        add_session(conn, at=DAY1, is_ai_crawler=True)  # a bot: not a session here
        add_conversation(conn, at=DAY1)
        add_agent_task(conn, at=DAY3)
        add_ai_request(conn, at=DAY1)
        add_ai_request(conn, at=DAY3)
        add_ai_request(conn, at=DAY3, is_synthetic=True)
        add_tool_execution(conn, at=DAY3, status="failed")
        add_tool_execution(conn, at=PERIOD.until)  # the end instant: outside
        report = activity_trends(conn, PERIOD, "day")
        with_synthetic = activity_trends(conn, PERIOD, "day", include_synthetic=True)
    series = report.trends.series
    assert [row["bucket"][:10] for row in series] == ["2026-11-24", "2026-11-25", "2026-11-26"]
    assert [tuple(row[name] for name in ACTIVITY_METRICS) for row in series] == [
        (1, 1, 0, 1, 0),
        (0, 0, 0, 0, 0),
        (0, 0, 1, 1, 1),
    ]
    assert report.totals == {
        "sessions": 1,
        "conversations": 1,
        "agent_tasks": 1,
        "ai_requests": 2,
        "tool_executions": 1,
    }
    assert with_synthetic.totals["ai_requests"] == 3
    data = report.to_dict()
    assert data["group_by"] == "day" and data["include_synthetic"] is False
    assert data["series"] == series


def test_weeks_start_on_monday_and_an_empty_database_gives_zeros(db_engine: Engine) -> None:
    period = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC))
    with db_engine.connect() as conn:
        series = activity_trends(conn, period, "week").trends.series
    # 2026-11-01 is a Sunday: its week starts on Monday 26 October.
    assert [row["bucket"][:10] for row in series] == ["2026-10-26", "2026-11-02", "2026-11-09"]
    assert all(row[name] == 0 for row in series for name in ACTIVITY_METRICS)
