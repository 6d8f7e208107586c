"""The AI panel: cost by model (``costs breakdown --by model``), request figures and latency
percentiles (``requests stats``), tools (``tools list``) and agents (``agents list``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from systemprompt_analytics.reports.agents import agent_list
from systemprompt_analytics.reports.costs_breakdown import cost_breakdown
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.requests import request_stats
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.tools import tool_list
from systemprompt_analytics.web.server.dashboard.charts.models import Bar, BarChart
from systemprompt_analytics.web.server.dashboard.numbers import (
    fmt_count,
    fmt_ms,
    fmt_rate,
    fmt_usd,
)
from systemprompt_analytics.web.server.dashboard.tables import Table
from systemprompt_analytics.web.server.dashboard.traffic_panel import ROWS
from systemprompt_analytics.web.server.dashboard.window import DashboardWindow

UNPRICED = "unpriced"
LATENCY_BARS = (
    ("p50 (median)", "latency_p50_ms"),
    ("p95", "latency_p95_ms"),
    ("p99", "latency_p99_ms"),
)


@dataclass(frozen=True)
class AiPanel:
    figures: list[tuple[str, str]]
    charts: list[BarChart]
    agents: Table


def _cost_by_model(conn: Connection, window: DashboardWindow) -> BarChart:
    breakdown = cost_breakdown(
        conn, CostWindow(window.period, default=False), RequestFilter(), "model", ROWS
    )
    bars = []
    for row in breakdown.rows:
        cost = row["cost_usd"]
        share = row["share_of_cost"]
        requests = f"{fmt_count(row['requests'])} requests"
        bars.append(
            Bar(
                label=f"{row['provider']} / {row['model']}",
                value=cost,
                value_text=UNPRICED if cost is None else fmt_usd(cost),
                note=fmt_rate(share) if share is not None else "",
                detail=requests,
            )
        )
    return BarChart(
        "cost-by-model",
        "Cost by model",
        tuple(bars),
        "Cost by model in US dollars, share of all cost and requests. Unpriced models have no "
        "cost (unknown, not zero).",
    )


def _latency(figures: Mapping[str, Any]) -> BarChart:
    bars = tuple(
        Bar(label, None if figures[key] is None else float(figures[key]), fmt_ms(figures[key]))
        for label, key in LATENCY_BARS
    )
    return BarChart("latency", "AI latency percentiles", bars, "AI request latency percentiles.")


def _tools(conn: Connection, window: DashboardWindow) -> BarChart:
    rows = tool_list(conn, window.period, ROWS).tools.rows
    bars = tuple(
        Bar(
            label=str(row["tool"]),
            value=float(row["executions"]),
            value_text=fmt_count(row["executions"]),
            note=f"{fmt_rate(row['success_rate'])} success",
        )
        for row in rows
    )
    return BarChart("tools", "MCP tools", bars, "Tool executions and their success rate.")


def _agents(conn: Connection, window: DashboardWindow) -> Table:
    rows = agent_list(conn, window.period, ROWS).agents.rows
    return Table(
        ("Agent", "Tasks", "Success", "AI requests", "AI cost"),
        [
            (
                str(row["agent"]),
                fmt_count(row["tasks"]),
                fmt_rate(row["success_rate"]),
                fmt_count(row["ai_requests"]),
                _cost_text(row),
            )
            for row in rows
        ],
        numeric=frozenset({1, 2, 3, 4}),
    )


def _cost_text(row: Mapping[str, Any]) -> str:
    if row["cost_usd"] is None and row["ai_requests"]:
        return UNPRICED
    return fmt_usd(row["cost_usd"])


def ai_panel(conn: Connection, window: DashboardWindow) -> AiPanel:
    stats = request_stats(conn, window.period, RequestFilter()).current
    figures = [
        ("Requests", fmt_count(stats["requests"])),
        ("Error rate", fmt_rate(stats["error_rate"])),
        ("Cache-hit rate", fmt_rate(stats["cache_hit_rate"])),
        ("Tokens", fmt_count(stats["total_tokens"])),
        ("Average latency", fmt_ms(stats["latency_avg_ms"])),
        ("Time to first token (p50)", fmt_ms(stats["ttft_p50_ms"])),
    ]
    return AiPanel(
        figures,
        [_cost_by_model(conn, window), _latency(stats), _tools(conn, window)],
        _agents(conn, window),
    )
