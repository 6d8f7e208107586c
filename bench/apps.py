"""The trivial Starlette endpoint the middleware benchmark serves, bare and with the middleware.

Run by uvicorn in a separate process (``bench_pipeline.py`` starts it) so the load generator
and the server do not share a GIL. The tracked app writes to ``$SP_BENCH_DATABASE_URL``.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.spin import spin
from systemprompt_analytics.config import load_settings
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web import AnalyticsMiddleware


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


# A small API answer for comparison with the trivial one: 200 records rendered as JSON
# (~160 µs of json.dumps on the benchmark machine), as a list endpoint of a real app might.
ITEMS = [
    {"id": i, "name": f"item {i}", "price": i * 1.5, "tags": ["a", "b", "c"], "active": i % 2 == 0}
    for i in range(200)
]


async def items(request: Request) -> JSONResponse:
    return JSONResponse(ITEMS)


ROUTES = [Route("/api/items", items), Route("/{path:path}", hello)]


def _app() -> Starlette:
    return Starlette(routes=ROUTES)


bare_app = _app()


# The calibration case: a middleware that does nothing but a fixed amount of arithmetic per
# request. Its cost on its own is measured in the bench process, so the row reads "a middleware
# costing N µs of Python keeps this share of the bare rate": what the 80% target allows on the
# machine at hand.
class SpinMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            spin()
        await self.app(scope, receive, send)


def _spin() -> Starlette:
    app = _app()
    app.add_middleware(SpinMiddleware)
    return app


spin_app = _spin()


def _tracked() -> Starlette:
    app = _app()
    url = os.environ.get("SP_BENCH_DATABASE_URL")
    if url:
        settings = load_settings(database_url=url)  # other settings from SP_ANALYTICS_*
        # The load generator sends one rate-unlimited stream from one address: lift the limit
        # so every request does the full work (a 429 would be cheaper than a real answer).
        if "SP_ANALYTICS_THROTTLE_RATE" not in os.environ:
            settings = settings.model_copy(update={"throttle_rate": "100000000/minute"})
        analytics = Analytics(settings, migrate=True)
        if os.environ.get("SP_BENCH_WRITER_OFF"):
            # A bound, not a configuration: the requests are queued as usual but no writer
            # thread takes them (the bench's few seconds stay under the queue's bound), so the
            # run shows what the request path alone costs. Not for anything but this bench.
            writer = analytics.writer
            writer.start = lambda: writer  # type: ignore[method-assign]
        app.add_middleware(AnalyticsMiddleware, analytics=analytics)
    return app


tracked_app = _tracked()
