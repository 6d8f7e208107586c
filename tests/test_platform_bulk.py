"""Appends to the id-keyed fact tables skip ids already stored (a retried report), on both
databases, through the same ``bulk_append`` the writer and the demo use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from systemprompt_analytics.storage.bulk import APPEND_ONCE_BY, bulk_append
from systemprompt_analytics.storage.schema import ai_requests, tool_executions

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def tool(tool_id: str, name: str) -> dict[str, Any]:
    return {"id": tool_id, "started_at": T0, "tool_name": name, "status": "success"}


def stored(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        statement = select(tool_executions.c.id, tool_executions.c.tool_name)
        return [(row.id, row.tool_name) for row in conn.execute(statement.order_by("id"))]


def test_the_fact_tables_are_marked() -> None:
    assert ai_requests.info[APPEND_ONCE_BY] == "id"
    assert tool_executions.info[APPEND_ONCE_BY] == "id"


def test_ids_already_stored_or_repeated_are_skipped(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        bulk_append(conn, tool_executions, [tool("t1", "first")])
    batch = [tool("t1", "retried"), tool("t2", "new"), tool("t2", "repeated"), tool("t3", "also")]
    with db_engine.begin() as conn:
        bulk_append(conn, tool_executions, batch)
        bulk_append(conn, tool_executions, [tool("t4", "second chunk, same transaction")])
    assert stored(db_engine) == [
        ("t1", "first"),
        ("t2", "new"),
        ("t3", "also"),
        ("t4", "second chunk, same transaction"),
    ]
