"""The dashboard's time charts, each from the report behind the CLI's ``trends`` command:
visitors and sessions (``sessions trends``), page views (``content trends``), AI requests
(``requests trends``) and cost (``costs trends``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from systemprompt_analytics.reports.content import content_trends
from systemprompt_analytics.reports.costs import cost_trends
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.requests import request_trends
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.sessions import session_trends
from systemprompt_analytics.web.server.dashboard.charts.models import Series, TimeChart, TimeStyle
from systemprompt_analytics.web.server.dashboard.numbers import Unit
from systemprompt_analytics.web.server.dashboard.window import DashboardWindow

# Distinct counts per bucket: a visitor of two buckets is one visitor of both, so the
# buckets do not add up to the period's figure (the overview card has that).
DISTINCT_COUNTS = frozenset({"visitors"})


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def chart_from_rows(
    key: str,
    title: str,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    window: DashboardWindow,
    unit: Unit = "count",
    style: TimeStyle = "line",
) -> TimeChart:
    """A chart of zero-filled report rows (``bucket`` plus one column per series)."""
    buckets = tuple(datetime.fromisoformat(row["bucket"]) for row in rows)
    series = tuple(
        Series(
            column,
            label,
            tuple(_number(row[column]) for row in rows),
            additive=column not in DISTINCT_COUNTS,
        )
        for column, label in columns
    )
    return TimeChart(key, title, unit, window.granularity, buckets, series, style)


def trend_charts(conn: Connection, window: DashboardWindow) -> list[TimeChart]:
    period, granularity = window.period, window.granularity
    humans = SessionFilter()
    billable = RequestFilter()
    sessions = session_trends(conn, period, granularity)
    pages = content_trends(conn, period, granularity, humans)
    requests = request_trends(conn, period, billable, granularity).series
    costs = cost_trends(conn, CostWindow(period, default=False), billable, granularity).series
    return [
        chart_from_rows(
            "visitors",
            "Visitors and sessions",
            sessions,
            [
                ("visitors", "Visitors"),
                ("sessions", "Human sessions"),
                ("bot_sessions", "Bot sessions"),
            ],
            window,
        ),
        chart_from_rows(
            "page-views", "Page views", pages, [("page_views", "Page views")], window, style="area"
        ),
        chart_from_rows(
            "ai-requests",
            "AI requests",
            requests,
            [("requests", "AI requests"), ("failed", "Failed")],
            window,
        ),
        chart_from_rows(
            "ai-cost", "AI cost (USD)", costs, [("cost_usd", "Cost")], window, "usd", "bars"
        ),
    ]
