"""ContentRepository: syncing the optional content registry and looking titles up by path."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from systemprompt_analytics.models.content import ContentItem, EntryError, parse_entries
from systemprompt_analytics.storage.schema import content_items

CHUNK = 500  # ids per IN (...) list, well under every driver's parameter limit
COMPARED_FIELDS = ("path", "slug", "title", "kind", "published_at")


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    pruned: int = 0
    # Prune is skipped when any entry was rejected: a rejected entry may be an item to keep.
    prune_skipped: bool = False
    rejected: list[EntryError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "pruned": self.pruned,
            "prune_skipped": self.prune_skipped,
            "rejected": [error.to_dict() for error in self.rejected],
        }


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _without_path_conflicts(
    items: list[tuple[int, ContentItem]], registered: dict[str, str]
) -> tuple[list[tuple[int, ContentItem]], list[EntryError]]:
    """Reject entries whose path another registered item keeps after the sync.

    ``registered`` maps id → path as stored. Rejecting an entry leaves its stored item at its
    old path, which can in turn conflict with another entry, so this repeats until stable.
    """
    accepted = list(items)
    errors: list[EntryError] = []
    while True:
        final = dict(registered)
        final.update({item.id: item.path for _, item in accepted})
        owners: dict[str, list[str]] = {}
        for identifier, path in final.items():
            owners.setdefault(path, []).append(identifier)
        clashing = [
            (index, item, next(o for o in owners[item.path] if o != item.id))
            for index, item in accepted
            if len(owners[item.path]) > 1
        ]
        if not clashing:
            return accepted, errors
        rejected = {index for index, _, _ in clashing}
        errors.extend(
            EntryError(index, "path", f"{item.path} is already registered to {owner!r}")
            for index, item, owner in clashing
        )
        accepted = [(index, item) for index, item in accepted if index not in rejected]


def _row(item: ContentItem, now: datetime) -> dict[str, Any]:
    return {
        "id": item.id,
        "path": item.path,
        "slug": item.slug,
        "title": item.title,
        "kind": item.kind,
        "published_at": item.published_at,
        "updated_at": item.updated_at or now,
    }


def _differs(item: ContentItem, stored: dict[str, Any]) -> bool:
    if any(getattr(item, name) != stored[name] for name in COMPARED_FIELDS):
        return True
    return item.updated_at is not None and item.updated_at != stored["updated_at"]


def sync_content(
    conn: Connection, entries: list[Any], now: datetime, prune: bool = False
) -> SyncResult:
    """Create or update the registry from ``entries`` (raw JSON objects), keyed by id.

    Valid entries are stored even when others are rejected (each rejection names its index and
    field); unchanged items are left as they are. With ``prune``, items whose id is not in
    ``entries`` are deleted — only when no entry was rejected.
    """
    items, errors = parse_entries(entries)
    stored = {row.id: dict(row._mapping) for row in conn.execute(select(content_items))}
    items, conflicts = _without_path_conflicts(
        items, {identifier: row["path"] for identifier, row in stored.items()}
    )
    result = SyncResult(rejected=sorted(errors + conflicts, key=lambda error: error.index))
    rows = []
    for _, item in items:
        existing = stored.get(item.id)
        if existing is None:
            result.created += 1
        elif _differs(item, existing):
            result.updated += 1
        else:
            result.unchanged += 1
            continue
        rows.append(_row(item, now))
    # Delete-then-insert, so that two items swapping paths never meet the unique constraint.
    changed = [row["id"] for row in rows if row["id"] in stored]
    for chunk in _chunks(changed):
        conn.execute(delete(content_items).where(content_items.c.id.in_(chunk)))
    if rows:
        conn.execute(content_items.insert(), rows)
    if prune:
        if result.rejected:
            result.prune_skipped = True
        else:
            keep = {item.id for _, item in items}
            gone = sorted(identifier for identifier in stored if identifier not in keep)
            for chunk in _chunks(gone):
                conn.execute(delete(content_items).where(content_items.c.id.in_(chunk)))
            result.pruned = len(gone)
    return result


@dataclass(frozen=True)
class Registered:
    content_id: str
    slug: str | None
    title: str | None
    kind: str | None


def registered_by_path(conn: Connection, paths: Collection[str]) -> dict[str, Registered]:
    """Registry entries of the given (normalised) paths; paths not registered are absent."""
    wanted = sorted({path for path in paths if path})
    found: dict[str, Registered] = {}
    c = content_items.c
    for chunk in _chunks(wanted):
        for row in conn.execute(
            select(c.path, c.id, c.slug, c.title, c.kind).where(c.path.in_(chunk))
        ):
            found[row.path] = Registered(row.id, row.slug, row.title, row.kind)
    return found


def add_registry_fields(
    conn: Connection, rows: list[dict[str, Any]], path_key: str = "path"
) -> list[dict[str, Any]]:
    """Add ``content_id``, ``slug`` and ``title`` (None when unregistered) to each row."""
    registry = registered_by_path(conn, [row[path_key] for row in rows if row[path_key]])
    for row in rows:
        entry = registry.get(row[path_key]) if row[path_key] else None
        row["content_id"] = entry.content_id if entry else None
        row["slug"] = entry.slug if entry else None
        row["title"] = entry.title if entry else None
    return rows
