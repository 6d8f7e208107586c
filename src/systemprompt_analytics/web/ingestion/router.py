"""HTTP ingestion of platform facts, as FastAPI routers the host app mounts::

    app.include_router(ingestion_router(analytics), prefix="/api/v1")  # POST /api/v1/ingest/...
    app.include_router(otlp_router(analytics))  # POST /v1/traces, where OTLP exporters send

Every endpoint needs ``Authorization: Bearer $SP_ANALYTICS_API_TOKEN`` (401 without it, 503
when no token is configured). An ingestion body is one record or ``{"items": [...]}`` with up
to 1,000; the answer is ``{"accepted": n, "rejected": [{"index", "field", "error"}]}`` — 202
when something was stored (the valid items of a batch are stored whatever is wrong with the
others), 422 when no item was valid, 400/413/415 for a body that cannot be read, 503 (with
``Retry-After``) when storage is unavailable or the writer's queue is full. See
docs/ingestion.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from systemprompt_analytics.errors import StorageError
from systemprompt_analytics.ingest.pipeline import CLIENT_CLOSED_REQUEST
from systemprompt_analytics.platform.recorder import PlatformRecorder
from systemprompt_analytics.platform.records import (
    AgentTask,
    AIRequest,
    CliSession,
    Conversation,
    Message,
    ToolExecution,
    UserIdentity,
)
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.auth import BearerToken
from systemprompt_analytics.web.ingestion.body import (
    JSON_MEDIA_TYPE,
    BodyError,
    check_charset,
    decode_json,
    media_type,
    read_body,
)
from systemprompt_analytics.web.ingestion.items import (
    MAX_ITEMS,
    BatchShapeError,
    Rejection,
    items_of,
    judge,
)
from systemprompt_analytics.web.ingestion.traces import TraceReceiver

MAX_BODY_BYTES = 1024 * 1024
RETRY_LATER = {"Retry-After": "5"}
OVERLOADED = "not stored: the writer's queue is full; send it again later"

# Stores records; returns the positions of those refused for now (the writer was full).
Store = Callable[[PlatformRecorder, Sequence[Any]], list[int]]


def _stored_at_once(method: Callable[[PlatformRecorder, Sequence[Any]], None]) -> Store:
    def store(recorder: PlatformRecorder, records: Sequence[Any]) -> list[int]:
        method(recorder, records)
        return []

    return store


@dataclass(frozen=True, slots=True)
class Endpoint:
    path: str
    model: type[BaseModel]
    summary: str
    store: Store


ENDPOINTS = (
    Endpoint(
        "/ingest/ai-requests", AIRequest, "Record AI requests", PlatformRecorder.record_ai_requests
    ),
    Endpoint(
        "/ingest/tool-executions",
        ToolExecution,
        "Record MCP tool executions",
        PlatformRecorder.record_tool_executions,
    ),
    Endpoint(
        "/ingest/agent-tasks",
        AgentTask,
        "Record agent tasks and their status changes",
        _stored_at_once(PlatformRecorder.record_agent_tasks),
    ),
    Endpoint(
        "/ingest/conversations",
        Conversation,
        "Record conversations",
        _stored_at_once(PlatformRecorder.record_conversations),
    ),
    Endpoint(
        "/ingest/messages",
        Message,
        "Record conversation messages",
        _stored_at_once(PlatformRecorder.record_messages),
    ),
    Endpoint(
        "/ingest/users",
        UserIdentity,
        "Identify users (anonymous or registered, traits)",
        _stored_at_once(PlatformRecorder.identify_users),
    ),
    Endpoint(
        "/ingest/cli-sessions",
        CliSession,
        "Record CLI sessions",
        _stored_at_once(PlatformRecorder.record_cli_sessions),
    ),
)


def answer(
    status: int,
    accepted: int,
    rejected: Sequence[Rejection],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"accepted": accepted, "rejected": [rejection.as_dict() for rejection in rejected]}
    return JSONResponse(body, status, headers=dict(headers or {}))


class _Ingestion:
    def __init__(self, analytics: Analytics) -> None:
        self.analytics = analytics
        self.token = BearerToken(analytics.settings)

    def route(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            return await self.handle(request, endpoint)

        return handle

    async def handle(self, request: Request, endpoint: Endpoint) -> Response:
        refusal = self.token.refusal(request.headers.get("authorization"))
        if refusal is not None:
            return refusal
        try:
            if media_type(request) != JSON_MEDIA_TYPE:
                raise BodyError(415, "Content-Type", f"send {JSON_MEDIA_TYPE}")
            check_charset(request)
            items = items_of(decode_json(await read_body(request, MAX_BODY_BYTES)))
        except (BodyError, BatchShapeError) as exc:
            return answer(exc.status, 0, [Rejection(None, exc.field, exc.problem)])
        except ClientDisconnect:
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        judged = judge(endpoint.model, items)
        if not judged.accepted:
            return answer(422, 0, judged.rejected)
        records = [record for _, record in judged.accepted]
        try:
            refused = await run_in_threadpool(endpoint.store, self.analytics.platform, records)
        except StorageError as exc:
            unavailable = Rejection(None, "body", f"nothing stored: {exc}")
            return answer(503, 0, [*judged.rejected, unavailable], RETRY_LATER)
        dropped = [
            Rejection(judged.accepted[position][0], "item", OVERLOADED) for position in refused
        ]
        rejected = sorted([*judged.rejected, *dropped], key=lambda rejection: rejection.index or 0)
        accepted = len(records) - len(dropped)
        if dropped:
            return answer(503, accepted, rejected, RETRY_LATER)
        return answer(202, accepted, rejected)


_RESULT = {"description": '{"accepted": n, "rejected": [{"index", "field", "error"}]}'}


def _openapi(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    batch = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": schema, "minItems": 1, "maxItems": MAX_ITEMS}
        },
        "required": ["items"],
        "additionalProperties": False,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {JSON_MEDIA_TYPE: {"schema": {"oneOf": [schema, batch]}}},
        }
    }


def ingestion_router(analytics: Analytics) -> APIRouter:
    """``POST /ingest/<fact>`` for each kind of platform fact, stored through ``analytics``."""
    ingestion = _Ingestion(analytics)
    router = APIRouter(tags=["ingestion"])
    for endpoint in ENDPOINTS:
        router.add_api_route(
            endpoint.path,
            ingestion.route(endpoint),
            methods=["POST"],
            status_code=202,
            summary=endpoint.summary,
            description=f'One record, or {{"items": [...]}} with 1 to {MAX_ITEMS:,}. '
            "See docs/ingestion.md.",
            responses={
                202: _RESULT,
                400: _RESULT,
                401: {"description": "Missing or wrong bearer token"},
                413: {"description": f"Body over 1 MiB or more than {MAX_ITEMS:,} items"},
                415: {"description": "Not application/json"},
                422: _RESULT,
                503: {"description": "No API token configured, or storage unavailable"},
            },
            openapi_extra=_openapi(endpoint.model),
        )
    return router


def otlp_router(analytics: Analytics) -> APIRouter:
    """``POST /v1/traces``: OTLP/HTTP traces (JSON) whose GenAI spans become AI requests and
    tool executions. Mount it where the app's OTLP exporter sends (its endpoint + /v1/traces)."""
    receiver = TraceReceiver(analytics, BearerToken(analytics.settings))
    router = APIRouter(tags=["opentelemetry"])
    router.add_api_route(
        "/v1/traces",
        receiver.receive,
        methods=["POST"],
        summary="Receive OTLP/HTTP traces (JSON)",
        description="An ExportTraceServiceRequest in OTLP's JSON encoding. See docs/ingestion.md.",
        responses={
            200: {"description": "Every span was stored or ignored (not a GenAI span)"},
            400: {"description": "Malformed spans (named); the good ones were stored"},
            401: {"description": "Missing or wrong bearer token"},
            413: {"description": "Body over 4 MiB"},
            415: {"description": "Not application/json (protobuf needs opentelemetry-proto)"},
            503: {"description": "No API token configured, or storage unavailable"},
        },
    )
    return router
