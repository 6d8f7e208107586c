"""``GET /api/v1/stats/content/stats|top|trends|engagement`` (``sp-analytics content … --json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from systemprompt_analytics.cli.content_cmd import trends_json
from systemprompt_analytics.cli.filter_options import path_option, session_filter
from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.content import content_stats, content_trends, top_content
from systemprompt_analytics.reports.engagement import page_engagement, session_engagement
from systemprompt_analytics.web.server.stats.buckets import GRANULARITY, checked_granularity
from systemprompt_analytics.web.server.stats.params import (
    Bucket,
    Channel,
    IncludeBots,
    Limit,
    PagePath,
    Printable,
    Since,
    Source,
    Until,
)
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON

SessionId = Annotated[
    str | None,
    Printable,
    Query(
        description="Show one session's engagement page by page instead (the period and "
        "filters are ignored).",
    ),
]


def content_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/content", tags=["stats: content"])

    @router.get("/stats", summary="Content figures against the previous period")
    def stats(
        since: Since = "24h",
        until: Until = "now",
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """Page views, visitors, pages viewed, time on page and scroll depth, each with its
        trend (up, down, or flat within ±5%)."""
        where = session_filter(include_bots, source, channel)
        period = resolve_period(since, until, datetime.now(UTC))
        return ReportJSON(reader.read(lambda conn: content_stats(conn, period, where)).to_dict())

    @router.get("/top", summary="Pages by page views")
    def top(
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 20,
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """Pages by page views: share of all page views, visitors, time on page, scroll
        depth and the trend against the previous period."""
        where = session_filter(include_bots, source, channel)
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: top_content(conn, period, where, limit))
        return ReportJSON(report.to_dict())

    @router.get("/trends", summary="Content figures per hour, day, week or month")
    def trends(
        since: Since = "7d",
        until: Until = "now",
        group_by: Bucket = GroupBy.day,
        path: PagePath = None,
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """Page views, visitors, time on page and scroll depth per UTC bucket (all pages, or
        one path); empty buckets show as zero, the current partial bucket is included."""
        where = session_filter(include_bots, source, channel)
        page = path_option(path, "--path")
        period = resolve_period(since, until, datetime.now(UTC))
        granularity = checked_granularity(period, GRANULARITY[group_by])
        series = reader.read(lambda conn: content_trends(conn, period, granularity, where, page))
        return ReportJSON(trends_json(period, granularity, where, page, series))

    @router.get("/engagement", summary="Engagement per page, or of one session")
    def engagement(
        since: Since = "24h",
        until: Until = "now",
        path: PagePath = None,
        session: SessionId = None,
        limit: Limit = 20,
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """Time on page, scroll depth, rage and dead clicks and the reading-pattern mix per
        page; or, with session, that session page by page and whether it bounced."""
        if session is not None:
            session_id = session.strip()
            if not session_id:
                raise InvalidInputError("--session", "must not be empty")
            report = reader.read(lambda conn: session_engagement(conn, session_id))
            return ReportJSON(report.to_dict())
        where = session_filter(include_bots, source, channel)
        page = path_option(path, "--path")
        period = resolve_period(since, until, datetime.now(UTC))
        pages = reader.read(lambda conn: page_engagement(conn, period, where, limit, page))
        return ReportJSON(pages.to_dict())

    return router
