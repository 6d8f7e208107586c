"""``GET /api/v1/stats/funnels/list|show|stats`` (``sp-analytics funnels … --json``).

Defining, applying, rebuilding and deleting funnels stay with the CLI and the Python API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from systemprompt_analytics.cli.funnels_cmd import definition_json, listing_json
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.server.stats.params import Printable, Since, Until
from systemprompt_analytics.web.server.stats.response import ReportJSON

FunnelName = Annotated[str, Printable, Query(description="The funnel's name.")]
CountBots = Annotated[bool, Query(description="Count bot sessions too.")]


def funnels_routes(analytics: Analytics) -> APIRouter:
    router = APIRouter(prefix="/funnels", tags=["stats: funnels"])
    service = analytics.funnels

    @router.get("/list", summary="Every funnel with its units and completions")
    def listing() -> ReportJSON:
        """Every funnel with its steps, units tracked and completions (all time, bots
        included)."""
        return ReportJSON(listing_json(service.list_funnels()))

    @router.get("/show", summary="A funnel's definition")
    def show(name: FunnelName) -> ReportJSON:
        """A funnel's steps and matchers, mode, unit and window."""
        return ReportJSON(definition_json(service.get(name)))

    @router.get("/stats", summary="Conversion and drop-off per step")
    def stats(
        name: FunnelName, since: Since = "7d", until: Until = "now", include_bots: CountBots = False
    ) -> ReportJSON:
        """Per step: units entered and continued, conversion from step 1, drop-off, median
        and average time to the next step; overall conversion. Units are counted in the
        period in which they entered step 1 (human sessions only by default)."""
        period = resolve_period(since, until, datetime.now(UTC))
        report = service.stats(name, period, include_bots=include_bots)
        return ReportJSON(report.to_dict())

    return router
