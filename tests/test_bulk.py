"""Bulk loading writes exactly what an INSERT would, awkward values included, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from systemprompt_analytics.storage.bulk import bulk_append
from systemprompt_analytics.storage.schema import client_events, request_events


def test_awkward_text_survives_copy(db_engine: Engine) -> None:
    paths = ["/a\tb", "/new\nline", "/back\\slash", "/\\N", "/ünïcödé/😀", "/cr\r", ""]
    rows = [
        {
            "session_id": "sess_x", "occurred_at": datetime(2026, 11, 1, tzinfo=UTC),
            "method": "GET", "path": path, "status_code": 200, "latency_ms": None, "kind": "page",
            "response_bytes": None, "is_bot": index % 2 == 0, "is_ai_crawler": False,
            "is_scanner": False,
        }
        for index, path in enumerate(paths)
    ]  # fmt: skip
    with db_engine.begin() as conn:
        bulk_append(conn, request_events, rows)
        stored = conn.execute(
            select(
                request_events.c.path, request_events.c.is_bot, request_events.c.latency_ms
            ).order_by(request_events.c.id)
        ).all()
    assert [row[0] for row in stored] == paths
    assert [row[1] for row in stored] == [i % 2 == 0 for i in range(len(paths))]
    assert all(row[2] is None for row in stored)


def test_json_and_offset_timestamps_survive_copy(db_engine: Engine) -> None:
    at = datetime(2026, 11, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    row = {
        "client_event_id": "e1", "session_id": "s", "occurred_at": at, "received_at": at,
        "event_type": "custom", "name": "signup", "path": "/", "target_url": None,
        "properties": {"plan": "pro", "tabs": "a\tb", "n": 3}, "schema_version": 1,
    }  # fmt: skip
    with db_engine.begin() as conn:
        bulk_append(conn, client_events, [row])
        stored = conn.execute(select(client_events.c.occurred_at, client_events.c.properties)).one()
    assert stored[0] == at.astimezone(UTC)
    assert stored[1] == {"plan": "pro", "tabs": "a\tb", "n": 3}


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
               max_size=40))  # fmt: skip
def test_any_path_round_trips(db_engine: Engine, path: str) -> None:
    row = {
        "session_id": "sess_h", "occurred_at": datetime(2026, 11, 1, tzinfo=UTC), "method": "GET",
        "path": path, "status_code": 200, "latency_ms": 1.5, "kind": "page",
        "response_bytes": 1, "is_bot": False, "is_ai_crawler": False, "is_scanner": False,
    }  # fmt: skip
    with db_engine.begin() as conn:
        conn.execute(request_events.delete())
        bulk_append(conn, request_events, [row])
        assert conn.execute(select(request_events.c.path)).scalar_one() == path
