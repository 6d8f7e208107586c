"""``GET /api/v1/stats/sessions/stats|trends|live`` (``sp-analytics sessions … --json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.cli.sessions_cmd import live_json, trends_json
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.sessions import live_sessions, session_stats, session_trends
from systemprompt_analytics.web.server.stats.buckets import GRANULARITY, checked_granularity
from systemprompt_analytics.web.server.stats.params import Bucket, Limit, Since, Until
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON

ListBots = Annotated[bool, Query(description="Also list bot sessions (flagged).")]


def sessions_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/sessions", tags=["stats: sessions"])

    @router.get("/stats", summary="Session figures against the previous period")
    def stats(since: Since = "24h", until: Until = "now") -> ReportJSON:
        """Human sessions started, active now, unique visitors, average duration, requests
        per session, conversion rate and bot sessions."""
        now = datetime.now(UTC)
        period = resolve_period(since, until, now)
        return ReportJSON(reader.read(lambda conn: session_stats(conn, period, now)).to_dict())

    @router.get("/trends", summary="Sessions per hour, day, week or month")
    def trends(
        since: Since = "7d", until: Until = "now", group_by: Bucket = GroupBy.day
    ) -> ReportJSON:
        """Human sessions, visitors, bot sessions and conversions per UTC bucket; empty
        buckets show as zero."""
        period = resolve_period(since, until, datetime.now(UTC))
        granularity = checked_granularity(period, GRANULARITY[group_by])
        series = reader.read(lambda conn: session_trends(conn, period, granularity))
        return ReportJSON(trends_json(period, granularity, series))

    @router.get("/live", summary="Sessions active in the last 30 minutes")
    def live(limit: Limit = 50, include_bots: ListBots = False) -> ReportJSON:
        """Sessions active in the last 30 minutes, most recent first. ``generated_at`` is
        the moment they were read."""
        now = datetime.now(UTC)
        rows = reader.read(lambda conn: live_sessions(conn, now, limit, include_bots))
        return ReportJSON(live_json(now, rows))

    return router
