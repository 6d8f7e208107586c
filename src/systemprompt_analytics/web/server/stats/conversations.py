"""``GET /api/v1/stats/conversations/stats|list|trends`` (``sp-analytics conversations …
--json``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.conversations import (
    ConversationOrder,
    conversation_list,
    conversation_stats,
    conversation_trends,
)
from systemprompt_analytics.web.server.stats.buckets import GRANULARITY, checked_granularity
from systemprompt_analytics.web.server.stats.params import (
    Bucket,
    ConversationSort,
    Limit,
    Since,
    Until,
)
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON


def conversations_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/conversations", tags=["stats: conversations"])

    @router.get("/stats", summary="Conversations against the previous period")
    def stats(since: Since = "24h", until: Until = "now", limit: Limit = 10) -> ReportJSON:
        """Conversations started, messages, average length and users against the previous
        period; conversations by agent and the limit longest ones."""
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: conversation_stats(conn, period, limit))
        return ReportJSON(report.to_dict())

    @router.get("/list", summary="Conversations started in the period")
    def listing(
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 50,
        sort: ConversationSort = ConversationOrder.recent,
    ) -> ReportJSON:
        """Conversations started in the period with their messages, tokens and duration."""
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: conversation_list(conn, period, limit, sort))
        return ReportJSON(report.to_dict())

    @router.get("/trends", summary="Conversations per hour, day, week or month")
    def trends(
        since: Since = "7d", until: Until = "now", group_by: Bucket = GroupBy.day
    ) -> ReportJSON:
        """Conversations started and messages per UTC bucket; empty buckets show as zero."""
        period = resolve_period(since, until, datetime.now(UTC))
        granularity = checked_granularity(period, GRANULARITY[group_by])
        report = reader.read(lambda conn: conversation_trends(conn, period, granularity))
        return ReportJSON(report.to_dict())

    return router
