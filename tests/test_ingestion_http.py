"""The ingestion endpoints over HTTP (a FastAPI app with the routers, through httpx's ASGI
transport), storing on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import copy
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, Table, select

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.ingest.writer import WriterConfig
from systemprompt_analytics.pricing import TokenUsage, price_usage
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    ai_requests,
    conversation_messages,
    conversations,
    sessions,
    tool_executions,
    users,
)
from systemprompt_analytics.web.ingestion import ingestion_router, otlp_router
from tests.test_otlp_mapping import (
    EVERY_SPAN,
    FAILED_CHAT,
    OPENLLMETRY_CHAT,
    T0,
    TOOL_CALL,
    TRACE,
    payload,
)

TOKEN = "s3cret-ingest-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
AI = "/api/v1/ingest/ai-requests"


@pytest.fixture
def make_analytics(db_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Any]:
    made: list[Analytics] = []

    def make(
        engine: Engine | None = db_engine, writer: WriterConfig | None = None, **settings: Any
    ) -> Analytics:
        values = {"database_url": database_url, "data_dir": tmp_path / "data", **settings}
        analytics = Analytics(
            load_settings(**values), engine=engine, writer_config=writer, migrate=False
        )
        made.append(analytics)
        return analytics

    yield make
    for analytics in made:
        analytics.close()


@pytest.fixture
def analytics(make_analytics: Any) -> Analytics:
    return make_analytics(api_token=TOKEN)  # type: ignore[no-any-return]


def app_for(analytics: Analytics) -> FastAPI:
    app = FastAPI()
    app.include_router(ingestion_router(analytics), prefix="/api/v1")
    app.include_router(otlp_router(analytics))
    return app


def post(analytics: Analytics, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    if body is not None:
        kwargs["json"] = body

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app_for(analytics))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(path, headers=headers, **kwargs)

    return asyncio.run(send())


def rows(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(select(table).order_by(*table.primary_key.columns))
        return [dict(row._mapping) for row in result]


def ai(request_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": request_id,
        "provider": "openai",
        "model": "gpt-4o",
        "requested_at": "2026-11-01T12:00:00Z",
        "input_tokens": 100,
        "output_tokens": 20,
        **fields,
    }


# --------------------------------------------------------------------------------------
# The token
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{"authorization": ""}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}],
)
def test_without_the_right_token_401(
    analytics: Analytics, db_engine: Engine, headers: dict[str, str]
) -> None:
    for path in (AI, "/v1/traces"):
        response = post(analytics, path, ai("req_x"), headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    analytics.flush()
    assert rows(db_engine, ai_requests) == []


def test_without_a_configured_token_503(make_analytics: Any) -> None:
    analytics = make_analytics()
    response = post(analytics, AI, ai("req_x"))
    assert response.status_code == 503
    assert "SP_ANALYTICS_API_TOKEN" in response.json()["detail"]


# --------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------


def test_a_single_record_is_stored(analytics: Analytics, db_engine: Engine) -> None:
    response = post(analytics, AI, ai("req_single", session_id="sess_h"))
    assert (response.status_code, response.json()) == (202, {"accepted": 1, "rejected": []})
    analytics.flush()
    (row,) = rows(db_engine, ai_requests)
    assert row["id"] == "req_single" and row["is_priced"] is True


def test_a_batch_keeps_its_valid_items(analytics: Analytics, db_engine: Engine) -> None:
    items = [
        ai("req_ok_1"),
        ai("req_bad_tokens", input_tokens=-1),
        "not an object",
        ai("req_ok_2", cost_microdollars=55),
        ai("req_bad_field", temperature=0.2),
        ai("req_bad_time", requested_at="yesterday"),
    ]
    response = post(analytics, AI, {"items": items})
    assert response.status_code == 202
    assert response.json() == {
        "accepted": 2,
        "rejected": [
            {
                "index": 1,
                "field": "input_tokens",
                "error": "Input should be greater than or equal to 0",
            },
            {"index": 2, "field": "item", "error": "must be a JSON object"},
            {"index": 4, "field": "temperature", "error": "unknown field"},
            {"index": 5, "field": "requested_at", "error": response.json()["rejected"][3]["error"]},
        ],
    }
    assert "datetime" in response.json()["rejected"][3]["error"]
    analytics.flush()
    assert [row["id"] for row in rows(db_engine, ai_requests)] == ["req_ok_1", "req_ok_2"]


def test_nothing_valid_is_422(analytics: Analytics) -> None:
    response = post(analytics, AI, {"items": [ai("a", status="meh"), {"id": "b"}]})
    assert response.status_code == 422
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [
        (0, "status"),
        (1, "model"),
    ]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "field"),
    [
        (b"{not json", "application/json", 400, "body"),
        (b"[1, 2]", "application/json", 400, "body"),
        (b'{"items": []}', "application/json", 400, "items"),
        (b'{"items": [{}], "extra": 1}', "application/json", 400, "extra"),
        (b"\xff\xfe", "application/json", 400, "body"),
        (b'{"value": NaN}', "application/json", 400, "body"),
        (b"id=1", "application/x-www-form-urlencoded", 415, "Content-Type"),
        (b"{}", "", 415, "Content-Type"),
        (b"{}", "application/json; charset=latin-1", 415, "Content-Type"),
    ],
)
def test_unreadable_bodies_are_refused_naming_the_field(
    analytics: Analytics, content: bytes, content_type: str, status: int, field: str
) -> None:
    response = post(analytics, AI, content=content, headers={"content-type": content_type})
    assert response.status_code == status
    (rejection,) = response.json()["rejected"]
    assert (rejection["index"], rejection["field"]) == (None, field)


def test_too_large_413(analytics: Analytics, db_engine: Engine) -> None:
    big = json.dumps(ai("req_big", error_message="x" * (1024 * 1024))).encode()
    response = post(analytics, AI, content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    too_many = post(analytics, AI, {"items": [ai(f"r{i}") for i in range(1001)]})
    assert too_many.status_code == 413
    assert too_many.json()["rejected"][0]["field"] == "items"
    bomb = gzip.compress(b'{"items": [' + b" " * (2 * 1024 * 1024) + b"]}")
    inflated = post(
        analytics,
        AI,
        content=bomb,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert inflated.status_code == 413
    analytics.flush()
    assert rows(db_engine, ai_requests) == []


def test_a_gzipped_body_is_accepted(analytics: Analytics, db_engine: Engine) -> None:
    body = gzip.compress(json.dumps({"items": [ai("req_gz")]}).encode())
    response = post(
        analytics,
        AI,
        content=body,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert response.status_code == 202
    analytics.flush()
    assert [row["id"] for row in rows(db_engine, ai_requests)] == ["req_gz"]


def test_an_unavailable_database_is_503_and_nothing_else(make_analytics: Any) -> None:
    from systemprompt_analytics.storage.engine import make_engine

    dead = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    analytics = make_analytics(engine=dead, api_token=TOKEN)
    response = post(analytics, "/api/v1/ingest/agent-tasks", {"id": "t", "agent_name": "a"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "could not store agent tasks" in response.json()["rejected"][0]["error"]
    dead.dispose()


def test_a_full_writer_queue_is_503_for_the_items_it_refused(make_analytics: Any) -> None:
    # Room for one item, and no flush before the request is answered.
    analytics = make_analytics(
        writer=WriterConfig(max_pending=1, flush_interval=60), api_token=TOKEN
    )
    response = post(analytics, AI, {"items": [ai("q1"), ai("q2"), ai("q3")]})
    assert response.status_code == 503
    body = response.json()
    assert body["accepted"] == 1
    assert [r["index"] for r in body["rejected"]] == [1, 2]


# --------------------------------------------------------------------------------------
# Every kind of fact
# --------------------------------------------------------------------------------------


def test_every_endpoint_stores_its_facts(analytics: Analytics, db_engine: Engine) -> None:
    at = "2026-11-01T12:00:00Z"
    bodies = {
        "tool-executions": {"id": "tool_h", "tool_name": "web.search", "status": "timeout",
                            "started_at": at, "duration_ms": 30000},
        "agent-tasks": {"items": [
            {"id": "task_h", "agent_name": "research", "status": "submitted", "updated_at": at,
             "session_id": "sess_h"},
            {"id": "task_h", "agent_name": "research", "status": "completed",
             "updated_at": "2026-11-01T12:01:00Z"},
        ]},
        "conversations": {"id": "conv_h", "title": "Hello", "started_at": at,
                          "session_id": "sess_h"},
        "messages": {"items": [
            {"id": "msg_h1", "conversation_id": "conv_h", "role": "user", "created_at": at},
            {"id": "msg_h2", "conversation_id": "conv_h", "role": "assistant", "created_at": at},
        ]},
        "users": {"id": "user_h", "anonymous": False, "traits": {"plan": "team"}, "seen_at": at},
        "cli-sessions": {"id": "sess_cli_h", "user_id": "user_h", "started_at": at,
                         "user_agent": "sp-cli/1.4.2 (darwin; arm64)"},
    }  # fmt: skip
    for name, body in bodies.items():
        response = post(analytics, f"/api/v1/ingest/{name}", body)
        assert response.status_code == 202, (name, response.json())
        assert response.json()["rejected"] == []
    analytics.flush()
    assert rows(db_engine, tool_executions)[0]["status"] == "timeout"
    (task,) = rows(db_engine, agent_tasks)
    assert (task["status"], task["duration_ms"]) == ("completed", 60_000)
    assert rows(db_engine, conversations)[0]["message_count"] == 2
    assert len(rows(db_engine, conversation_messages)) == 2
    assert rows(db_engine, users)[0]["traits"] == {"plan": "team"}
    by_id = {row["id"]: row for row in rows(db_engine, sessions)}
    assert by_id["sess_cli_h"]["source"] == "cli"
    assert (by_id["sess_h"]["task_count"], by_id["sess_h"]["message_count"]) == (1, 2)


def test_the_endpoints_are_in_the_openapi_schema(analytics: Analytics) -> None:
    schema = app_for(analytics).openapi()
    body = schema["paths"]["/api/v1/ingest/ai-requests"]["post"]["requestBody"]
    one_of = body["content"]["application/json"]["schema"]["oneOf"]
    assert "input_tokens" in one_of[0]["properties"]
    assert "/v1/traces" in schema["paths"]


# --------------------------------------------------------------------------------------
# OpenTelemetry
# --------------------------------------------------------------------------------------


def test_an_otlp_genai_span_lands_as_the_expected_ai_request(
    analytics: Analytics, db_engine: Engine
) -> None:
    response = post(analytics, "/v1/traces", payload(*EVERY_SPAN))
    assert (response.status_code, response.json()) == (200, {})
    analytics.flush()
    stored = {row["id"]: row for row in rows(db_engine, ai_requests)}
    assert len(stored) == 5
    row = stored[f"{TRACE}:eee19b7ec3c1b174"]
    usage = TokenUsage(input_tokens=452, output_tokens=180, cache_read_tokens=2048)
    price = price_usage("openai", "gpt-4o-2024-08-06", usage, T0)
    assert price is not None
    assert row == {
        "id": f"{TRACE}:eee19b7ec3c1b174",
        "requested_at": T0,
        "completed_at": T0 + timedelta(milliseconds=1234),
        "provider": "openai",
        "model": "gpt-4o",
        "response_model": "gpt-4o-2024-08-06",
        "input_tokens": 452,
        "output_tokens": 180,
        "cache_read_tokens": 2048,
        "cache_write_tokens": 0,
        "reasoning_tokens": 0,
        "total_tokens": 2680,
        "cost_microdollars": price.cost_microdollars,
        "is_priced": True,
        "price_source": price.price_source,
        "price_version": price.price_version,
        "is_cost_explicit": False,
        "latency_ms": 1234,
        "time_to_first_token_ms": None,
        "status": "success",
        "is_streaming": True,
        "cache_hit": True,
        "is_synthetic": False,
        "error_message": None,
        "user_id": "user_42",
        "session_id": "sess_abc",
        "task_id": None,
        "context_id": None,
        "conversation_id": None,
        "agent_name": None,
    }
    failed = stored[f"{TRACE}:eee19b7ec3c1b177"]
    assert (failed["status"], failed["error_message"]) == (
        "error",
        "Rate limit reached for gpt-4o-mini",
    )
    (tool,) = rows(db_engine, tool_executions)
    assert (tool["tool_name"], tool["status"], tool["duration_ms"]) == (
        "web.search",
        "timeout",
        30_250,
    )
    session = {row["id"]: row for row in rows(db_engine, sessions)}["sess_abc"]
    assert session["ai_request_count"] == 2


def test_a_resent_otlp_export_stores_nothing_twice(analytics: Analytics, db_engine: Engine) -> None:
    for _ in range(2):
        assert (
            post(analytics, "/v1/traces", payload(OPENLLMETRY_CHAT, TOOL_CALL)).status_code == 200
        )
    analytics.flush()
    assert len(rows(db_engine, ai_requests)) == 1 and len(rows(db_engine, tool_executions)) == 1


def test_malformed_otlp_is_400_naming_the_field_and_keeps_the_good_spans(
    analytics: Analytics, db_engine: Engine
) -> None:
    bad = copy.deepcopy(FAILED_CHAT)
    bad["endTimeUnixNano"] = "tomorrow"
    response = post(analytics, "/v1/traces", payload(OPENLLMETRY_CHAT, bad, TOOL_CALL))
    assert response.status_code == 400
    body = response.json()
    path = "/resourceSpans/0/scopeSpans/0/spans/1/endTimeUnixNano"
    assert body["code"] == 3
    assert path in body["message"]
    assert body["rejected"] == [
        {"field": path, "error": "must be an integer or a decimal string, got 'tomorrow'"}
    ]
    analytics.flush()
    assert [row["id"] for row in rows(db_engine, ai_requests)] == [f"{TRACE}:eee19b7ec3c1b174"]
    assert len(rows(db_engine, tool_executions)) == 1


def test_otlp_bodies_that_cannot_be_read(analytics: Analytics) -> None:
    not_json = post(
        analytics, "/v1/traces", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["message"].startswith("body: not JSON")
    wrong_type = post(analytics, "/v1/traces", content=b"x", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415


def test_otlp_protobuf_that_cannot_be_decoded_is_400(analytics: Analytics) -> None:
    response = post(
        analytics,
        "/v1/traces",
        content=b"\xff\xff\xff\xff",
        headers={"content-type": "application/x-protobuf"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("body")


def test_otlp_timestamps_and_ids_survive_both_databases(
    analytics: Analytics, db_engine: Engine
) -> None:
    late = copy.deepcopy(OPENLLMETRY_CHAT)
    moment = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    late["startTimeUnixNano"] = str(int(moment.timestamp()) * 10**9 + 123_456_789)
    late["endTimeUnixNano"] = None
    assert post(analytics, "/v1/traces", payload(late)).status_code == 200
    analytics.flush()
    (row,) = rows(db_engine, ai_requests)
    assert row["requested_at"] == moment
    assert (row["completed_at"], row["latency_ms"]) == (None, None)


def test_otlp_protobuf_is_decoded(analytics: Analytics, db_engine: Engine) -> None:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as service

    request = json_format.ParseDict(
        _with_base64_ids(payload(OPENLLMETRY_CHAT, TOOL_CALL)), service.ExportTraceServiceRequest()
    )
    response = post(
        analytics,
        "/v1/traces",
        content=request.SerializeToString(),
        headers={"content-type": "application/x-protobuf"},
    )
    assert (response.status_code, response.json()) == (200, {})
    analytics.flush()
    (row,) = rows(db_engine, ai_requests)
    assert row["id"] == f"{TRACE}:eee19b7ec3c1b174"
    assert (row["input_tokens"], row["cache_read_tokens"], row["is_streaming"]) == (452, 2048, True)
    assert rows(db_engine, tool_executions)[0]["status"] == "timeout"


def _with_base64_ids(body: dict[str, Any]) -> dict[str, Any]:
    """protobuf's JSON parser reads bytes fields as base64; OTLP JSON writes ids in hex."""
    body = copy.deepcopy(body)
    for resource_span in body["resourceSpans"]:
        for scope_span in resource_span["scopeSpans"]:
            for span in scope_span["spans"]:
                for name in ("traceId", "spanId", "parentSpanId"):
                    span[name] = base64.b64encode(bytes.fromhex(span[name])).decode()
    return body
