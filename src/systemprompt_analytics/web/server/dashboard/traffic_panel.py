"""Top pages, channels, sources, countries and devices: the CLI's ``content top`` and
``traffic sources|geo|devices`` over human sessions, shares of the true total."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from systemprompt_analytics.reports.content import top_content
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.traffic import traffic_devices, traffic_geo, traffic_sources
from systemprompt_analytics.web.server.dashboard.charts.models import Bar, BarChart
from systemprompt_analytics.web.server.dashboard.numbers import fmt_count, fmt_rate
from systemprompt_analytics.web.server.dashboard.window import DashboardWindow

ROWS = 8


def ranked_bars(
    key: str,
    title: str,
    rows: Iterable[Mapping[str, Any]],
    label: str,
    count: str,
    noun: str,
) -> BarChart:
    """Bars of a ranked report list: the count, and the share of all (not of the rows)."""
    bars = tuple(
        Bar(
            label=str(row[label]),
            value=float(row[count]),
            value_text=fmt_count(row[count]),
            note=f"{fmt_rate(row['share_of_all'])}" if row.get("share_of_all") is not None else "",
        )
        for row in rows
    )
    return BarChart(key, title, bars, f"{title}: {noun} and their share of all {noun}.")


def top_pages_chart(conn: Connection, window: DashboardWindow) -> list[BarChart]:
    pages = top_content(conn, window.period, SessionFilter(), ROWS).rows
    return [ranked_bars("top-pages", "Top pages", pages, "path", "page_views", "page views")]


def source_charts(conn: Connection, window: DashboardWindow) -> list[BarChart]:
    lists = traffic_sources(conn, window.period, SessionFilter(), ROWS).lists
    return [
        ranked_bars("channels", "Channels", lists["by_channel"].rows, "channel", "sessions",
                    "sessions"),
        ranked_bars("sources", "Sources", lists["by_source"].rows, "source", "sessions",
                    "sessions"),
    ]  # fmt: skip


def country_chart(conn: Connection, window: DashboardWindow) -> list[BarChart]:
    rows = traffic_geo(conn, window.period, SessionFilter(), ROWS).lists["locations"].rows
    return [ranked_bars("countries", "Countries", rows, "country", "sessions", "sessions")]


def device_charts(conn: Connection, window: DashboardWindow) -> list[BarChart]:
    lists = traffic_devices(conn, window.period, SessionFilter(), ROWS).lists
    return [
        ranked_bars("devices", "Devices", lists["by_device_type"].rows, "device_type",
                    "sessions", "sessions"),
        ranked_bars("browsers", "Browsers", lists["by_browser"].rows, "browser", "sessions",
                    "sessions"),
    ]  # fmt: skip


# In page order.
TRAFFIC_CHARTS = (top_pages_chart, source_charts, country_chart, device_charts)
