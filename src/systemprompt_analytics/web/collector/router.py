"""The collector's HTTP endpoints, as a FastAPI router the host app mounts.

    app.include_router(collector_router(analytics), prefix="/api/v1")

gives ``POST /api/v1/collect`` (tracker events; contract in docs/collector.md),
``OPTIONS /api/v1/collect`` (CORS preflight) and ``GET /api/v1/tracker.js``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from systemprompt_analytics.ingest.pipeline import CLIENT_CLOSED_REQUEST
from systemprompt_analytics.ingest.recent_ids import RecentIds
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.collector.contract import MAX_BODY_BYTES
from systemprompt_analytics.web.collector.cors import CorsPolicy
from systemprompt_analytics.web.collector.decode import decode_json, media_type_error
from systemprompt_analytics.web.collector.json_schema import openapi_request_body
from systemprompt_analytics.web.collector.session import Attribution, attribute, store_events
from systemprompt_analytics.web.collector.static import (
    CACHE_CONTROL,
    MEDIA_TYPE,
    StaticFile,
    load_tracker,
)
from systemprompt_analytics.web.collector.validate import (
    BODY_FIELD,
    ParseResult,
    Rejection,
    parse_payload,
)
from systemprompt_analytics.web.throttling import throttle_refusal

UNATTRIBUTABLE = "the collector is mounted at a path the analytics pipeline does not track"
RETRY_LATER = {"Retry-After": "5"}


class BodyTooLargeError(Exception):
    """The request body is over the collector's limit."""


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body; :class:`BodyTooLargeError` as soon as it is over ``limit`` bytes.

    A declared ``Content-Length`` is checked first, then the bytes are counted as they arrive:
    a chunked body declares no length, and a declared one may be a lie.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError
    return bytes(body)


def _rejection(field: str, error: str) -> ParseResult:
    return ParseResult(rejected=(Rejection(0, field, error),))


def _without(result: ParseResult, dropped: list[Rejection]) -> ParseResult:
    """``result`` with the events the writer could not take moved to the rejections."""
    lost = {rejection.index for rejection in dropped}
    kept = tuple(event for event in result.accepted if event.index not in lost)
    rejected = sorted((*result.rejected, *dropped), key=lambda rejection: rejection.index)
    return ParseResult(kept, tuple(rejected))


class _Collector:
    def __init__(self, analytics: Analytics) -> None:
        self.analytics = analytics
        self.cors = CorsPolicy.of(analytics.settings.collector_cors_origins)
        self.recent = RecentIds()

    async def collect(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        attribution = attribute(self.analytics, request.scope)
        received_at = datetime.now(UTC)  # after attribution: never before the session began
        if attribution is None:
            return self._answer(origin, 503, _rejection(BODY_FIELD, UNATTRIBUTABLE), None)
        refused = (
            throttle_refusal(self.analytics, attribution.context) if attribution.owned else None
        )
        if refused is not None:
            error = f"too many requests; retry after {refused.retry_after} s"
            refusal = _rejection(BODY_FIELD, error)
            return self._answer(origin, 429, refusal, attribution, refused.headers())
        status, result = await self._validate(request, received_at)
        if not result.accepted:
            return self._answer(origin, status, result, attribution)
        dropped = store_events(
            self.analytics, result.accepted, attribution, received_at, self.recent
        )
        if dropped:
            return self._answer(origin, 503, _without(result, dropped), attribution, RETRY_LATER)
        return self._answer(origin, status, result, attribution)

    async def _validate(self, request: Request, received_at: datetime) -> tuple[int, ParseResult]:
        problem = media_type_error(request.headers.get("content-type"))
        if problem is not None:
            return 415, _rejection("Content-Type", problem)
        try:
            raw = await read_body(request)
        except BodyTooLargeError:
            return 413, _rejection(BODY_FIELD, f"larger than {MAX_BODY_BYTES:,} bytes")
        except ClientDisconnect:
            return CLIENT_CLOSED_REQUEST, _rejection(BODY_FIELD, "the client went away")
        payload, error = decode_json(raw)
        if error is not None:
            return 400, _rejection(BODY_FIELD, error)
        result = parse_payload(payload, received_at)
        return (202 if result.accepted else 400), result

    def _answer(
        self,
        origin: str | None,
        status: int,
        result: ParseResult,
        attribution: Attribution | None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        response = JSONResponse(
            result.as_dict(), status, headers={**self.cors.headers(origin), **(headers or {})}
        )
        if attribution is not None and attribution.owned:
            context = attribution.context
            if context.set_cookie is not None:
                response.headers.append("set-cookie", context.set_cookie)
            self.analytics.pipeline.finish(context, status, response_bytes=len(response.body))
        return response

    async def preflight(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is None:  # not a CORS preflight: a plain OPTIONS asking what is allowed
            return Response(status_code=204, headers={"Allow": "POST, OPTIONS"})
        headers = self.cors.preflight_headers(origin)
        if headers is None:
            return Response(
                f"origin {origin} may not call the collector; list it in "
                "SP_ANALYTICS_COLLECTOR_CORS_ORIGINS\n",
                status_code=403,
                media_type="text/plain",
                headers={"Vary": "Origin"},
            )
        return Response(status_code=204, headers=headers)


def _serve(script: StaticFile, request: Request) -> Response:
    headers = {"ETag": script.etag, "Cache-Control": CACHE_CONTROL}
    if script.is_current(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(script.body, media_type=MEDIA_TYPE, headers=headers)


_RESULT = {"description": '{"accepted": n, "rejected": [{"index", "field", "error"}]}'}


def collector_router(analytics: Analytics) -> APIRouter:
    """The collector's routes, attributing events with ``analytics``' pipeline."""
    collector = _Collector(analytics)
    script = load_tracker()
    router = APIRouter(tags=["collector"])
    router.add_api_route(
        "/collect",
        collector.collect,
        methods=["POST"],
        status_code=202,
        summary="Record tracker events",
        description='One event, or {"events": [...]} with 1 to 100. See docs/collector.md.',
        responses={
            202: _RESULT,
            400: _RESULT,
            413: {"description": "The body is over 64 KiB"},
            415: {"description": "Not application/json or text/plain"},
            429: {"description": "Rate limited; see Retry-After"},
            503: {"description": "Events not stored (the writer is full); see Retry-After"},
        },
        openapi_extra={"requestBody": openapi_request_body()},
    )
    router.add_api_route(
        "/collect", collector.preflight, methods=["OPTIONS"], include_in_schema=False
    )

    async def tracker_js(request: Request) -> Response:
        return _serve(script, request)

    router.add_api_route("/tracker.js", tracker_js, methods=["GET"], summary="The browser tracker")
    router.add_api_route("/tracker.js", tracker_js, methods=["HEAD"], include_in_schema=False)
    return router
