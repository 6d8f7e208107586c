"""``GET /api/v1/stats/agents/list|stats|show|trends`` (``sp-analytics agents … --json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.agents import agent_list, agent_show, agent_stats, agent_trends
from systemprompt_analytics.web.server.stats.buckets import GRANULARITY, checked_granularity
from systemprompt_analytics.web.server.stats.errors import renamed
from systemprompt_analytics.web.server.stats.params import (
    Bucket,
    IncludeSynthetic,
    Limit,
    Printable,
    Since,
    Until,
)
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON

AgentName = Annotated[str, Printable, Query(description="The agent's name, as reported.")]
OnlyAgent = Annotated[str | None, Printable, Query(description="Only this agent.")]


def agents_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/agents", tags=["stats: agents"])

    @router.get("/list", summary="Agents by tasks started")
    def listing(
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 20,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Agents by tasks started: outcomes, success rate, duration (avg, p95), AI requests
        and cost. Shares are of all tasks and of all agents' AI cost."""
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: agent_list(conn, period, limit, include_synthetic))
        return ReportJSON(report.to_dict())

    @router.get("/stats", summary="All agents against the previous period")
    def stats(
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 10,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """All agents against the previous period; tasks by status, top errors (limit, the
        rest summed) and tasks by hour of day (UTC)."""
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: agent_stats(conn, period, limit, include_synthetic))
        return ReportJSON(report.to_dict())

    @router.get("/show", summary="One agent against the previous period")
    def show(
        name: AgentName,
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 10,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """One agent: figures against the previous period, tasks by status, top errors and
        tasks by hour of day. An agent that never reported anything is a 422 naming name."""
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: agent_show(conn, period, name, limit, include_synthetic))
        return ReportJSON(report.to_dict())

    @router.get("/trends", summary="Agent tasks per hour, day, week or month")
    def trends(
        since: Since = "7d",
        until: Until = "now",
        group_by: Bucket = GroupBy.day,
        agent: OnlyAgent = None,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Tasks, outcomes, success rate, AI requests and cost per UTC bucket; empty buckets
        show as zero."""
        period = resolve_period(since, until, datetime.now(UTC))
        granularity = checked_granularity(period, GRANULARITY[group_by])
        with renamed("NAME", "agent"):
            report = reader.read(
                lambda conn: agent_trends(conn, period, granularity, include_synthetic, agent)
            )
        return ReportJSON(report.to_dict())

    return router
