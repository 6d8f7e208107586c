"""``GET /api/v1/stats/traffic/bots|sources|pages|navigation|geo|devices``
(``sp-analytics traffic … --json``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from systemprompt_analytics.cli.filter_options import path_option, session_filter
from systemprompt_analytics.cli.traffic_reports_cmd import GeoBy
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.bots import bot_traffic
from systemprompt_analytics.reports.navigation import navigation
from systemprompt_analytics.reports.traffic import (
    GeoLevel,
    landing_pages,
    traffic_devices,
    traffic_geo,
    traffic_sources,
)
from systemprompt_analytics.web.server.stats.params import (
    Channel,
    GeoBreakdown,
    IncludeBots,
    Limit,
    Since,
    Source,
    Until,
)
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON

FromPage = Annotated[
    str | None,
    Query(alias="from", description="Only transitions leaving this page (e.g. /pricing)."),
]
ToPage = Annotated[
    str | None, Query(alias="to", description="Only transitions reaching this page.")
]
LEVELS: dict[GeoBy, GeoLevel] = {
    GeoBy.country: "country",
    GeoBy.region: "region",
    GeoBy.city: "city",
}


def traffic_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/traffic", tags=["stats: traffic"])

    @router.get("/bots", summary="Human, engaged, ghost and bot sessions")
    def bots(since: Since = "24h", until: Until = "now", limit: Limit = 20) -> ReportJSON:
        """Human, engaged, ghost and bot sessions; bots by category and by reason. Every
        share is of all sessions in the period; reasons past limit are summed into one row."""
        period = resolve_period(since, until, datetime.now(UTC))
        return ReportJSON(reader.read(lambda conn: bot_traffic(conn, period, limit)).to_dict())

    @router.get("/sources", summary="Sessions by channel and by source host")
    def sources(
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 20,
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """Sessions by channel and by source host (referrer host, else UTM source), with
        their share of all matching sessions, visitors, page views, bounce rate and average
        visit duration."""
        where = session_filter(include_bots, source, channel)
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: traffic_sources(conn, period, where, limit))
        return ReportJSON(report.to_dict())

    @router.get("/pages", summary="Landing pages")
    def pages(
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 20,
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """The page each session started on, with registry titles where present."""
        where = session_filter(include_bots, source, channel)
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: landing_pages(conn, period, where, limit))
        return ReportJSON(report.to_dict())

    @router.get("/navigation", summary="Internal navigation from page to page")
    def navigation_report(
        since: Since = "24h",
        until: Until = "now",
        from_path: FromPage = None,
        to_path: ToPage = None,
        limit: Limit = 20,
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """Transitions between consecutive page views of a session. Shares are of all
        matching transitions (with from: of every transition leaving that page)."""
        where = session_filter(include_bots, source, channel)
        start, end = path_option(from_path, "--from"), path_option(to_path, "--to")
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: navigation(conn, period, where, limit, start, end))
        return ReportJSON(report.to_dict())

    @router.get("/geo", summary="Sessions by country, region or city")
    def geo(
        since: Since = "24h",
        until: Until = "now",
        by: GeoBreakdown = GeoBy.country,
        limit: Limit = 20,
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """Sessions by country, region or city (within its country)."""
        where = session_filter(include_bots, source, channel)
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: traffic_geo(conn, period, where, limit, LEVELS[by]))
        return ReportJSON(report.to_dict())

    @router.get("/devices", summary="Sessions by device type, browser and OS")
    def devices(
        since: Since = "24h",
        until: Until = "now",
        limit: Limit = 20,
        include_bots: IncludeBots = False,
        source: Source = None,
        channel: Channel = None,
    ) -> ReportJSON:
        """Sessions by device type, browser and operating system."""
        where = session_filter(include_bots, source, channel)
        period = resolve_period(since, until, datetime.now(UTC))
        report = reader.read(lambda conn: traffic_devices(conn, period, where, limit))
        return ReportJSON(report.to_dict())

    return router
