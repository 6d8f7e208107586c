"""Platform activity over time: per bucket, human sessions started, conversations started,
agent tasks started, AI requests (synthetic excluded by default) and tool executions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.buckets import zero_filled
from systemprompt_analytics.reports.definitions import (
    billable_ai_request,
    human_session,
    in_period,
)
from systemprompt_analytics.reports.trend_series import TrendSeries
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    ai_requests,
    conversations,
    sessions,
    tool_executions,
)

ACTIVITY_METRICS = ("sessions", "conversations", "agent_tasks", "ai_requests", "tool_executions")


def _sources(include_synthetic: bool) -> list[tuple[str, Any, ColumnElement[bool] | None]]:
    """(metric, time column, extra condition) of each activity counted."""
    return [
        ("sessions", sessions.c.started_at, human_session()),
        ("conversations", conversations.c.started_at, None),
        ("agent_tasks", agent_tasks.c.started_at, None),
        ("ai_requests", ai_requests.c.requested_at, billable_ai_request(include_synthetic)),
        ("tool_executions", tool_executions.c.started_at, None),
    ]


@dataclass(frozen=True)
class ActivityTrends:
    trends: TrendSeries
    totals: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {**self.trends.to_dict(), "totals": self.totals}


def activity_trends(
    conn: Connection,
    period: Period,
    granularity: Granularity = "day",
    include_synthetic: bool = False,
) -> ActivityTrends:
    """Each activity counted per bucket (UTC, zero-filled), and over the whole window."""
    dialect_name = conn.dialect.name
    rows: dict[Any, dict[str, Any]] = {}
    for name, column, condition in _sources(include_synthetic):
        window = in_period(column, period)
        if condition is not None:
            window = and_(window, condition)
        bucket = time_bucket(dialect_name, column, granularity).label("bucket")
        statement = (
            select(bucket, func.count()).select_from(column.table).where(window).group_by(bucket)
        )
        for value, count in conn.execute(statement):
            rows.setdefault(bucket_start(value), {})[name] = int(count)
    series = zero_filled(period, granularity, rows, ACTIVITY_METRICS)
    totals = {name: sum(point[name] for point in series) for name in ACTIVITY_METRICS}
    options = {"include_synthetic": include_synthetic}
    return ActivityTrends(
        TrendSeries(period, granularity, ACTIVITY_METRICS, series, options), totals
    )
