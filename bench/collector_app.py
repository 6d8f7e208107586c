"""The apps the collector benchmark serves under uvicorn (``bench_collector.py`` starts them).

``baseline_app`` parses the same JSON body and answers 202 without validating or storing
anything: the framework-and-JSON floor. ``collector_app`` is the real collector router, storing
into ``$SP_BENCH_DATABASE_URL``; its lifespan shutdown flushes the writer, so every accepted
event is in the database once uvicorn has exited.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.collector import collector_router


def _baseline() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/collect")
    async def collect(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        events = body["events"] if isinstance(body, dict) and "events" in body else [body]
        return JSONResponse({"accepted": len(events), "rejected": []}, status_code=202)

    return app


def _collector() -> FastAPI | None:
    url = os.environ.get("SP_BENCH_DATABASE_URL")
    if not url:
        return None
    settings = load_settings(database_url=url)
    # One load generator on one address: lift the rate limit so every batch does the full work.
    if "SP_ANALYTICS_THROTTLE_RATE" not in os.environ:
        settings = settings.model_copy(update={"throttle_rate": "100000000/minute"})
    analytics = Analytics(settings, migrate=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        analytics.start()
        yield
        analytics.close(timeout=120)

    app = FastAPI(lifespan=lifespan)
    app.include_router(collector_router(analytics), prefix="/api/v1")
    return app


baseline_app = _baseline()
collector_app = _collector()
