"""Platform activity over time: per bucket, human sessions started, conversations started,
agent tasks started, AI requests (synthetic excluded by default) and tool executions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, true
from sqlalchemy.sql import FromClause

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.buckets import zero_filled
from systemprompt_analytics.reports.definitions import in_period
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.rollup_facts import (
    ai_facts,
    count_of_rows,
    cuts,
    human_row,
    reader,
    request_filter_on,
)
from systemprompt_analytics.reports.trend_series import TrendSeries
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket
from systemprompt_analytics.storage.rollups import RollupReader
from systemprompt_analytics.storage.schema import agent_tasks, conversations

ACTIVITY_METRICS = ("sessions", "conversations", "agent_tasks", "ai_requests", "tool_executions")


def _raw_sources() -> list[tuple[str, Any]]:
    """(metric, time column) of each activity counted from its own rows."""
    return [
        ("conversations", conversations.c.started_at),
        ("agent_tasks", agent_tasks.c.started_at),
    ]


def _rollup_sources(
    source: RollupReader, period: Period, days: bool, include_synthetic: bool
) -> list[tuple[str, FromClause, Any, ColumnElement[bool]]]:
    """(metric, rollup rows, what a row counts, which rows) of each activity from a rollup."""
    boundaries = cuts(period)
    visits = source.facts("sessions", boundaries, days=days)
    billable = RequestFilter(include_synthetic)
    requests = ai_facts(source, boundaries, billable, days=days)
    tools = source.facts("tool_executions", boundaries, days=days)
    return [
        ("sessions", visits, visits.c.sessions, human_row(visits)),
        ("ai_requests", requests, requests.c.requests, request_filter_on(billable, requests.c)),
        ("tool_executions", tools, tools.c.executions, true()),
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
    *,
    use_rollups: bool = True,
) -> ActivityTrends:
    """Each activity counted per bucket (UTC, zero-filled), and over the whole window."""
    dialect_name = conn.dialect.name
    rows: dict[Any, dict[str, Any]] = {}
    for name, column in _raw_sources():
        bucket = time_bucket(dialect_name, column, granularity).label("bucket")
        statement = (
            select(bucket, func.count())
            .select_from(column.table)
            .where(in_period(column, period))
            .group_by(bucket)
        )
        for value, count in conn.execute(statement):
            rows.setdefault(bucket_start(value), {})[name] = int(count)
    days = granularity != "hour"
    source = reader(conn, use_rollups)
    for name, facts, counted, which in _rollup_sources(source, period, days, include_synthetic):
        bucket = time_bucket(dialect_name, facts.c.bucket_at, granularity).label("bucket")
        statement = (
            select(bucket, count_of_rows(counted, which)(true()))
            .where(in_period(facts.c.bucket_at, period))
            .group_by(bucket)
        )
        for value, count in conn.execute(statement):
            rows.setdefault(bucket_start(value), {})[name] = int(count)
    series = zero_filled(period, granularity, rows, ACTIVITY_METRICS)
    totals = {name: sum(point[name] for point in series) for name in ACTIVITY_METRICS}
    options = {"include_synthetic": include_synthetic}
    return ActivityTrends(
        TrendSeries(period, granularity, ACTIVITY_METRICS, series, options), totals
    )
