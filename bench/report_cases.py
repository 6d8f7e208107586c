"""Every CLI report as the Python query function behind it, with the CLI's defaults.

Each case takes a connection and a :class:`Context` (the window, "now" and sample names) and
runs what ``sp-analytics <group> <command> --since … --until …`` runs, minus the rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.activity import activity_trends
from systemprompt_analytics.reports.agents import agent_list, agent_show, agent_stats, agent_trends
from systemprompt_analytics.reports.bots import bot_traffic, flagged_sessions
from systemprompt_analytics.reports.content import content_stats, content_trends, top_content
from systemprompt_analytics.reports.conversations import (
    conversation_list,
    conversation_stats,
    conversation_trends,
)
from systemprompt_analytics.reports.costs import auto_granularity, cost_summary, cost_trends
from systemprompt_analytics.reports.costs_breakdown import cost_breakdown, unpriced_models
from systemprompt_analytics.reports.costs_window import CostWindow, cost_window
from systemprompt_analytics.reports.engagement import page_engagement, session_engagement
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.funnels import funnel_report
from systemprompt_analytics.reports.navigation import navigation
from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.reports.requests import model_usage, request_stats, request_trends
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.requests_list import request_list
from systemprompt_analytics.reports.sessions import live_sessions, session_stats, session_trends
from systemprompt_analytics.reports.tools import tool_list, tool_show, tool_stats, tool_trends
from systemprompt_analytics.reports.traffic import (
    landing_pages,
    traffic_devices,
    traffic_geo,
    traffic_sources,
)
from systemprompt_analytics.reports.users import UserRanking, top_users, user_stats
from systemprompt_analytics.storage.repositories.funnels import find_funnel
from systemprompt_analytics.storage.repositories.reputation import high_risk


@dataclass(frozen=True)
class Context:
    period: Period
    now: datetime
    agent: str
    tool: str
    session_id: str
    funnel: str


Case = Callable[[Connection, Context], Any]
HUMANS = SessionFilter()
BILLABLE = RequestFilter()


def _window(conn: Connection, ctx: Context) -> CostWindow:
    """What the cost commands resolve for ``--since … --until …`` (never widened)."""
    return cost_window(
        conn, ctx.period.since.isoformat(), ctx.period.until.isoformat(), ctx.now, BILLABLE
    )


def _funnel(conn: Connection, ctx: Context) -> Any:
    stored = find_funnel(conn, ctx.funnel)
    assert stored is not None
    return funnel_report(conn, stored, ctx.period)


def _cost_trends(conn: Connection, ctx: Context) -> Any:
    window = _window(conn, ctx)
    return cost_trends(conn, window, BILLABLE, auto_granularity(window.period))


def _breakdown(by: Any) -> Case:
    return lambda conn, ctx: cost_breakdown(conn, _window(conn, ctx), BILLABLE, by, 20)


CASES: dict[str, Case] = {
    "overview": lambda conn, ctx: overview(
        conn, ctx.period, ctx.now, concurrent=True
    ),  # as the CLI
    "sessions stats": lambda conn, ctx: session_stats(conn, ctx.period, ctx.now),
    "sessions trends": lambda conn, ctx: session_trends(conn, ctx.period, "day"),
    "sessions live": lambda conn, ctx: live_sessions(conn, ctx.now, 50),
    "traffic sources": lambda conn, ctx: traffic_sources(conn, ctx.period, HUMANS, 20),
    "traffic pages": lambda conn, ctx: landing_pages(conn, ctx.period, HUMANS, 20),
    "traffic geo": lambda conn, ctx: traffic_geo(conn, ctx.period, HUMANS, 20),
    "traffic devices": lambda conn, ctx: traffic_devices(conn, ctx.period, HUMANS, 20),
    "traffic navigation": lambda conn, ctx: navigation(conn, ctx.period, HUMANS, 20),
    "traffic bots": lambda conn, ctx: bot_traffic(conn, ctx.period, 20),
    "bots sessions": lambda conn, ctx: flagged_sessions(conn, ctx.period, 50),
    "bots fingerprints": lambda conn, ctx: high_risk(conn, 50),
    "content stats": lambda conn, ctx: content_stats(conn, ctx.period, HUMANS),
    "content top": lambda conn, ctx: top_content(conn, ctx.period, HUMANS, 20),
    "content trends": lambda conn, ctx: content_trends(conn, ctx.period, "day", HUMANS),
    "content engagement": lambda conn, ctx: page_engagement(conn, ctx.period, HUMANS, 20),
    "content engagement --session": lambda conn, ctx: session_engagement(conn, ctx.session_id),
    "funnels stats": _funnel,
    "costs summary": lambda conn, ctx: cost_summary(conn, _window(conn, ctx), BILLABLE),
    "costs trends": _cost_trends,
    "costs breakdown --by model": _breakdown("model"),
    "costs breakdown --by provider": _breakdown("provider"),
    "costs breakdown --by agent": _breakdown("agent"),
    "costs breakdown --by user": _breakdown("user"),
    "costs unpriced": lambda conn, ctx: unpriced_models(conn, _window(conn, ctx), BILLABLE, 20),
    "requests stats": lambda conn, ctx: request_stats(conn, ctx.period, BILLABLE),
    "requests list": lambda conn, ctx: request_list(conn, ctx.period, BILLABLE, 50),
    "requests models": lambda conn, ctx: model_usage(conn, ctx.period, BILLABLE, 20),
    "requests trends": lambda conn, ctx: request_trends(conn, ctx.period, BILLABLE, "day"),
    "agents list": lambda conn, ctx: agent_list(conn, ctx.period, 20),
    "agents stats": lambda conn, ctx: agent_stats(conn, ctx.period, 10),
    "agents show": lambda conn, ctx: agent_show(conn, ctx.period, ctx.agent, 10),
    "agents trends": lambda conn, ctx: agent_trends(conn, ctx.period, "day"),
    "tools list": lambda conn, ctx: tool_list(conn, ctx.period, 20),
    "tools stats": lambda conn, ctx: tool_stats(conn, ctx.period, 10),
    "tools show": lambda conn, ctx: tool_show(conn, ctx.period, ctx.tool, 10),
    "tools trends": lambda conn, ctx: tool_trends(conn, ctx.period, "day"),
    "conversations stats": lambda conn, ctx: conversation_stats(conn, ctx.period, 10),
    "conversations list": lambda conn, ctx: conversation_list(conn, ctx.period, 50),
    "conversations trends": lambda conn, ctx: conversation_trends(conn, ctx.period, "day"),
    "users stats": lambda conn, ctx: user_stats(conn, ctx.period.until),
    "users top": lambda conn, ctx: top_users(conn, ctx.period, 20, UserRanking.requests),
    "activity trends": lambda conn, ctx: activity_trends(conn, ctx.period, "day"),
}
