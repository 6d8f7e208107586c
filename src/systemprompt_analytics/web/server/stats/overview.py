"""``GET /api/v1/stats/overview`` (``sp-analytics overview --json``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.web.server.stats.params import IncludeSynthetic, Since, Until
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON


def overview_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(tags=["stats: overview"])

    @router.get("/overview", summary="The platform at a glance")
    def overview_report(
        since: Since = "24h", until: Until = "now", include_synthetic: IncludeSynthetic = False
    ) -> ReportJSON:
        """Sessions, visitors, page views and bot share; AI requests, tokens, latency and
        cost; tool and agent success rates; conversations; active and new users; top agents,
        tools and users — each figure against the previous period of equal length."""
        now = datetime.now(UTC)
        period = resolve_period(since, until, now)
        report = reader.read(
            lambda conn: overview(conn, period, now, include_synthetic, concurrent=True)
        )
        return ReportJSON(report.to_dict())

    return router
