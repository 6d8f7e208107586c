"""``GET /api/v1/stats/requests/stats|list|models|trends`` (``sp-analytics requests …
--json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from systemprompt_analytics.cli.ai_options import request_filter
from systemprompt_analytics.cli.options import GroupBy
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.requests import model_usage, request_stats, request_trends
from systemprompt_analytics.reports.requests_list import request_list
from systemprompt_analytics.web.server.stats.buckets import GRANULARITY, checked_granularity
from systemprompt_analytics.web.server.stats.params import (
    Bucket,
    IncludeSynthetic,
    Limit,
    Since,
    Until,
)
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON

# Checked (stripped, no control characters, column length) by the CLI's request_filter.
Model = Annotated[str | None, Query(description="Only requests of this model (exact match).")]
Provider = Annotated[str | None, Query(description="Only requests of this provider (exact match).")]
Status = Annotated[
    str | None,
    Query(description="Only requests of this status (success, error, timeout, canceled)."),
]
User = Annotated[str | None, Query(description="Only requests of this user id.")]
Session = Annotated[str | None, Query(description="Only requests of this session id.")]


def requests_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/requests", tags=["stats: AI requests"])

    @router.get("/stats", summary="AI request figures against the previous period")
    def stats(
        since: Since = "24h", until: Until = "now", include_synthetic: IncludeSynthetic = False
    ) -> ReportJSON:
        """Requests, error and cache-hit rates, tokens by kind, latency p50/p95/p99 and time
        to first token, each against the previous period of equal length."""
        period = resolve_period(since, until, datetime.now(UTC))
        filters = request_filter(include_synthetic)
        report = reader.read(lambda conn: request_stats(conn, period, filters))
        return ReportJSON(report.to_dict())

    @router.get("/list", summary="AI requests, newest first")
    def listing(
        since: Since = "24h",
        until: Until = "now",
        model: Model = None,
        provider: Provider = None,
        status: Status = None,
        user: User = None,
        session: Session = None,
        limit: Limit = 50,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """AI requests, newest first, optionally only one model, provider, status, user or
        session."""
        period = resolve_period(since, until, datetime.now(UTC))
        filters = request_filter(
            include_synthetic,
            provider=provider,
            model=model,
            status=status,
            user=user,
            session=session,
        )
        report = reader.read(lambda conn: request_list(conn, period, filters, limit))
        return ReportJSON(report.to_dict())

    @router.get("/models", summary="Usage per provider and model")
    def models(
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 20,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Usage per provider and model, most requests first: share of requests, errors,
        tokens by kind, cache hits, latency percentiles and cost, plus the rest beyond
        limit."""
        period = resolve_period(since, until, datetime.now(UTC))
        filters = request_filter(include_synthetic)
        report = reader.read(lambda conn: model_usage(conn, period, filters, limit))
        return ReportJSON(report.to_dict())

    @router.get("/trends", summary="AI requests per hour, day, week or month")
    def trends(
        since: Since = "7d",
        until: Until = "now",
        group_by: Bucket = GroupBy.day,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Requests, errors, tokens by kind and latency per UTC bucket, zero-filled; a
        bucket without requests has no latency."""
        period = resolve_period(since, until, datetime.now(UTC))
        filters = request_filter(include_synthetic)
        granularity = checked_granularity(period, GRANULARITY[group_by])
        report = reader.read(lambda conn: request_trends(conn, period, filters, granularity))
        return ReportJSON(report.to_dict())

    return router
