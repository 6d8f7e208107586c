"""``GET /api/v1/stats/activity/trends`` (``sp-analytics activity trends --json``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.activity import activity_trends
from systemprompt_analytics.web.server.stats.buckets import GRANULARITY, checked_granularity
from systemprompt_analytics.web.server.stats.params import Bucket, IncludeSynthetic, Since, Until
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON


def activity_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/activity", tags=["stats: activity"])

    @router.get("/trends", summary="Platform activity per hour, day, week or month")
    def trends(
        since: Since = "30d",
        until: Until = "now",
        group_by: Bucket = GroupBy.day,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Per UTC bucket: human sessions, conversations and agent tasks started, AI requests
        and tool executions. Empty buckets show as zero."""
        period = resolve_period(since, until, datetime.now(UTC))
        granularity = checked_granularity(period, GRANULARITY[group_by])
        report = reader.read(
            lambda conn: activity_trends(conn, period, granularity, include_synthetic)
        )
        return ReportJSON(report.to_dict())

    return router
