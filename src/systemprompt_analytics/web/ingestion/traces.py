"""``POST /v1/traces``: an OTLP/HTTP export request in, AI requests and tool executions out.

Answers follow OTLP/HTTP: 200 with an ``ExportTraceServiceResponse`` (``{}``) when every span
was stored or ignored; a ``google.rpc.Status``-shaped body otherwise — 400 naming the
malformed fields (the good spans of the payload are stored all the same; exporters do not
retry a 400), 503 with ``Retry-After`` when storage is busy (exporters retry; span ids make
the retry store nothing twice). ``application/x-protobuf`` is decoded when the optional
``opentelemetry-proto`` package is installed, else refused with 415.
"""

from __future__ import annotations

import base64
import importlib
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from systemprompt_analytics.errors import StorageError
from systemprompt_analytics.ingest.pipeline import CLIENT_CLOSED_REQUEST
from systemprompt_analytics.platform.otlp import TraceBatch, map_traces
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

PROTOBUF_MEDIA_TYPE = "application/x-protobuf"
MAX_OTLP_BODY_BYTES = 4 * 1024 * 1024
INVALID_ARGUMENT = 3  # google.rpc.Code
UNAVAILABLE = 14
MAX_LISTED = 20  # malformed fields named in the message
NO_PROTOBUF = (
    "application/x-protobuf needs the opentelemetry-proto package on the server; "
    "send OTLP/HTTP JSON (application/json), e.g. OTEL_EXPORTER_OTLP_PROTOCOL=http/json"
)
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")

ProtobufDecoder = Callable[[bytes], Any]


def _status(code: int, message: str, http_status: int, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": "5"} if http_status == 503 else None
    return JSONResponse({"code": code, "message": message, **extra}, http_status, headers=headers)


def protobuf_decoder() -> ProtobufDecoder | None:
    """A decoder of binary export requests to the JSON shape, when opentelemetry-proto is
    installed."""
    try:
        json_format = importlib.import_module("google.protobuf.json_format")
        service = importlib.import_module(
            "opentelemetry.proto.collector.trace.v1.trace_service_pb2"
        )
    except ImportError:
        return None

    def decode(raw: bytes) -> Any:
        try:
            message = service.ExportTraceServiceRequest.FromString(raw)
        except Exception as exc:  # protobuf's DecodeError, whatever its module
            raise BodyError(400, "body", f"not an OTLP protobuf export request ({exc})") from None
        payload = json_format.MessageToDict(message)
        _ids_as_hex(payload)
        return payload

    return decode


def _ids_as_hex(payload: Any) -> None:
    """protobuf's JSON mapping writes bytes as base64; OTLP's JSON writes ids as hex."""
    for resource_span in payload.get("resourceSpans", []):
        for scope_span in resource_span.get("scopeSpans", []):
            for span in scope_span.get("spans", []):
                for name in _ID_FIELDS:
                    if isinstance(span.get(name), str):
                        span[name] = base64.b64decode(span[name]).hex()


def _describe(batch: TraceBatch) -> str:
    listed = "; ".join(f"{r.path}: {r.error}" for r in batch.rejected[:MAX_LISTED])
    more = len(batch.rejected) - MAX_LISTED
    if more > 0:
        listed += f"; and {more} more"
    stored = len(batch.ai_requests) + len(batch.tool_executions)
    return f"{batch.rejected_spans} span(s) rejected, {stored} stored: {listed}"


class TraceReceiver:
    def __init__(self, analytics: Analytics, token: BearerToken) -> None:
        self.analytics = analytics
        self.token = token
        self.protobuf = protobuf_decoder()

    async def receive(self, request: Request) -> Response:
        refusal = self.token.refusal(request.headers.get("authorization"))
        if refusal is not None:
            return refusal
        try:
            payload = await self._payload(request)
        except BodyError as exc:
            return _status(INVALID_ARGUMENT, f"{exc.field}: {exc.problem}", exc.status)
        except ClientDisconnect:
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        batch = map_traces(payload)
        try:
            refused = await run_in_threadpool(self._store, batch)
        except StorageError as exc:
            return _status(UNAVAILABLE, f"nothing stored: {exc}", 503)
        if refused:
            return _status(UNAVAILABLE, f"{refused} span(s) not stored: the writer is busy", 503)
        if batch.rejected:
            rejected = [rejection.as_dict() for rejection in batch.rejected]
            return _status(INVALID_ARGUMENT, _describe(batch), 400, rejected=rejected)
        return JSONResponse({})

    async def _payload(self, request: Request) -> Any:
        kind = media_type(request)
        if kind == PROTOBUF_MEDIA_TYPE:
            if self.protobuf is None:
                raise BodyError(415, "Content-Type", NO_PROTOBUF)
            return self.protobuf(await read_body(request, MAX_OTLP_BODY_BYTES))
        if kind != JSON_MEDIA_TYPE:
            raise BodyError(415, "Content-Type", f"send {JSON_MEDIA_TYPE} (OTLP/HTTP JSON)")
        check_charset(request)
        return decode_json(await read_body(request, MAX_OTLP_BODY_BYTES))

    def _store(self, batch: TraceBatch) -> int:
        recorder = self.analytics.platform
        refused = recorder.record_ai_requests(batch.ai_requests)
        refused += recorder.record_tool_executions(batch.tool_executions)
        return len(refused)
