"""Row builders for tests: a valid row of each table with every required column filled."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from systemprompt_analytics.storage.schema import (
    agent_tasks,
    ai_requests,
    client_events,
    content_items,
    conversation_messages,
    conversations,
    engagement_events,
    request_events,
    sessions,
    tool_executions,
    users,
)

_ids = itertools.count(1)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _next(prefix: str) -> str:
    return f"{prefix}_{next(_ids):08d}"


def add_session(conn: Connection, at: datetime = T0, **values: Any) -> str:
    row: dict[str, Any] = {
        "id": _next("sess"),
        "started_at": at,
        "last_activity_at": at,
        "ended_at": at,
        "visitor_hash": _next("v"),
        "fingerprint_hash": _next("f"),
        "source": "web",
    }
    row.update(values)
    conn.execute(sessions.insert().values(row))
    return str(row["id"])


def add_request(conn: Connection, session_id: str, at: datetime = T0, **values: Any) -> None:
    row: dict[str, Any] = {
        "session_id": session_id,
        "occurred_at": at,
        "method": "GET",
        "path": "/",
        "status_code": 200,
        "kind": "page",
    }
    row.update(values)
    conn.execute(request_events.insert().values(row))


def add_ai_request(conn: Connection, at: datetime = T0, **values: Any) -> str:
    row: dict[str, Any] = {
        "id": _next("air"),
        "requested_at": at,
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "input_tokens": 100,
        "output_tokens": 50,
        "total_tokens": 150,
        "cost_microdollars": 1_000,
        "is_priced": True,
        "latency_ms": 1000,
        "status": "success",
    }
    row.update(values)
    conn.execute(ai_requests.insert().values(row))
    return str(row["id"])


def add_tool_execution(conn: Connection, at: datetime = T0, **values: Any) -> None:
    row: dict[str, Any] = {
        "id": _next("tool"),
        "started_at": at,
        "tool_name": "web.search",
        "status": "success",
        "duration_ms": 120,
    }
    row.update(values)
    conn.execute(tool_executions.insert().values(row))


def add_agent_task(conn: Connection, at: datetime = T0, **values: Any) -> str:
    row: dict[str, Any] = {
        "id": _next("task"),
        "agent_name": "research-agent",
        "status": "completed",
        "started_at": at,
    }
    row.update(values)
    conn.execute(agent_tasks.insert().values(row))
    return str(row["id"])


def add_conversation(conn: Connection, at: datetime = T0, messages: int = 0, **values: Any) -> str:
    row: dict[str, Any] = {"id": _next("conv"), "started_at": at, "message_count": messages}
    row.update(values)
    conn.execute(conversations.insert().values(row))
    for index in range(messages):
        conn.execute(
            conversation_messages.insert().values(
                conversation_id=row["id"],
                role="user" if index % 2 == 0 else "assistant",
                created_at=at,
            )
        )
    return str(row["id"])


def add_engagement(
    conn: Connection, session_id: str, at: datetime = T0, path: str = "/", **values: Any
) -> None:
    """One engagement row (one page view's engagement); every metric 0 unless given."""
    row: dict[str, Any] = {"session_id": session_id, "occurred_at": at, "path": path}
    row.update(values)
    conn.execute(engagement_events.insert().values(row))


def add_client_event(
    conn: Connection,
    session_id: str,
    event_type: str = "page_view",
    at: datetime = T0,
    path: str | None = "/",
    **values: Any,
) -> None:
    row: dict[str, Any] = {
        "session_id": session_id,
        "occurred_at": at,
        "received_at": at,
        "event_type": event_type,
        "path": path,
    }
    row.update(values)
    conn.execute(client_events.insert().values(row))


def add_content_item(conn: Connection, path: str, **values: Any) -> str:
    row: dict[str, Any] = {"id": _next("content"), "path": path, "updated_at": T0}
    row.update(values)
    conn.execute(content_items.insert().values(row))
    return str(row["id"])


def add_user(conn: Connection, at: datetime = T0, **values: Any) -> str:
    """A user the host identified at ``at`` (registered unless ``is_anonymous=True``)."""
    row: dict[str, Any] = {"id": _next("usr"), "created_at": at, "is_anonymous": False}
    row.update(values)
    conn.execute(users.insert().values(row))
    return str(row["id"])


def add_message(
    conn: Connection, conversation_id: str, at: datetime = T0, role: str = "user", **values: Any
) -> None:
    """One more message of a conversation (its ``message_count`` is left as it is)."""
    row: dict[str, Any] = {"conversation_id": conversation_id, "role": role, "created_at": at}
    row.update(values)
    conn.execute(conversation_messages.insert().values(row))
