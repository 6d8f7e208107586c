"""``GET /api/v1/stats/tools/list|stats|show|trends`` (``sp-analytics tools … --json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.tools import tool_list, tool_show, tool_stats, tool_trends
from systemprompt_analytics.web.server.stats.buckets import GRANULARITY, checked_granularity
from systemprompt_analytics.web.server.stats.errors import renamed
from systemprompt_analytics.web.server.stats.params import Bucket, Limit, Printable, Since, Until
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON

ToolName = Annotated[
    str, Printable, Query(description="The tool's name, as reported (e.g. web.search).")
]
OnlyTool = Annotated[str | None, Printable, Query(description="Only this tool.")]


def tools_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/tools", tags=["stats: tools"])

    @router.get("/list", summary="Tools by executions")
    def listing(since: Since = "24h", until: Until = "now", limit: Limit = 20) -> ReportJSON:
        """Tools (per server) by executions: outcomes, success rate, latency (avg, p95).
        Shares are of all executions."""
        period = resolve_period(since, until, datetime.now(UTC))
        return ReportJSON(reader.read(lambda conn: tool_list(conn, period, limit)).to_dict())

    @router.get("/stats", summary="All tools against the previous period")
    def stats(since: Since = "24h", until: Until = "now", limit: Limit = 10) -> ReportJSON:
        """All tools against the previous period; executions by status, top errors (limit,
        the rest summed), usage by agent and by server."""
        period = resolve_period(since, until, datetime.now(UTC))
        return ReportJSON(reader.read(lambda conn: tool_stats(conn, period, limit)).to_dict())

    @router.get("/show", summary="One tool against the previous period")
    def show(
        name: ToolName, since: Since = "24h", until: Until = "now", limit: Limit = 10
    ) -> ReportJSON:
        """One tool: figures against the previous period, executions by status, top errors,
        usage by agent and by server. A tool never reported is a 422 naming name."""
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: tool_show(conn, period, name, limit))
        return ReportJSON(report.to_dict())

    @router.get("/trends", summary="Tool executions per hour, day, week or month")
    def trends(
        since: Since = "7d",
        until: Until = "now",
        group_by: Bucket = GroupBy.day,
        tool: OnlyTool = None,
    ) -> ReportJSON:
        """Executions by outcome, success rate and latency per UTC bucket; empty buckets
        show as zero (latency as null)."""
        period = resolve_period(since, until, datetime.now(UTC))
        granularity = checked_granularity(period, GRANULARITY[group_by])
        with renamed("NAME", "tool"):
            report = reader.read(lambda conn: tool_trends(conn, period, granularity, tool))
        return ReportJSON(report.to_dict())

    return router
