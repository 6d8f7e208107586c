"""``stats_router(analytics)``: every report area under ``/api/v1/stats``, behind the token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Security
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.auth import require_token
from systemprompt_analytics.web.server.stats.activity import activity_routes
from systemprompt_analytics.web.server.stats.agents import agents_routes
from systemprompt_analytics.web.server.stats.ai_requests import requests_routes
from systemprompt_analytics.web.server.stats.anomalies import anomalies_routes
from systemprompt_analytics.web.server.stats.bots import bots_routes
from systemprompt_analytics.web.server.stats.content import content_routes
from systemprompt_analytics.web.server.stats.conversations import conversations_routes
from systemprompt_analytics.web.server.stats.costs import costs_routes
from systemprompt_analytics.web.server.stats.funnels import funnels_routes
from systemprompt_analytics.web.server.stats.overview import overview_routes
from systemprompt_analytics.web.server.stats.reader import ReportReader
from systemprompt_analytics.web.server.stats.response import ReportJSON
from systemprompt_analytics.web.server.stats.sessions import sessions_routes
from systemprompt_analytics.web.server.stats.tools import tools_routes
from systemprompt_analytics.web.server.stats.traffic import traffic_routes
from systemprompt_analytics.web.server.stats.users import users_routes

PREFIX = "/api/v1/stats"


class Refusal(BaseModel):
    detail: str


REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": Refusal, "description": "Missing or wrong bearer token."},
    503: {"model": Refusal, "description": "No API token is configured on the server."},
}


def stats_router(analytics: Analytics) -> APIRouter:
    reader = ReportReader(analytics)
    router = APIRouter(
        prefix=PREFIX,
        dependencies=[
            Depends(require_token(analytics.settings)),
            # Checks nothing (require_token does): it declares the bearer scheme in the
            # OpenAPI schema, so /docs offers "Authorize".
            Security(HTTPBearer(auto_error=False)),
        ],
        default_response_class=ReportJSON,
        responses=REFUSALS,
    )
    for area in (
        overview_routes(reader),
        sessions_routes(reader),
        traffic_routes(reader),
        content_routes(reader),
        funnels_routes(analytics),
        costs_routes(reader),
        requests_routes(reader),
        agents_routes(reader),
        tools_routes(reader),
        conversations_routes(reader),
        users_routes(reader),
        activity_routes(reader),
        bots_routes(reader),
        anomalies_routes(reader),
    ):
        router.include_router(area)
    return router
