"""``GET /api/v1/stats/users/stats|top`` (``sp-analytics users … --json``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from systemprompt_analytics.models.period import parse_time, resolve_period
from systemprompt_analytics.reports.users import UserRanking, top_users, user_stats
from systemprompt_analytics.web.server.stats.params import (
    IncludeSynthetic,
    Limit,
    Since,
    Until,
    UserOrder,
)
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON


def users_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/users", tags=["stats: users"])

    @router.get("/stats", summary="Registered, anonymous, active and new users")
    def stats(until: Until = "now") -> ReportJSON:
        """Registered and anonymous users; active users, visitors and new users over the
        last 24 hours, 7 days and 30 days (ending at until), each against the window before
        it."""
        end = parse_time(until, datetime.now(UTC), "--until")
        return ReportJSON(reader.read(lambda conn: user_stats(conn, end)).to_dict())

    @router.get("/top", summary="Users by AI requests or cost")
    def top(
        since: Since = "24h",
        until: Until = "now",
        by: UserOrder = UserRanking.requests,
        limit: Limit = 20,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Users by AI requests (or cost) with tokens, tasks and sessions. Shares are of
        every AI request and its cost in the period, including requests of no user."""
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: top_users(conn, period, limit, by, include_synthetic))
        return ReportJSON(report.to_dict())

    return router
