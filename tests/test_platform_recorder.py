"""The Python API for platform facts, storing on SQLite and PostgreSQL: pricing at ingestion,
idempotent retries, session counters through the writer, the task lifecycle, conversations,
users and CLI sessions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, select

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.platform.records import AIRequest
from systemprompt_analytics.pricing import PRICE_VERSION, TokenUsage, price_usage
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

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
SONNET = {"provider": "anthropic", "model": "claude-sonnet-4-5"}


@pytest.fixture
def make_analytics(db_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Any]:
    made: list[Analytics] = []

    def make() -> Analytics:
        settings = load_settings(database_url=database_url, data_dir=tmp_path / "data")
        analytics = Analytics(settings, engine=db_engine)
        made.append(analytics)
        return analytics

    yield make
    for analytics in made:
        analytics.close()


@pytest.fixture
def analytics(make_analytics: Any) -> Analytics:
    return make_analytics()  # type: ignore[no-any-return]


def rows(engine: Engine, table: Table, *order: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(select(table).order_by(*(order or table.primary_key.columns)))
        return [dict(row._mapping) for row in result]


def one(engine: Engine, table: Table, key: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == key)).one()
        return dict(row._mapping)


def request(request_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": request_id, **SONNET, "requested_at": T0, **fields}


# --------------------------------------------------------------------------------------
# Pricing at ingestion
# --------------------------------------------------------------------------------------


def test_a_known_model_is_priced_at_ingestion(analytics: Analytics, db_engine: Engine) -> None:
    analytics.record_ai_request(
        request(
            "req_priced",
            model="anthropic/claude-sonnet-4-5",
            provider=None,
            input_tokens=1200,
            output_tokens=300,
            completed_at=T0 + timedelta(seconds=3),
        )
    )
    analytics.flush()
    row = one(db_engine, ai_requests, "req_priced")
    expected = price_usage(
        "anthropic", "claude-sonnet-4-5", TokenUsage(input_tokens=1200, output_tokens=300), T0
    )
    assert expected is not None and expected.cost_microdollars > 0
    assert row["provider"] == "anthropic" and row["model"] == "claude-sonnet-4-5"
    assert row["cost_microdollars"] == expected.cost_microdollars
    assert (row["is_priced"], row["is_cost_explicit"]) == (True, False)
    assert (row["price_source"], row["price_version"]) == ("genai-prices", PRICE_VERSION)
    assert (row["latency_ms"], row["total_tokens"]) == (3000, 1500)


def test_cached_tokens_cost_less_than_uncached(analytics: Analytics, db_engine: Engine) -> None:
    analytics.record_ai_request(request("req_uncached", input_tokens=10_000, output_tokens=200))
    analytics.record_ai_request(
        request("req_cached", input_tokens=500, cache_read_tokens=9_500, output_tokens=200)
    )
    analytics.flush()
    uncached = one(db_engine, ai_requests, "req_uncached")["cost_microdollars"]
    cached = one(db_engine, ai_requests, "req_cached")["cost_microdollars"]
    assert 0 < cached < uncached
    assert one(db_engine, ai_requests, "req_cached")["cache_hit"] is True


def test_reasoning_tokens_are_priced(analytics: Analytics, db_engine: Engine) -> None:
    base = {"provider": "openai", "model": "o3-mini", "input_tokens": 1000}
    analytics.record_ai_request(request("req_plain", **base, output_tokens=100))
    analytics.record_ai_request(
        request("req_thinking", **base, output_tokens=100, reasoning_tokens=900)
    )
    analytics.flush()
    plain = one(db_engine, ai_requests, "req_plain")["cost_microdollars"]
    thinking = one(db_engine, ai_requests, "req_thinking")["cost_microdollars"]
    assert thinking > plain > 0


def test_an_unknown_model_is_unpriced_and_flagged(analytics: Analytics, db_engine: Engine) -> None:
    analytics.record_ai_request(
        request("req_unknown", provider="acme", model="wizard-9000", input_tokens=50,
                session_id="sess_u")
    )  # fmt: skip
    analytics.flush()
    row = one(db_engine, ai_requests, "req_unknown")
    assert (row["cost_microdollars"], row["is_priced"]) == (None, False)
    assert (row["price_source"], row["price_version"]) == (None, None)
    session = one(db_engine, sessions, "sess_u")
    assert (session["ai_request_count"], session["total_tokens"]) == (1, 50)
    assert session["cost_microdollars"] == 0  # unknown, not guessed


def test_an_explicit_cost_wins(analytics: Analytics, db_engine: Engine) -> None:
    analytics.record_ai_request(request("req_explicit", input_tokens=1000, cost_microdollars=42))
    analytics.record_ai_request(
        request("req_explicit_unknown", provider="acme", model="wizard-9000", cost_microdollars=7)
    )
    analytics.flush()
    for request_id, cost in (("req_explicit", 42), ("req_explicit_unknown", 7)):
        row = one(db_engine, ai_requests, request_id)
        assert (row["cost_microdollars"], row["is_priced"], row["is_cost_explicit"]) == (
            cost,
            True,
            True,
        )
        assert (row["price_source"], row["price_version"]) == ("explicit", None)


def test_a_typed_record_is_accepted_too(analytics: Analytics, db_engine: Engine) -> None:
    assert analytics.record_ai_request(AIRequest(id="req_typed", **SONNET, requested_at=T0))
    analytics.flush()
    assert one(db_engine, ai_requests, "req_typed")["total_tokens"] == 0


def test_bad_input_raises_naming_the_field(analytics: Analytics, db_engine: Engine) -> None:
    with pytest.raises(InvalidInputError, match="input_tokens"):
        analytics.record_ai_request(request("req_bad", input_tokens=-3))
    with pytest.raises(InvalidInputError, match="status"):
        analytics.record_agent_task({"id": "t", "agent_name": "a", "status": "done"})
    analytics.flush()
    assert rows(db_engine, ai_requests) == [] and rows(db_engine, agent_tasks) == []


# --------------------------------------------------------------------------------------
# Retries and session counters
# --------------------------------------------------------------------------------------


def test_a_retried_request_is_stored_and_counted_once(
    analytics: Analytics, db_engine: Engine
) -> None:
    first = request("req_retry", input_tokens=100, output_tokens=10, session_id="sess_r")
    assert analytics.record_ai_request(first)
    assert analytics.record_ai_request({**first, "input_tokens": 999})  # a retry: same id
    analytics.flush()
    assert analytics.record_ai_request(first)  # after the first was written
    analytics.flush()
    stored = rows(db_engine, ai_requests)
    assert [(row["id"], row["input_tokens"]) for row in stored] == [("req_retry", 100)]
    assert one(db_engine, sessions, "sess_r")["ai_request_count"] == 1


def test_a_retry_reaching_another_process_is_stored_once(
    make_analytics: Any, db_engine: Engine
) -> None:
    one_process, other_process = make_analytics(), make_analytics()
    for analytics in (one_process, other_process):
        analytics.record_ai_request(request("req_twice", input_tokens=5))
        analytics.record_tool_execution({"id": "tool_twice", "tool_name": "web.fetch"})
        analytics.flush()
    assert [row["id"] for row in rows(db_engine, ai_requests)] == ["req_twice"]
    assert [row["id"] for row in rows(db_engine, tool_executions)] == ["tool_twice"]


def test_session_counters_add_up(analytics: Analytics, db_engine: Engine) -> None:
    session = {"session_id": "sess_c"}
    analytics.record_ai_request(request("req_1", input_tokens=1000, output_tokens=100, **session))
    analytics.record_ai_request(request("req_2", input_tokens=2000, output_tokens=200, **session))
    analytics.record_ai_request(
        request("req_eval", input_tokens=5000, is_synthetic=True, **session)
    )
    analytics.record_agent_task({"id": "task_1", "agent_name": "research", **session})
    analytics.record_agent_task({"id": "task_1", "agent_name": "research", "status": "working"})
    analytics.record_message(
        {"id": "msg_1", "conversation_id": "conv_1", "role": "user", **session}
    )
    analytics.record_message({"id": "msg_2", "conversation_id": "conv_1", "role": "assistant"})
    analytics.record_message({"id": "msg_2", "conversation_id": "conv_1", "role": "assistant"})
    analytics.flush()
    costs = [one(db_engine, ai_requests, key)["cost_microdollars"] for key in ("req_1", "req_2")]
    stored = one(db_engine, sessions, "sess_c")
    assert stored["ai_request_count"] == 2  # the synthetic one is not counted
    assert stored["total_tokens"] == 3300
    assert stored["cost_microdollars"] == sum(costs)
    assert (stored["task_count"], stored["message_count"]) == (1, 2)


# --------------------------------------------------------------------------------------
# Tool executions
# --------------------------------------------------------------------------------------


def test_a_tool_execution_is_stored_with_its_duration(
    analytics: Analytics, db_engine: Engine
) -> None:
    analytics.record_tool_execution(
        {"id": "tool_1", "tool_name": "filesystem.read_file", "server_name": "fs",
         "status": "failed", "started_at": T0, "completed_at": T0 + timedelta(milliseconds=275),
         "error_message": "ENOENT", "agent_name": "coder", "task_id": "task_9"}
    )  # fmt: skip
    analytics.flush()
    row = one(db_engine, tool_executions, "tool_1")
    assert (row["status"], row["duration_ms"], row["error_message"]) == ("failed", 275, "ENOENT")
    assert (row["server_name"], row["agent_name"], row["task_id"]) == ("fs", "coder", "task_9")


# --------------------------------------------------------------------------------------
# Agent tasks
# --------------------------------------------------------------------------------------


def task(status: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {"id": "task_l", "agent_name": "research", "status": status, "updated_at": at, **fields}


def test_a_task_moves_through_its_lifecycle(analytics: Analytics, db_engine: Engine) -> None:
    analytics.record_agent_task(task("submitted", T0, session_id="sess_t", user_id="u1"))
    analytics.record_agent_task(task("working", T0 + timedelta(seconds=1)))
    analytics.record_agent_task(task("input_required", T0 + timedelta(seconds=5)))
    analytics.record_agent_task(task("working", T0 + timedelta(seconds=20)))
    stored = one(db_engine, agent_tasks, "task_l")
    assert (stored["status"], stored["completed_at"], stored["duration_ms"]) == (
        "working",
        None,
        None,
    )
    analytics.record_agent_task(
        task("failed", T0 + timedelta(seconds=42), error_message="tool budget exhausted")
    )
    stored = one(db_engine, agent_tasks, "task_l")
    assert stored["status"] == "failed"
    assert stored["started_at"] == T0
    assert stored["completed_at"] == T0 + timedelta(seconds=42)
    assert stored["duration_ms"] == 42_000
    assert stored["error_message"] == "tool budget exhausted"
    assert (stored["session_id"], stored["user_id"]) == ("sess_t", "u1")


def test_a_finished_task_stays_finished(analytics: Analytics, db_engine: Engine) -> None:
    analytics.record_agent_task(task("submitted", T0))
    analytics.record_agent_task(task("completed", T0 + timedelta(seconds=9)))
    analytics.record_agent_task(task("working", T0 + timedelta(seconds=30)))  # arrives late
    analytics.record_agent_task(task("canceled", T0 + timedelta(seconds=31)))
    analytics.record_agent_task(task("completed", T0 + timedelta(seconds=9)))  # a retry
    stored = one(db_engine, agent_tasks, "task_l")
    assert (stored["status"], stored["duration_ms"]) == ("completed", 9_000)
    assert stored["updated_at"] == T0 + timedelta(seconds=9)


def test_an_older_status_report_changes_nothing(analytics: Analytics, db_engine: Engine) -> None:
    analytics.record_agent_task(task("input_required", T0 + timedelta(seconds=10), started_at=T0))
    analytics.record_agent_task(task("working", T0 + timedelta(seconds=3)))
    stored = one(db_engine, agent_tasks, "task_l")
    assert (stored["status"], stored["updated_at"]) == (
        "input_required",
        T0 + timedelta(seconds=10),
    )


def test_a_task_first_reported_finished_keeps_its_times(
    analytics: Analytics, db_engine: Engine
) -> None:
    analytics.record_agent_task(
        task("rejected", T0 + timedelta(minutes=1), started_at=T0,
             completed_at=T0 + timedelta(seconds=2))
    )  # fmt: skip
    stored = one(db_engine, agent_tasks, "task_l")
    assert (stored["completed_at"], stored["duration_ms"]) == (T0 + timedelta(seconds=2), 2_000)


# --------------------------------------------------------------------------------------
# Conversations and messages
# --------------------------------------------------------------------------------------


def test_messages_build_up_their_conversation(analytics: Analytics, db_engine: Engine) -> None:
    for index, role in enumerate(("user", "assistant", "user")):
        analytics.record_message(
            {"id": f"m{index}", "conversation_id": "conv_m", "role": role,
             "created_at": T0 + timedelta(seconds=10 * index), "token_count": 40}
        )  # fmt: skip
    analytics.record_message(
        {"id": "m1", "conversation_id": "conv_m", "role": "assistant", "created_at": T0}
    )  # a retry
    analytics.record_conversation(
        {"id": "conv_m", "user_id": "u1", "session_id": "sess_m", "agent_name": "helper",
         "title": "Refund", "started_at": T0 - timedelta(seconds=5)}
    )  # fmt: skip
    analytics.record_conversation({"id": "conv_m", "title": "Refund for order 7"})
    conversation = one(db_engine, conversations, "conv_m")
    assert conversation["message_count"] == 3
    assert conversation["last_message_at"] == T0 + timedelta(seconds=20)
    assert conversation["started_at"] == T0 - timedelta(seconds=5)
    assert conversation["title"] == "Refund for order 7"
    assert (conversation["user_id"], conversation["agent_name"]) == ("u1", "helper")
    messages = rows(db_engine, conversation_messages, conversation_messages.c.created_at)
    assert [message["message_id"] for message in messages] == ["m0", "m1", "m2"]


def test_a_message_counts_towards_its_conversations_session(
    analytics: Analytics, db_engine: Engine
) -> None:
    analytics.record_conversation({"id": "conv_s", "session_id": "sess_s", "started_at": T0})
    analytics.record_message({"id": "ms", "conversation_id": "conv_s", "role": "user"})
    analytics.flush()
    assert one(db_engine, sessions, "sess_s")["message_count"] == 1


# --------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------


def test_identify_merges_traits_and_registers_once(analytics: Analytics, db_engine: Engine) -> None:
    analytics.identify_user(
        {"id": "u7", "anonymous": True, "traits": {"plan": "free", "theme": "dark"}, "seen_at": T0}
    )
    analytics.identify_user(
        {"id": "u7", "traits": {"plan": "pro"}, "email": "ada@example.com",
         "display_name": "Ada", "seen_at": T0 + timedelta(days=2)}
    )  # fmt: skip
    analytics.identify_user({"id": "u7", "anonymous": True, "seen_at": T0 + timedelta(days=1)})
    user = one(db_engine, users, "u7")
    assert user["is_anonymous"] is False
    assert user["traits"] == {"plan": "pro", "theme": "dark"}
    assert (user["email"], user["display_name"]) == ("ada@example.com", "Ada")
    assert user["created_at"] == T0
    assert user["registered_at"] == T0 + timedelta(days=2)
    assert user["last_seen_at"] == T0 + timedelta(days=2)


# --------------------------------------------------------------------------------------
# CLI sessions
# --------------------------------------------------------------------------------------


def test_a_cli_session_is_a_session_with_source_cli(
    analytics: Analytics, db_engine: Engine
) -> None:
    # Its AI requests may be written before the session itself is reported.
    analytics.record_ai_request(request("req_cli", input_tokens=10, session_id="sess_cli"))
    analytics.flush()
    analytics.record_cli_session(
        {"id": "sess_cli", "user_id": "u1", "started_at": T0 - timedelta(minutes=1),
         "ended_at": T0 + timedelta(minutes=4), "user_agent": "sp-cli/1.4.2 (linux; x86_64)",
         "locale": "en-GB", "country": "gb"}
    )  # fmt: skip
    analytics.record_cli_session({"id": "sess_cli", "ended_at": T0 + timedelta(minutes=2)})
    session = one(db_engine, sessions, "sess_cli")
    assert session["source"] == "cli"
    assert (session["user_id"], session["country"], session["locale"]) == ("u1", "GB", "en-GB")
    assert session["user_agent"] == "sp-cli/1.4.2 (linux; x86_64)"
    assert session["started_at"] == T0 - timedelta(minutes=1)
    assert session["ended_at"] == T0 + timedelta(minutes=4)  # the later end wins
    assert session["duration_seconds"] == 300
    assert session["ai_request_count"] == 1


def test_direct_upserts_wait_for_the_writer_instead_of_failing(
    analytics: Analytics, db_engine: Engine
) -> None:
    """Conversations are read then upserted in one transaction; while the writer commits
    batches in between, SQLite failed the write at once ("database is locked", answered 503 by
    the ingestion API — seen once in CI). Now the transaction takes the write lock first."""
    import threading
    import time

    from systemprompt_analytics.ingest.activity import SessionActivity
    from systemprompt_analytics.platform.records import Conversation

    stop = threading.Event()
    analytics.start()

    def keep_the_writer_busy() -> None:
        i = 0
        while not stop.is_set():
            at = T0 + timedelta(seconds=i)
            analytics.writer.submit(SessionActivity(f"sess_busy{i % 50}", at, at))
            analytics.writer.flush(timeout=5)
            i += 1

    busy = threading.Thread(target=keep_the_writer_busy)
    busy.start()
    deadline = time.monotonic() + 20
    i = 0
    try:
        while (analytics.writer.stats.flushes < 40 or i < 10) and time.monotonic() < deadline:
            analytics.platform.record_conversations(
                [Conversation(id=f"conv_{i % 10}", started_at=T0 + timedelta(minutes=i))]
            )
            i += 1
    finally:
        stop.set()
        busy.join()
    assert analytics.writer.stats.flushes >= 40  # the writer did commit in between
    assert i >= 10
    assert len(rows(db_engine, conversations)) == 10
