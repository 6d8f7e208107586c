"""``GET /api/v1/stats/bots/sessions|fingerprints`` (``sp-analytics bots … --json``).

``bots fingerprints --update`` runs the reputation job first; a GET changes nothing, so the
API leaves that to the CLI and to the job the app runs every hour.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from systemprompt_analytics.cli.bots_cmd import fingerprints_json, sessions_json
from systemprompt_analytics.models.period import resolve_period
from systemprompt_analytics.reports.bots import flagged_sessions
from systemprompt_analytics.storage.repositories.reputation import high_risk
from systemprompt_analytics.web.server.stats.params import Limit, Since, Until
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON


def bots_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/bots", tags=["stats: bots"])

    @router.get("/sessions", summary="Bot sessions with their signals")
    def sessions(since: Since = "24h", until: Until = "now", limit: Limit = 50) -> ReportJSON:
        """Bot sessions of the period, highest behavioural score first, with the signals
        that fired."""
        period = resolve_period(since, until, datetime.now(UTC))
        rows = reader.read(lambda conn: flagged_sessions(conn, period, limit))
        return ReportJSON(sessions_json(period, rows))

    @router.get("/fingerprints", summary="High-risk fingerprints")
    def fingerprints(limit: Limit = 50) -> ReportJSON:
        """High-risk fingerprints: flagged first, then the lowest reputation scores."""
        return ReportJSON(reader.read(lambda conn: fingerprints_json(high_risk(conn, limit))))

    return router
