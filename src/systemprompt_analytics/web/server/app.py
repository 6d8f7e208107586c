"""The ``sp-analytics serve`` application: collector, ingestion, stats API, metrics, health.

    from systemprompt_analytics.web.server import create_app
    app = create_app()                 # settings from SP_ANALYTICS_*

Public: the collector (``POST /api/v1/collect``), ``GET /api/v1/tracker.js`` and ``/healthz``.
Everything else — ingestion (``/api/v1/ingest/...``), OpenTelemetry (``POST /v1/traces``),
the stats API (``/api/v1/stats/...``, docs/api.md), ``/metrics`` — needs
``Authorization: Bearer $SP_ANALYTICS_API_TOKEN``.
The dashboard (``/``) needs a login at ``/login`` (docs/dashboard.md); every response carries
the security headers of :mod:`systemprompt_analytics.web.server.security`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Response

from systemprompt_analytics import __version__
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.auth import TokenRefusedError, require_token, token_refused_handler
from systemprompt_analytics.web.collector import collector_router
from systemprompt_analytics.web.ingestion import ingestion_router, otlp_router
from systemprompt_analytics.web.server.dashboard import dashboard_router
from systemprompt_analytics.web.server.health import health_router
from systemprompt_analytics.web.server.metrics import CONTENT_TYPE, CountResponses, Metrics
from systemprompt_analytics.web.server.security import SecurityHeaders, docs_paths
from systemprompt_analytics.web.server.stats import invalid_input_handler, stats_router


def create_app(analytics: Analytics | None = None) -> FastAPI:
    analytics = analytics or Analytics.from_env(migrate=True)
    metrics = Metrics(analytics)
    guard = Depends(require_token(analytics.settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        analytics.start()
        try:
            yield
        finally:
            analytics.close()

    app = FastAPI(
        title="systemprompt-analytics",
        version=__version__,
        description="First-party analytics and abuse defence for AI platforms.",
        lifespan=lifespan,
    )
    app.state.analytics = analytics
    app.add_exception_handler(TokenRefusedError, token_refused_handler)
    app.add_exception_handler(InvalidInputError, invalid_input_handler)
    app.include_router(collector_router(analytics), prefix="/api/v1", tags=["collector"])
    app.include_router(ingestion_router(analytics), prefix="/api/v1")
    app.include_router(otlp_router(analytics))
    app.include_router(health_router(analytics))
    app.include_router(stats_router(analytics))
    app.include_router(dashboard_router(analytics))

    @app.get("/metrics", tags=["operations"], dependencies=[guard], summary="Prometheus metrics")
    def prometheus_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    app.add_middleware(CountResponses, metrics=metrics)
    app.add_middleware(SecurityHeaders, docs_paths=docs_paths(app))
    return app
