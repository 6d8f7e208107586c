"""OTLP/HTTP JSON → AI requests and tool executions (pure mapping, no database).

The payload below is written by hand from the GenAI semantic conventions and from what
OpenLLMetry (``gen_ai.usage.prompt_tokens``, ``…cache_read_input_tokens``,
``traceloop.association.properties.*``) and OpenLIT (``gen_ai.system`` + operation name,
``gen_ai.usage.cost``, ``gen_ai.request.is_stream``) put on their spans.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from systemprompt_analytics.platform.otlp import map_traces, span_kind
from systemprompt_analytics.platform.records import AIRequest, ToolExecution

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TRACE = "5b8efff798038103d269b633813fc60c"


def nanos(moment: datetime) -> str:
    return str(
        int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 10**9
        + moment.microsecond * 1000
    )


def attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {
            "key": key,
            "value": {"intValue": str(value)},
        }  # int64 as a string, as OTLP JSON does
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": value}}


def span(
    span_id: str,
    name: str,
    start: datetime,
    millis: int,
    attributes: list[dict[str, Any]],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "traceId": TRACE,
        "spanId": span_id,
        "parentSpanId": "a000000000000001",
        "name": name,
        "kind": 3,
        "startTimeUnixNano": nanos(start),
        "endTimeUnixNano": nanos(start + timedelta(milliseconds=millis)),
        "attributes": attributes,
        "status": {"code": 1},
        **extra,
    }


OPENLLMETRY_CHAT = span(
    "eee19b7ec3c1b174",
    "openai.chat",
    T0,
    1234,
    [
        attr("gen_ai.system", "openai"),
        attr("llm.request.type", "chat"),
        attr("gen_ai.request.model", "gpt-4o"),
        attr("gen_ai.response.model", "gpt-4o-2024-08-06"),
        attr("gen_ai.usage.prompt_tokens", 2500),
        attr("gen_ai.usage.completion_tokens", 180),
        attr("gen_ai.usage.cache_read_input_tokens", 2048),
        attr("llm.usage.total_tokens", 2680),
        attr("llm.is_streaming", True),
        attr("gen_ai.prompt.0.role", "user"),
        attr("gen_ai.prompt.0.content", "Where is my order?"),
        attr("traceloop.association.properties.session_id", "sess_abc"),
        attr("traceloop.association.properties.user_id", "user_42"),
    ],
)
SEMCONV_REASONING = span(
    "eee19b7ec3c1b175",
    "chat o3-mini",
    T0 + timedelta(seconds=2),
    8000,
    [
        attr("gen_ai.operation.name", "chat"),
        attr("gen_ai.provider.name", "openai"),
        attr("gen_ai.request.model", "o3-mini"),
        attr("gen_ai.usage.input_tokens", 1200),
        attr("gen_ai.usage.output_tokens", 900),
        attr("gen_ai.usage.reasoning.output_tokens", 640),
        attr("gen_ai.conversation.id", "conv_9"),
        attr("gen_ai.agent.name", "support-agent"),
        attr("session.id", "sess_abc"),
        attr("user.id", "user_42"),
    ],
)
OPENLIT_ANTHROPIC = span(
    "eee19b7ec3c1b176",
    "chat claude-sonnet-4-5",
    T0 + timedelta(seconds=11),
    2100,
    [
        attr("gen_ai.operation.name", "chat"),
        attr("gen_ai.system", "anthropic"),
        attr("gen_ai.request.model", "claude-sonnet-4-5"),
        attr("gen_ai.usage.input_tokens", 10_000),
        attr("gen_ai.usage.cache_read_input_tokens", 8_000),
        attr("gen_ai.usage.cache_creation_input_tokens", 1_500),
        attr("gen_ai.usage.output_tokens", 300),
        attr("gen_ai.usage.cost", 0.0123),  # OpenLIT's own estimate: ignored
        attr("gen_ai.request.is_stream", False),
        attr("gen_ai.server.time_to_first_token", 0.42),
    ],
)
FAILED_CHAT = span(
    "eee19b7ec3c1b177",
    "chat gpt-4o-mini",
    T0 + timedelta(seconds=14),
    310,
    [
        attr("gen_ai.operation.name", "chat"),
        attr("gen_ai.provider.name", "openai"),
        attr("gen_ai.request.model", "gpt-4o-mini"),
        attr("error.type", "RateLimitError"),
    ],
    status={"code": 2},
    events=[
        {
            "timeUnixNano": nanos(T0 + timedelta(seconds=14)),
            "name": "exception",
            "attributes": [
                attr("exception.type", "openai.RateLimitError"),
                attr("exception.message", "Rate limit reached for gpt-4o-mini"),
            ],
        }
    ],
)
TOOL_CALL = span(
    "eee19b7ec3c1b178",
    "execute_tool web.search",
    T0 + timedelta(seconds=15),
    30_250,
    [
        attr("gen_ai.operation.name", "execute_tool"),
        attr("gen_ai.tool.name", "web.search"),
        attr("gen_ai.tool.call.id", "call_7"),
        attr("mcp.server.name", "search-server"),
        attr("gen_ai.agent.name", "support-agent"),
        attr("error.type", "TimeoutError"),
        attr("session.id", "sess_abc"),
    ],
    status={"code": "STATUS_CODE_ERROR", "message": "tool call timed out after 30 s"},
)
HTTP_SERVER_SPAN = span(
    "eee19b7ec3c1b179",
    "POST /api/chat",
    T0,
    16_000,
    [attr("http.request.method", "POST"), attr("url.path", "/api/chat")],
)
EMBEDDINGS = span(
    "eee19b7ec3c1b17a",
    "embeddings text-embedding-3-small",
    T0 + timedelta(seconds=1),
    90,
    [
        attr("gen_ai.operation.name", "embeddings"),
        attr("gen_ai.provider.name", "openai"),
        attr("gen_ai.request.model", "text-embedding-3-small"),
        attr("gen_ai.usage.input_tokens", 64),
    ],
)


def payload(*spans: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        attr("service.name", "support-bot"),
                        attr("telemetry.sdk.language", "python"),
                    ]
                },
                "scopeSpans": [
                    {
                        "scope": {
                            "name": "opentelemetry.instrumentation.openai.v1",
                            "version": "0.40.7",
                        },
                        "spans": list(spans),
                    }
                ],
            }
        ]
    }


EVERY_SPAN = (
    OPENLLMETRY_CHAT,
    SEMCONV_REASONING,
    OPENLIT_ANTHROPIC,
    FAILED_CHAT,
    TOOL_CALL,
    HTTP_SERVER_SPAN,
    EMBEDDINGS,
)


def test_an_openllmetry_chat_span_becomes_the_expected_ai_request() -> None:
    batch = map_traces(payload(OPENLLMETRY_CHAT))
    assert batch.rejected == [] and batch.ignored == 0
    assert batch.ai_requests == [
        AIRequest(
            id=f"{TRACE}:eee19b7ec3c1b174",
            provider="openai",
            model="gpt-4o",
            response_model="gpt-4o-2024-08-06",
            requested_at=T0,
            completed_at=T0 + timedelta(milliseconds=1234),
            input_tokens=452,  # the prompt's 2,500 include the 2,048 read from the cache
            output_tokens=180,
            cache_read_tokens=2048,
            cache_write_tokens=0,
            reasoning_tokens=0,
            status="success",
            is_streaming=True,
            session_id="sess_abc",
            user_id="user_42",
        )
    ]


def test_reasoning_tokens_are_taken_out_of_the_output() -> None:
    (request,) = map_traces(payload(SEMCONV_REASONING)).ai_requests
    assert (request.output_tokens, request.reasoning_tokens) == (260, 640)
    assert request.input_tokens == 1200
    assert (request.conversation_id, request.agent_name) == ("conv_9", "support-agent")
    assert (request.session_id, request.user_id) == ("sess_abc", "user_42")


def test_openlit_cache_parts_are_taken_out_of_the_input_and_its_cost_is_ignored() -> None:
    (request,) = map_traces(payload(OPENLIT_ANTHROPIC)).ai_requests
    assert request.provider == "anthropic"
    assert (request.input_tokens, request.cache_read_tokens, request.cache_write_tokens) == (
        500,
        8000,
        1500,
    )
    assert request.cost_microdollars is None  # priced by us, never OpenLIT's estimate
    assert request.time_to_first_token_ms == 420
    assert request.is_streaming is False


def test_a_failed_span_becomes_an_error_with_the_exception_message() -> None:
    (request,) = map_traces(payload(FAILED_CHAT)).ai_requests
    assert request.status == "error"
    assert request.error_message == "Rate limit reached for gpt-4o-mini"
    assert (request.input_tokens, request.output_tokens) == (0, 0)


def test_a_tool_span_becomes_a_tool_execution() -> None:
    batch = map_traces(payload(TOOL_CALL))
    assert batch.tool_executions == [
        ToolExecution(
            id=f"{TRACE}:eee19b7ec3c1b178",
            tool_name="web.search",
            server_name="search-server",
            status="timeout",
            started_at=T0 + timedelta(seconds=15),
            completed_at=T0 + timedelta(seconds=45, milliseconds=250),
            error_message="tool call timed out after 30 s",
            agent_name="support-agent",
            session_id="sess_abc",
        )
    ]


def test_other_spans_are_ignored_and_counted() -> None:
    batch = map_traces(payload(*EVERY_SPAN))
    assert batch.rejected == []
    assert len(batch.ai_requests) == 5
    assert len(batch.tool_executions) == 1
    assert batch.ignored == 1


def test_a_bad_span_is_named_and_the_good_ones_are_kept() -> None:
    bad_tokens = copy.deepcopy(SEMCONV_REASONING)
    bad_tokens["attributes"][3] = {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "-5"}}
    bad_id = copy.deepcopy(FAILED_CHAT)
    bad_id["spanId"] = "xyz"
    batch = map_traces(payload(OPENLLMETRY_CHAT, bad_tokens, TOOL_CALL, bad_id, HTTP_SERVER_SPAN))
    spans = "/resourceSpans/0/scopeSpans/0/spans"
    assert [(r.path, r.error) for r in batch.rejected] == [
        (
            f"{spans}/1/attributes/gen_ai.usage.input_tokens",
            "must be between 0 and 9223372036854775807",
        ),
        (f"{spans}/3/spanId", "must be 16 hex digits"),
    ]
    assert batch.rejected_spans == 2
    assert [r.id for r in batch.ai_requests] == [f"{TRACE}:eee19b7ec3c1b174"]
    assert len(batch.tool_executions) == 1 and batch.ignored == 1


@pytest.mark.parametrize(
    ("mutate", "path", "error"),
    [
        (lambda s: s.update(startTimeUnixNano="soon"), "/startTimeUnixNano", "must be an integer"),
        (lambda s: s.pop("startTimeUnixNano"), "/startTimeUnixNano", "required"),
        (
            lambda s: s.update(endTimeUnixNano=nanos(T0 - timedelta(seconds=1))),
            "/endTimeUnixNano",
            "must not be before startTimeUnixNano",
        ),
        (lambda s: s.update(traceId="0" * 32), "/traceId", "must not be all zeros"),
        (lambda s: s.update(status={"code": 7}), "/status/code", "must be between 0 and 2"),
        (
            lambda s: s["attributes"].append({"value": {"stringValue": "x"}}),
            "/attributes/13/key",
            "must be a non-empty string",
        ),
        (
            lambda s: s["attributes"].__setitem__(
                2, {"key": "gen_ai.request.model", "value": {"stringValue": "a", "intValue": "1"}}
            ),
            "/attributes/gen_ai.request.model",
            "must hold one value, not stringValue and intValue",
        ),
        (
            lambda s: s["attributes"].__setitem__(
                11, attr("traceloop.association.properties.session_id", "s" * 65)
            ),
            "/attributes/traceloop.association.properties.session_id",
            "String should have at most 64 characters",
        ),
        (
            lambda s: s["attributes"].__setitem__(2, attr("gen_ai.request.model", True)),
            "/attributes/gen_ai.request.model",
            "must be a string",
        ),
    ],
)
def test_malformed_fields_are_named(mutate: Any, path: str, error: str) -> None:
    bad = copy.deepcopy(OPENLLMETRY_CHAT)
    mutate(bad)
    batch = map_traces(payload(bad, TOOL_CALL))
    assert len(batch.rejected) == 1
    rejection = batch.rejected[0]
    assert rejection.path == f"/resourceSpans/0/scopeSpans/0/spans/0{path}"
    assert error in rejection.error
    assert len(batch.tool_executions) == 1


def test_a_span_without_a_model_is_rejected_at_its_model_attribute() -> None:
    bad = copy.deepcopy(SEMCONV_REASONING)
    del bad["attributes"][2]
    (rejection,) = map_traces(payload(bad)).rejected
    assert rejection.path.endswith("/spans/0/attributes/gen_ai.request.model")
    assert rejection.error == "required for a GenAI span"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ([], ""),
        ({"resourceSpans": {}}, "/resourceSpans"),
        ({"resourceSpans": [7]}, "/resourceSpans/0"),
        (
            {"resourceSpans": [{"scopeSpans": [{"spans": "x"}]}]},
            "/resourceSpans/0/scopeSpans/0/spans",
        ),
    ],
)
def test_a_malformed_envelope_is_named(body: Any, path: str) -> None:
    batch = map_traces(body)
    assert [r.path for r in batch.rejected] == [path]
    assert batch.ai_requests == [] and batch.tool_executions == []


def test_a_bad_resource_rejects_its_spans_and_not_the_other_resources() -> None:
    bad_resource = payload(OPENLLMETRY_CHAT, TOOL_CALL)["resourceSpans"][0]
    bad_resource["resource"]["attributes"][0]["value"] = {"intValue": "1.5"}
    body = {"resourceSpans": [bad_resource, payload(EMBEDDINGS)["resourceSpans"][0]]}
    batch = map_traces(body)
    assert [r.path for r in batch.rejected] == [
        "/resourceSpans/0/resource/attributes/service.name/intValue"
    ]
    assert batch.rejected_spans == 2
    assert [r.model for r in batch.ai_requests] == ["text-embedding-3-small"]


def test_an_empty_export_request_is_valid() -> None:
    batch = map_traces({})
    assert (batch.rejected, batch.ai_requests, batch.ignored) == ([], [], 0)


def test_snake_case_field_names_are_accepted_too() -> None:
    attributes = [
        attr("gen_ai.operation.name", "chat"),
        attr("gen_ai.system", "openai"),
        attr("gen_ai.request.model", "gpt-4o"),
    ]
    snake_span = {
        "trace_id": TRACE,
        "span_id": "eee19b7ec3c1b17b",
        "name": "chat",
        "start_time_unix_nano": nanos(T0),
        "end_time_unix_nano": nanos(T0 + timedelta(seconds=1)),
        "attributes": attributes,
    }
    snake = {"resource_spans": [{"scope_spans": [{"spans": [snake_span]}]}]}
    (request,) = map_traces(snake).ai_requests
    assert request.latency_ms is None and request.completed_at == T0 + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("attributes", "kind"),
    [
        ({"gen_ai.operation.name": "chat"}, "ai"),
        ({"gen_ai.operation.name": "Generate_Content"}, "ai"),
        ({"gen_ai.operation.name": "text_completion"}, "ai"),
        ({"gen_ai.operation.name": "execute_tool"}, "tool"),
        ({"gen_ai.operation.name": "invoke_agent", "gen_ai.system": "openai"}, None),
        ({"gen_ai.operation.name": "create_agent"}, None),
        ({"traceloop.span.kind": "tool", "traceloop.entity.name": "lookup"}, "tool"),
        ({"gen_ai.system": "anthropic", "gen_ai.request.model": "claude-3-haiku"}, "ai"),
        ({"llm.request.type": "completion", "gen_ai.response.model": "gpt-3.5"}, "ai"),
        ({"gen_ai.system": "anthropic"}, None),
        ({"http.request.method": "GET"}, None),
    ],
)
def test_span_kinds(attributes: dict[str, Any], kind: str | None) -> None:
    assert span_kind(attributes) == kind
