"""OpenTelemetry traces → platform records: an OTLP ``ExportTraceServiceRequest`` (decoded
JSON) becomes AI requests and tool executions. Pure: no I/O.

Spans following the GenAI semantic conventions — ``gen_ai.operation.name`` chat,
text_completion, generate_content or embeddings (or, from instrumentations older than that
attribute, a span with ``gen_ai.system`` and a model) — become AI requests with id
``traceId:spanId``. ``execute_tool`` spans (and OpenLLMetry's ``traceloop.span.kind = tool``)
become tool executions. Every other span is ignored and counted.

Token counts are mapped to our disjoint kinds (see :mod:`systemprompt_analytics.pricing`):
instrumentations report the whole prompt as input tokens with the cached part inside it
(``gen_ai.usage.cache_read.input_tokens``, OpenLLMetry's ``…cache_read_input_tokens``) and the
whole completion as output tokens with the reasoning part inside it — so the parts are taken
off. A part larger than its whole shows an instrumentation that reported them separately; the
whole is then taken as it is. Costs some instrumentations compute (OpenLIT's
``gen_ai.usage.cost``) are ignored: we price with genai-prices, or store unpriced.

A bad span is rejected with the path of the field that is wrong; the other spans of the
payload are mapped all the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from systemprompt_analytics.platform.otlp_values import (
    STATUS_ERROR,
    AttributeValue,
    OtlpError,
    as_list,
    as_object,
    decode_attributes,
    decode_double,
    decode_int,
    get_field,
    hex_id,
    status_code,
    unix_nanos,
)
from systemprompt_analytics.platform.records import AIRequest, ToolExecution
from systemprompt_analytics.platform.validation import Problem, parse

AI_OPERATIONS = frozenset(
    {"chat", "text_completion", "generate_content", "embeddings", "completion", "embedding"}
)
TOOL_OPERATION = "execute_tool"
LEGACY_REQUEST_TYPES = frozenset(
    {"chat", "completion", "embedding"}
)  # OpenLLMetry's llm.request.type

# Where each value comes from, first match wins: current semantic conventions first, then
# the names instrumentations used before (OpenLLMetry, OpenLIT).
PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system")
INPUT_KEYS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
OUTPUT_KEYS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
CACHE_READ_KEYS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
    "gen_ai.usage.prompt_tokens_details.cache_read",
)
CACHE_WRITE_KEYS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.input_tokens.cache_write",
    "gen_ai.usage.prompt_tokens_details.cache_write",
)
REASONING_KEYS = (
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "gen_ai.usage.output_tokens.reasoning",
    "gen_ai.usage.completion_tokens_details.reasoning",
)
STREAMING_KEYS = ("gen_ai.request.stream", "gen_ai.request.is_stream", "llm.is_streaming")
TTFT_SECONDS_KEYS = ("gen_ai.server.time_to_first_token", "gen_ai.response.time_to_first_chunk")
SESSION_KEYS = ("session.id", "gen_ai.session.id", "traceloop.association.properties.session_id")
USER_KEYS = ("user.id", "enduser.id", "traceloop.association.properties.user_id")
TOOL_SERVER_KEYS = ("mcp.server.name", "server.address")

Attributes = Mapping[str, AttributeValue]
R = TypeVar("R", AIRequest, ToolExecution)


@dataclass(frozen=True, slots=True)
class SpanRejection:
    path: str
    error: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.path, "error": self.error}


@dataclass(slots=True)
class TraceBatch:
    """What a payload's spans became."""

    ai_requests: list[AIRequest] = field(default_factory=list)
    tool_executions: list[ToolExecution] = field(default_factory=list)
    ignored: int = 0
    rejected: list[SpanRejection] = field(default_factory=list)
    rejected_spans: int = 0

    def reject(self, error: OtlpError, spans: int = 1) -> None:
        self.rejected.append(SpanRejection(error.path, error.problem))
        self.rejected_spans += spans


def map_traces(payload: Any) -> TraceBatch:
    """Map every span of a decoded ``ExportTraceServiceRequest``."""
    batch = TraceBatch()
    try:
        request = as_object(payload, "")
        resource_spans = as_list(get_field(request, "resourceSpans"), "/resourceSpans")
    except OtlpError as exc:
        batch.reject(exc)
        return batch
    for index, resource_span in enumerate(resource_spans):
        _map_resource_spans(resource_span, f"/resourceSpans/{index}", batch)
    return batch


def _map_resource_spans(value: Any, path: str, batch: TraceBatch) -> None:
    try:
        resource_span = as_object(value, path)
        scope_spans = as_list(get_field(resource_span, "scopeSpans"), f"{path}/scopeSpans")
        resource = get_field(resource_span, "resource")
        resource_attributes = (
            {}
            if resource is None
            else decode_attributes(
                get_field(as_object(resource, f"{path}/resource"), "attributes"),
                f"{path}/resource/attributes",
            )
        )
    except OtlpError as exc:
        batch.reject(exc, _count_spans(value))
        return
    for scope_index, scope_span in enumerate(scope_spans):
        scope_path = f"{path}/scopeSpans/{scope_index}"
        try:
            spans = as_list(
                get_field(as_object(scope_span, scope_path), "spans"), f"{scope_path}/spans"
            )
        except OtlpError as exc:
            batch.reject(exc)
            continue
        for span_index, span in enumerate(spans):
            span_path = f"{scope_path}/spans/{span_index}"
            try:
                record = map_span(span, span_path, resource_attributes)
            except OtlpError as exc:
                batch.reject(exc)
                continue
            if isinstance(record, AIRequest):
                batch.ai_requests.append(record)
            elif isinstance(record, ToolExecution):
                batch.tool_executions.append(record)
            else:
                batch.ignored += 1


def _count_spans(resource_span: Any) -> int:
    """How many spans a rejected resource held (at least one: the rejection itself)."""
    if not isinstance(resource_span, Mapping):
        return 1
    scope_spans = get_field(resource_span, "scopeSpans")
    if not isinstance(scope_spans, list):
        return 1
    total = sum(
        len(spans)
        for scope in scope_spans
        if isinstance(scope, Mapping) and isinstance(spans := get_field(scope, "spans"), list)
    )
    return max(1, total)


# --------------------------------------------------------------------------------------
# One span
# --------------------------------------------------------------------------------------


def span_kind(attributes: Attributes) -> str | None:
    """``ai``, ``tool``, or None for a span that is neither."""
    operation = attributes.get("gen_ai.operation.name")
    if isinstance(operation, str):
        operation = operation.strip().lower()
        if operation == TOOL_OPERATION:
            return "tool"
        if operation in AI_OPERATIONS:
            return "ai"
        return None
    if attributes.get("traceloop.span.kind") == "tool":
        return "tool"
    has_model = any(
        isinstance(attributes.get(key), str)
        for key in ("gen_ai.request.model", "gen_ai.response.model")
    )
    if has_model and (
        attributes.get("llm.request.type") in LEGACY_REQUEST_TYPES
        or isinstance(attributes.get("gen_ai.system"), str)
    ):
        return "ai"
    return None


@dataclass(frozen=True, slots=True)
class _Span:
    """The parts of a span both mappings use."""

    path: str
    id: str
    name: str
    attributes: Attributes
    resource: Attributes
    started_at: datetime
    ended_at: datetime | None
    failed: bool
    error_message: str | None

    def attribute_path(self, key: str) -> str:
        return f"{self.path}/attributes/{key}"


def map_span(value: Any, path: str, resource: Attributes) -> AIRequest | ToolExecution | None:
    """The record a span becomes; None for a span that is not a GenAI or tool span."""
    span = as_object(value, path)
    attributes = decode_attributes(get_field(span, "attributes"), f"{path}/attributes")
    kind = span_kind(attributes)
    if kind is None:
        return None
    trace_id = hex_id(get_field(span, "traceId"), f"{path}/traceId", 16)
    span_id = hex_id(get_field(span, "spanId"), f"{path}/spanId", 8)
    started_at = unix_nanos(get_field(span, "startTimeUnixNano"), f"{path}/startTimeUnixNano")
    if started_at is None:
        raise OtlpError(f"{path}/startTimeUnixNano", "required")
    ended_at = unix_nanos(get_field(span, "endTimeUnixNano"), f"{path}/endTimeUnixNano")
    if ended_at is not None and ended_at < started_at:
        raise OtlpError(f"{path}/endTimeUnixNano", "must not be before startTimeUnixNano")
    code, status_message = status_code(get_field(span, "status"), f"{path}/status")
    error_type = _text(attributes, ("error.type",), path)
    name = get_field(span, "name")
    parsed = _Span(
        path=path,
        id=f"{trace_id}:{span_id}",
        name=name if isinstance(name, str) else "",
        attributes=attributes,
        resource=resource,
        started_at=started_at,
        ended_at=ended_at,
        failed=code == STATUS_ERROR or error_type is not None,
        error_message=status_message or _exception_message(span) or error_type,
    )
    if kind == "tool":
        return _tool_execution(parsed, error_type)
    return _ai_request(parsed, error_type)


def _ai_request(span: _Span, error_type: str | None) -> AIRequest:
    attributes = span.attributes
    model_keys = ("gen_ai.request.model", "gen_ai.response.model")
    model = _text(attributes, model_keys, span.path)
    if model is None:
        raise OtlpError(span.attribute_path(model_keys[0]), "required for a GenAI span")
    provider = _text(attributes, PROVIDER_KEYS, span.path)
    input_total, cache_read, cache_write = (
        _count(span, INPUT_KEYS),
        _count(span, CACHE_READ_KEYS) or 0,
        _count(span, CACHE_WRITE_KEYS) or 0,
    )
    output_total, reasoning = _count(span, OUTPUT_KEYS), _count(span, REASONING_KEYS) or 0
    ttft_seconds = _number(span, TTFT_SECONDS_KEYS)
    fields: dict[str, Any] = {
        "id": span.id,
        "provider": provider.lower() if provider is not None else None,
        "model": model,
        "response_model": _text(attributes, ("gen_ai.response.model",), span.path),
        "requested_at": span.started_at,
        "completed_at": span.ended_at,
        "input_tokens": _without_parts(input_total, cache_read + cache_write),
        "output_tokens": _without_parts(output_total, reasoning),
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": reasoning,
        "time_to_first_token_ms": None if ttft_seconds is None else round(ttft_seconds * 1000),
        "status": _failure_status(error_type) if span.failed else "success",
        "is_streaming": _flag(span, STREAMING_KEYS),
        "error_message": span.error_message if span.failed else None,
        "session_id": _text(attributes, SESSION_KEYS, span.path, span.resource),
        "user_id": _text(attributes, USER_KEYS, span.path, span.resource),
        "conversation_id": _text(attributes, ("gen_ai.conversation.id",), span.path),
        "agent_name": _text(attributes, ("gen_ai.agent.name",), span.path),
    }
    sources = {
        "provider": PROVIDER_KEYS,
        "model": model_keys,
        "response_model": ("gen_ai.response.model",),
        "input_tokens": INPUT_KEYS,
        "output_tokens": OUTPUT_KEYS,
        "cache_read_tokens": CACHE_READ_KEYS,
        "cache_write_tokens": CACHE_WRITE_KEYS,
        "reasoning_tokens": REASONING_KEYS,
        "time_to_first_token_ms": TTFT_SECONDS_KEYS,
        "session_id": SESSION_KEYS,
        "user_id": USER_KEYS,
        "conversation_id": ("gen_ai.conversation.id",),
        "agent_name": ("gen_ai.agent.name",),
    }
    outcome = parse(AIRequest, {name: value for name, value in fields.items() if value is not None})
    return _or_raise(outcome, span, sources)


def _tool_execution(span: _Span, error_type: str | None) -> ToolExecution:
    attributes = span.attributes
    name_keys = ("gen_ai.tool.name", "traceloop.entity.name")
    tool = _text(attributes, name_keys, span.path)
    if tool is None and span.name.startswith(f"{TOOL_OPERATION} "):
        tool = span.name.removeprefix(f"{TOOL_OPERATION} ").strip() or None
    if tool is None:
        raise OtlpError(span.attribute_path(name_keys[0]), "required for a tool span")
    status = "success"
    if span.failed:
        status = "timeout" if _failure_status(error_type) == "timeout" else "failed"
    fields: dict[str, Any] = {
        "id": span.id,
        "tool_name": tool,
        "server_name": _text(attributes, TOOL_SERVER_KEYS, span.path),
        "status": status,
        "started_at": span.started_at,
        "completed_at": span.ended_at,
        "error_message": span.error_message if span.failed else None,
        "agent_name": _text(attributes, ("gen_ai.agent.name",), span.path),
        "session_id": _text(attributes, SESSION_KEYS, span.path, span.resource),
        "user_id": _text(attributes, USER_KEYS, span.path, span.resource),
    }
    sources = {
        "tool_name": name_keys,
        "server_name": TOOL_SERVER_KEYS,
        "agent_name": ("gen_ai.agent.name",),
        "session_id": SESSION_KEYS,
        "user_id": USER_KEYS,
    }
    outcome = parse(
        ToolExecution, {name: value for name, value in fields.items() if value is not None}
    )
    return _or_raise(outcome, span, sources)


def _or_raise(outcome: R | Problem, span: _Span, sources: dict[str, tuple[str, ...]]) -> R:
    """The record, or the record's problem as an error at the attribute it came from."""
    if not isinstance(outcome, Problem):
        return outcome
    keys = sources.get(outcome.field, ())
    present = [key for key in keys if key in span.attributes or key in span.resource]
    if present:
        raise OtlpError(span.attribute_path(present[0]), outcome.error)
    if outcome.field in ("completed_at", "requested_at", "started_at"):
        raise OtlpError(f"{span.path}/endTimeUnixNano", outcome.error)
    raise OtlpError(f"{span.path}/{outcome.field}", outcome.error)


# --------------------------------------------------------------------------------------
# Attribute values
# --------------------------------------------------------------------------------------


def _first(keys: tuple[str, ...], *sources: Attributes) -> tuple[str, AttributeValue] | None:
    for source in sources:
        for key in keys:
            value = source.get(key)
            if value is not None:
                return key, value
    return None


def _text(
    attributes: Attributes, keys: tuple[str, ...], path: str, *fallbacks: Attributes
) -> str | None:
    """A string attribute (an integer id is taken as its decimal text)."""
    found = _first(keys, attributes, *fallbacks)
    if found is None:
        return None
    key, value = found
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise OtlpError(f"{path}/attributes/{key}", "must be a string")
    return str(value).strip() or None


def _count(span: _Span, keys: tuple[str, ...]) -> int | None:
    found = _first(keys, span.attributes)
    if found is None:
        return None
    key, value = found
    if isinstance(value, list | dict | bytes):
        raise OtlpError(span.attribute_path(key), "must be a number of tokens")
    return decode_int(value, span.attribute_path(key), 0)


def _number(span: _Span, keys: tuple[str, ...]) -> float | None:
    found = _first(keys, span.attributes)
    if found is None:
        return None
    key, value = found
    number = decode_double(value, span.attribute_path(key))
    if not 0 <= number < 2_000_000:  # seconds; the column holds 24 days of milliseconds
        raise OtlpError(span.attribute_path(key), "must be a duration in seconds")
    return number


def _flag(span: _Span, keys: tuple[str, ...]) -> bool:
    found = _first(keys, span.attributes)
    if found is None:
        return False
    key, value = found
    if not isinstance(value, bool):
        raise OtlpError(span.attribute_path(key), "must be true or false")
    return value


def _without_parts(whole: int | None, parts: int) -> int:
    """The whole minus the parts reported inside it (see the module docstring)."""
    if whole is None:
        return 0
    return whole - parts if whole >= parts else whole


def _failure_status(error_type: str | None) -> str:
    return "timeout" if error_type is not None and "timeout" in error_type.lower() else "error"


def _exception_message(span: Mapping[str, Any]) -> str | None:
    """The message of the span's first well-formed ``exception`` event, if any."""
    events = get_field(span, "events")
    if not isinstance(events, list):
        return None
    for event in events:
        if not isinstance(event, Mapping) or event.get("name") != "exception":
            continue
        try:
            attributes = decode_attributes(get_field(event, "attributes"), "")
        except OtlpError:
            continue
        message = attributes.get("exception.message")
        if isinstance(message, str) and message.strip():
            return message
    return None
