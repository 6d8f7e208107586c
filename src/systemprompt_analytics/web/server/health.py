"""``GET /healthz``: is the database reachable and is the writer keeping up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from systemprompt_analytics.service import Analytics


def health_router(analytics: Analytics) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness and database reachability")
    def healthz() -> JSONResponse:  # sync: FastAPI runs it in a thread, off the event loop
        body: dict[str, Any] = {
            "status": "ok",
            "database": "ok",
            "writer": {
                "pending": analytics.writer.pending,
                "dropped": analytics.writer.stats.dropped,
                "last_error": analytics.writer.stats.last_error,
            },
        }
        try:
            with analytics.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not reachable" to a health check
            body["status"] = "degraded"
            body["database"] = f"unreachable: {type(exc).__name__}"
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    return router
