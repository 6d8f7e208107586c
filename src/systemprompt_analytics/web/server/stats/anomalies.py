"""``GET /api/v1/stats/anomalies/list`` (``sp-analytics anomalies list --json``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from systemprompt_analytics.cli.anomalies_cmd import alerts_json
from systemprompt_analytics.storage.repositories.anomalies import list_alerts
from systemprompt_analytics.web.server.stats.params import Limit
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON

ActiveOnly = Annotated[bool, Query(description="Only pending and firing alerts.")]


def anomalies_routes(reader: ReportReader) -> APIRouter:
    router = APIRouter(prefix="/anomalies", tags=["stats: anomalies"])

    @router.get("/list", summary="Anomaly alerts, newest first")
    def listing(active: ActiveOnly = False, limit: Limit = 100) -> ReportJSON:
        """Anomaly alerts, newest first: metric, subject, level, state, value, baseline."""
        alerts = reader.read(lambda conn: list_alerts(conn, active_only=active, limit=limit))
        return ReportJSON(alerts_json(alerts))

    return router
