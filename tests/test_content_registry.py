"""Content identity and the content registry: path normalisation (Python and SQL agree),
entry validation by index and field, and syncing on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, literal, select

from systemprompt_analytics.models.content import (
    ContentItem,
    normalise_path,
    parse_entries,
    registry_entries,
)
from systemprompt_analytics.reports.definitions import content_path
from systemprompt_analytics.storage.repositories.content import (
    add_registry_fields,
    sync_content,
)
from systemprompt_analytics.storage.schema import content_items

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


# --------------------------------------------------------------------------------------
# Path normalisation
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/"),
        ("//", "/"),
        ("/docs", "/docs"),
        ("/docs/", "/docs"),
        ("/docs///", "/docs"),
        ("  /docs/ ", "/docs"),
        ("/docs?tab=2", "/docs"),
        ("/docs/#install", "/docs"),
        ("/Docs/API", "/Docs/API"),  # paths are case-sensitive
        ("/blog/caf%C3%A9%20au%20lait/", "/blog/café au lait"),  # decoded like request paths
        ("/a%3Fb?c", "/a?b"),
        ("https://example.com/blog/hello/?utm_source=x#top", "/blog/hello"),
        ("https://example.com", "/"),
        ("http://example.com/?q=1", "/"),
    ],
)
def test_normalise_path(raw: str, expected: str) -> None:
    assert normalise_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("docs", "starting with '/'"),
        ("ftp://example.com/x", "http(s) URL"),
        ("https:///nohost", "http(s) URL"),
        ("/a\nb", "control characters"),
        ("/a%0Ab", "control characters"),
        ("/" + "a" * 2048, "at most 2048"),
    ],
)
def test_normalise_path_rejects(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        normalise_path(raw)


@given(st.text(max_size=80))
def test_normalise_path_never_fails_unexpectedly_and_is_idempotent(raw: str) -> None:
    try:
        path = normalise_path(raw)
    except ValueError:
        return
    assert path.startswith("/")
    assert path == "/" or not path.endswith("/")
    if "%" not in raw:  # decoding can reveal a new '?', '#' or '%'
        assert "?" not in path and "#" not in path
        assert normalise_path(path) == path


stored_paths = st.builds(
    lambda parts, trailing: "/" + "/".join(parts) + "/" * trailing,
    st.lists(st.sampled_from(["a", "B", "-", ".", "é", "a b", "index.html", "~x"]), max_size=6),
    st.integers(0, 3),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(path=stored_paths)
def test_sql_content_path_agrees_with_the_python_normaliser(db_engine: Engine, path: str) -> None:
    """Stored paths are decoded and carry no query or fragment; for them the SQL twin gives
    the same path."""
    with db_engine.connect() as conn:
        from_sql = conn.execute(select(content_path(literal(path)))).scalar_one()
    assert from_sql == normalise_path(path)


# --------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------
def test_entries_are_validated_by_index_and_field() -> None:
    entries: list[Any] = [
        {"id": "a", "path": "/a/", "title": " A ", "published_at": "2026-10-01"},
        {"id": "b", "path": "b"},
        {"path": "/c"},
        {"id": "d", "path": "/d", "titel": "typo"},
        {"id": "a", "path": "/other"},
        {"id": "e", "path": "/a"},
        "not an object",
        {"id": "f", "path": "/f", "published_at": "yesterday"},
        {"id": "g", "path": "/g", "slug": 7},
        {"id": "h" * 129, "path": "/h"},
        {
            "id": "i",
            "path": "/i",
            "kind": "blog",
            "slug": "",
            "updated_at": "2026-10-02T10:00+02:00",
        },
    ]
    items, errors = parse_entries(entries)
    assert [(error.index, error.field) for error in errors] == [
        (1, "path"),
        (2, "id"),
        (3, "titel"),
        (4, "id"),
        (5, "path"),
        (6, "entry"),
        (7, "published_at"),
        (8, "slug"),
        (9, "id"),
    ]
    assert "duplicate of items[0]" in errors[3].error
    assert "items[0]" in errors[4].error
    assert [index for index, _ in items] == [0, 10]
    first, last = items[0][1], items[1][1]
    assert first == ContentItem(
        id="a", path="/a", title="A", published_at=datetime(2026, 10, 1, tzinfo=UTC)
    )
    assert last.slug is None and last.kind == "blog"
    assert last.updated_at == datetime(2026, 10, 2, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"item": []}, "unknown top-level field 'item'"),
        ({"items": {}}, "'items' must be an array"),
        ("text", "must be a JSON object"),
        (3, "must be a JSON object"),
    ],
)
def test_document_shape(document: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        registry_entries(document)
    assert registry_entries([{"id": "x"}]) == [{"id": "x"}]
    assert registry_entries({"items": []}) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "path", "slug", "title", "kind", "published_at", "x"]),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@given(st.lists(json_values, max_size=8))
def test_every_entry_is_either_accepted_or_rejected_with_a_field(entries: list[Any]) -> None:
    items, errors = parse_entries(entries)
    indices = sorted([index for index, _ in items] + [error.index for error in errors])
    assert indices == list(range(len(entries)))
    assert all(error.field and error.error for error in errors)
    assert len({item.id for _, item in items}) == len(items)
    assert len({item.path for _, item in items}) == len(items)


# --------------------------------------------------------------------------------------
# Sync
# --------------------------------------------------------------------------------------
def _registry(engine: Engine) -> dict[str, tuple[Any, ...]]:
    c = content_items.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.id, c.path, c.slug, c.title, c.kind, c.updated_at))
        return {row.id: tuple(row)[1:] for row in rows}


def test_sync_creates_updates_and_leaves_unchanged_items(db_engine: Engine) -> None:
    entries = [
        {"id": "home", "path": "/", "title": "Home", "published_at": "2026-01-02T03:04:05.678Z"},
        {"id": "post", "path": "/blog/post/", "slug": "post", "title": "Post", "kind": "blog"},
    ]
    with db_engine.begin() as conn:
        first = sync_content(conn, entries, NOW)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert _registry(db_engine)["post"] == ("/blog/post", "post", "Post", "blog", NOW)

    later = NOW + timedelta(days=1)
    entries[1] = {**entries[1], "title": "Post, revised"}
    with db_engine.begin() as conn:
        second = sync_content(conn, entries, later)
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    registry = _registry(db_engine)
    assert registry["post"][2:] == ("Post, revised", "blog", later)
    assert registry["home"][-1] == NOW  # untouched


def test_sync_keeps_valid_entries_and_reports_the_rest(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sync_content(conn, [{"id": "pricing", "path": "/pricing"}], NOW)
        result = sync_content(
            conn,
            [
                {"id": "docs", "path": "/docs"},
                {"id": "bad", "path": "docs"},
                {"id": "taken", "path": "/pricing/"},  # another item keeps /pricing
            ],
            NOW,
            prune=True,
        )
    assert result.created == 1
    assert [(e.index, e.field) for e in result.rejected] == [(1, "path"), (2, "path")]
    assert "already registered to 'pricing'" in result.rejected[1].error
    assert result.prune_skipped and result.pruned == 0
    assert set(_registry(db_engine)) == {"pricing", "docs"}


def test_sync_swaps_paths_and_prunes(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sync_content(
            conn,
            [{"id": "a", "path": "/a"}, {"id": "b", "path": "/b"}, {"id": "c", "path": "/c"}],
            NOW,
        )
        result = sync_content(
            conn, [{"id": "a", "path": "/b"}, {"id": "b", "path": "/a"}], NOW, prune=True
        )
    assert (result.updated, result.pruned, result.rejected) == (2, 1, [])
    registry = _registry(db_engine)
    assert {key: value[0] for key, value in registry.items()} == {"a": "/b", "b": "/a"}


def test_a_rejected_move_keeps_the_old_path_taken(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sync_content(conn, [{"id": "a", "path": "/a"}], NOW)
        # "a" would move away from /a, but its entry is invalid, so "z" cannot take /a.
        result = sync_content(
            conn, [{"id": "a", "path": "/new", "slug": 1}, {"id": "z", "path": "/a"}], NOW
        )
    assert [(e.index, e.field) for e in result.rejected] == [(0, "slug"), (1, "path")]
    assert _registry(db_engine)["a"][0] == "/a"


def test_registry_fields_are_added_by_path(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sync_content(conn, [{"id": "p1", "path": "/pricing", "slug": "pricing", "title": "P"}], NOW)
        rows = add_registry_fields(conn, [{"path": "/pricing"}, {"path": "/other"}])
    assert rows[0] == {"path": "/pricing", "content_id": "p1", "slug": "pricing", "title": "P"}
    assert rows[1] == {"path": "/other", "content_id": None, "slug": None, "title": None}
