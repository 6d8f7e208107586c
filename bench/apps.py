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
from systemprompt_analytics.config import Settings, load_settings
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


def bench_analytics(settings: Settings, *, writer_thread: bool = True) -> Analytics:
    """An ``Analytics`` for the benchmarks' tracked app.

    The load generator sends one rate-unlimited stream from one address: the limit is lifted
    (unless ``SP_ANALYTICS_THROTTLE_RATE`` sets one) so every request does the full work (a 429
    would be cheaper than a real answer). ``writer_thread=False`` is a bound, not a
    configuration: requests are queued as usual but no writer thread takes them (a bench's
    few seconds stay under the queue's bound), so a run shows what the request path alone
    costs. Not for anything but the benchmarks."""
    if "SP_ANALYTICS_THROTTLE_RATE" not in os.environ:
        settings = settings.model_copy(update={"throttle_rate": "100000000/minute"})
    analytics = Analytics(settings, migrate=True)
    if not writer_thread:
        writer = analytics.writer
        writer.start = lambda: writer  # type: ignore[method-assign]
    return analytics


def tracked(analytics: Analytics) -> Starlette:
    """(b)'s app with the middleware."""
    app = _app()
    app.add_middleware(AnalyticsMiddleware, analytics=analytics)
    return app


def _tracked() -> Starlette:
    url = os.environ.get("SP_BENCH_DATABASE_URL")
    if not url:
        return _app()
    settings = load_settings(database_url=url)  # other settings from SP_ANALYTICS_*
    return tracked(
        bench_analytics(settings, writer_thread=not os.environ.get("SP_BENCH_WRITER_OFF"))
    )


tracked_app = _tracked()
