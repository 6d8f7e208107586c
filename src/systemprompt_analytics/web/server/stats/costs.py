"""``GET /api/v1/stats/costs/summary|trends|breakdown|unpriced`` (``sp-analytics costs …
--json``). Without ``since`` the window widens from 24 h to 7 d and 30 d while it holds no AI
request, as in the CLI; the response's ``window`` says which was used."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from fastapi import APIRouter
from sqlalchemy import Connection

from systemprompt_analytics.cli.ai_options import BreakdownBy, request_filter
from systemprompt_analytics.reports.costs import auto_granularity, cost_summary, cost_trends
from systemprompt_analytics.reports.costs_breakdown import cost_breakdown, unpriced_models
from systemprompt_analytics.reports.costs_window import CostWindow, cost_window
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.web.server.stats.buckets import GRANULARITY, checked_granularity
from systemprompt_analytics.web.server.stats.params import (
    AutoBucket,
    CostDimension,
    IncludeSynthetic,
    Limit,
    OptionalUntil,
    WideningSince,
)
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON

T = TypeVar("T")


def costs_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/costs", tags=["stats: costs"])

    def in_window(
        since: str | None,
        until: str | None,
        filters: RequestFilter,
        report: Callable[[Connection, CostWindow], T],
    ) -> T:
        """Choose the window (widening an empty default one) and run the report on it."""
        now = datetime.now(UTC)
        return reader.read(lambda conn: report(conn, cost_window(conn, since, until, now, filters)))

    @router.get("/summary", summary="AI cost, requests and tokens against the previous period")
    def summary(
        since: WideningSince = None,
        until: OptionalUntil = None,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Total cost, requests and tokens against the previous period of equal length.
        Unpriced requests (no known price) are counted separately: their cost is unknown,
        not 0."""
        filters = request_filter(include_synthetic)
        report = in_window(since, until, filters, lambda conn, w: cost_summary(conn, w, filters))
        return ReportJSON(report.to_dict())

    @router.get("/trends", summary="AI cost per hour, day, week or month")
    def trends(
        since: WideningSince = None,
        until: OptionalUntil = None,
        group_by: AutoBucket = None,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Cost, requests and tokens per UTC bucket, zero-filled. A bucket whose requests
        are all unpriced shows an unknown cost (null), not 0."""
        filters = request_filter(include_synthetic)

        def report(conn: Connection, window: CostWindow) -> dict[str, object]:
            chosen = GRANULARITY[group_by] if group_by else auto_granularity(window.period)
            granularity = checked_granularity(window.period, chosen)
            return cost_trends(conn, window, filters, granularity).to_dict()

        return ReportJSON(in_window(since, until, filters, report))

    @router.get("/breakdown", summary="AI cost by model, provider, agent or user")
    def breakdown(
        by: CostDimension = BreakdownBy.model,
        since: WideningSince = None,
        until: OptionalUntil = None,
        limit: Limit = 20,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Cost by model, provider, agent or user, most expensive first, with each row's
        share of the true total, its cost in the previous period, and the rest beyond
        limit."""
        filters = request_filter(include_synthetic)
        report = in_window(
            since,
            until,
            filters,
            lambda conn, w: cost_breakdown(conn, w, filters, by.value, limit),
        )
        return ReportJSON(report.to_dict())

    @router.get("/unpriced", summary="AI requests no price is known for")
    def unpriced(
        since: WideningSince = None,
        until: OptionalUntil = None,
        limit: Limit = 20,
        include_synthetic: IncludeSynthetic = False,
    ) -> ReportJSON:
        """Requests no price is known for, by provider and model, with their tokens by
        kind."""
        filters = request_filter(include_synthetic)
        report = in_window(
            since, until, filters, lambda conn, w: unpriced_models(conn, w, filters, limit)
        )
        return ReportJSON(report.to_dict())

    return router
