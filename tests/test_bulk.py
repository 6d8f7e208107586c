"""Bulk loading writes exactly what an INSERT would, awkward values included, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from systemprompt_analytics.storage.bulk import _ESCAPES, bulk_append, copy_payload
from systemprompt_analytics.storage.schema import client_events, engagement_events, request_events


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


@given(st.text(max_size=40))
def test_copy_text_is_escaped_exactly_when_it_must_be(path: str) -> None:
    # Text without a character to escape skips the escaping: the payload must be the same as
    # escaping every value (backslash, tab, newline, carriage return doubled or written as
    # escapes; NUL, which PostgreSQL text cannot hold, left out).
    row = {"session_id": "sess_h", "method": "GET", "path": path, "kind": "page"}
    payload = copy_payload(request_events, list(row), [row])
    assert payload == f"sess_h\tGET\t{path.translate(_ESCAPES)}\tpage\n"


def _client_event(event_id: str | None, name: str) -> dict[str, object]:
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    return {
        "client_event_id": event_id, "session_id": "sess_d", "occurred_at": at, "received_at": at,
        "event_type": "custom", "name": name, "path": "/", "target_url": None,
        "properties": {"n": 1}, "schema_version": 1,
    }  # fmt: skip


def _stored_names(engine: Engine) -> list[tuple[str | None, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(client_events.c.client_event_id, client_events.c.name).order_by(
                client_events.c.id
            )
        )
        return [(row[0], row[1]) for row in rows]


def test_replaying_a_batch_stores_nothing_new(db_engine: Engine) -> None:
    batch = [_client_event("evt_0001", "a"), _client_event("evt_0002", "b")]
    with db_engine.begin() as conn:
        bulk_append(conn, client_events, batch)
    with db_engine.begin() as conn:
        bulk_append(conn, client_events, batch)
    assert _stored_names(db_engine) == [("evt_0001", "a"), ("evt_0002", "b")]


def test_duplicates_are_skipped_and_the_rest_of_the_batch_is_kept(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        bulk_append(conn, client_events, [_client_event("evt_0001", "first")])
    batch = [
        _client_event("evt_0001", "replayed"),  # already stored
        _client_event("evt_0003", "new"),
        _client_event("evt_0003", "repeated in the batch"),  # the first of the batch wins
        _client_event(None, "no id"),
        _client_event(None, "no id either"),  # NULL ids never collide
    ]
    with db_engine.begin() as conn:
        bulk_append(conn, client_events, batch)
    assert _stored_names(db_engine) == [
        ("evt_0001", "first"),
        ("evt_0003", "new"),
        (None, "no id"),
        (None, "no id either"),
    ]


def test_engagement_events_are_deduplicated_too(db_engine: Engine) -> None:
    row = {
        "client_event_id": "eng_0001", "session_id": "sess_d",
        "occurred_at": datetime(2026, 11, 1, tzinfo=UTC), "path": "/a", "time_on_page_ms": 1000,
        "visible_time_ms": 900, "engaged_time_ms": 800, "max_scroll_depth": 50,
        "click_count": 1, "rage_click_count": 0, "dead_click_count": 0,
        "time_to_first_interaction_ms": None, "reading_pattern": "skim", "properties": None,
    }  # fmt: skip
    for _ in range(2):
        with db_engine.begin() as conn:
            bulk_append(conn, engagement_events, [row, {**row, "client_event_id": "eng_0002"}])
    with db_engine.connect() as conn:
        stored = conn.execute(
            select(engagement_events.c.client_event_id).order_by(engagement_events.c.id)
        ).scalars()
        assert list(stored) == ["eng_0001", "eng_0002"]


def test_a_failed_row_still_fails_its_batch(db_engine: Engine) -> None:
    """Only duplicates are ignored: any other constraint violation is still an error."""
    bad = {**_client_event("evt_0009", "bad"), "scroll_depth": 101}
    with pytest.raises(IntegrityError), db_engine.begin() as conn:
        good = {**_client_event("evt_0008", "ok"), "scroll_depth": 5}
        bulk_append(conn, client_events, [good, bad])
    assert _stored_names(db_engine) == []
