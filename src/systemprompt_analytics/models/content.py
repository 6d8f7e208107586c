"""Content identity and the content registry's entries: pure parsing and validation.

Content is identified by its normalised path. The optional registry (``content_items``) gives a
path an id, slug, title and kind; hosts sync it from a JSON document (docs/content-and-traffic.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

MAX_PATH_LENGTH = 2048
MAX_ID_LENGTH = 128
MAX_SLUG_LENGTH = 255
MAX_TITLE_LENGTH = 1000
MAX_KIND_LENGTH = 32
ENTRY_FIELDS = ("id", "path", "slug", "title", "kind", "published_at", "updated_at")


def _has_control_character(text: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in text)


def normalise_path(value: str) -> str:
    """The path content is identified by: no query or fragment, percent-decoded (as web servers
    decode request paths and the collector decodes page URLs), no trailing slash but ``/``.

    Accepts a path (``/docs/``) or an absolute URL (``https://example.com/docs?x=1``, whose
    path is taken). Raises ``ValueError`` saying what is wrong with anything else.
    """
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if _has_control_character(text):
        raise ValueError("must not contain control characters")
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a valid URL") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL or a path starting with '/'")
        text = parts.path or "/"
    elif not text.startswith("/"):
        raise ValueError(f"{value!r} must be a path starting with '/' or an http(s) URL")
    for separator in ("?", "#"):
        text = text.split(separator, 1)[0]
    text = unquote(text, errors="replace")
    if _has_control_character(text):
        raise ValueError("must not contain control characters (percent-decoded)")
    path = text.rstrip("/") or "/"
    if len(path) > MAX_PATH_LENGTH:
        raise ValueError(f"must be at most {MAX_PATH_LENGTH} characters")
    return path


@dataclass(frozen=True)
class ContentItem:
    id: str
    path: str
    slug: str | None = None
    title: str | None = None
    kind: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class EntryError:
    """Why entry ``index`` of a registry document was rejected, naming the field."""

    index: int
    field: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "error": self.error}


class _RejectedError(Exception):
    def __init__(self, field: str, error: str) -> None:
        super().__init__(f"{field}: {error}")
        self.field = field
        self.error = error


def _text(entry: Mapping[str, Any], name: str, max_length: int, required: bool) -> str | None:
    value = entry.get(name)
    if value is None:
        if required:
            raise _RejectedError(name, "is required")
        return None
    if not isinstance(value, str):
        raise _RejectedError(name, f"must be a string, not {type(value).__name__}")
    text = value.strip()
    if not text:
        if required:
            raise _RejectedError(name, "must not be empty")
        return None
    if len(text) > max_length:
        raise _RejectedError(name, f"must be at most {max_length} characters")
    if _has_control_character(text):
        raise _RejectedError(name, "must not contain control characters")
    return text


def _timestamp(entry: Mapping[str, Any], name: str) -> datetime | None:
    value = entry.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _RejectedError(name, "must be an ISO 8601 date or date-time string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _RejectedError(
            name, f"cannot read {value!r} as an ISO 8601 date or date-time"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_entry(entry: Any) -> ContentItem:
    """One registry entry as a :class:`ContentItem`; raises ``_RejectedError`` naming the field."""
    if not isinstance(entry, Mapping):
        raise _RejectedError("entry", f"must be an object, not {type(entry).__name__}")
    for name in entry:
        if name not in ENTRY_FIELDS:
            raise _RejectedError(str(name), f"unknown field; accepted: {', '.join(ENTRY_FIELDS)}")
    identifier = _text(entry, "id", MAX_ID_LENGTH, required=True) or ""
    raw_path = entry.get("path")
    if raw_path is None:
        raise _RejectedError("path", "is required")
    if not isinstance(raw_path, str):
        raise _RejectedError("path", f"must be a string, not {type(raw_path).__name__}")
    try:
        path = normalise_path(raw_path)
    except ValueError as exc:
        raise _RejectedError("path", str(exc)) from None
    return ContentItem(
        id=identifier,
        path=path,
        slug=_text(entry, "slug", MAX_SLUG_LENGTH, required=False),
        title=_text(entry, "title", MAX_TITLE_LENGTH, required=False),
        kind=_text(entry, "kind", MAX_KIND_LENGTH, required=False),
        published_at=_timestamp(entry, "published_at"),
        updated_at=_timestamp(entry, "updated_at"),
    )


def registry_entries(document: Any) -> list[Any]:
    """The entries of a registry document: ``{"items": [...]}`` or a bare array.

    Raises ``ValueError`` naming what is wrong with the document's shape.
    """
    if isinstance(document, list):
        return document
    if isinstance(document, Mapping):
        extra = sorted(str(key) for key in document if key != "items")
        if extra:
            raise ValueError(f"unknown top-level field {extra[0]!r}; expected only 'items'")
        entries = document.get("items")
        if isinstance(entries, list):
            return entries
        raise ValueError("'items' must be an array of content items")
    raise ValueError("must be a JSON object with an 'items' array, or an array of items")


def parse_entries(
    entries: list[Any],
) -> tuple[list[tuple[int, ContentItem]], list[EntryError]]:
    """Every valid entry with its index, and an error (index, field, message) for every
    invalid one.

    An id or path that an earlier entry already uses is rejected (the first one wins), so the
    valid items never conflict with one another.
    """
    items: list[tuple[int, ContentItem]] = []
    errors: list[EntryError] = []
    id_owner: dict[str, int] = {}
    path_owner: dict[str, int] = {}
    for index, entry in enumerate(entries):
        try:
            item = parse_entry(entry)
            if item.id in id_owner:
                raise _RejectedError("id", f"duplicate of items[{id_owner[item.id]}]")
            if item.path in path_owner:
                raise _RejectedError("path", f"{item.path} is also items[{path_owner[item.path]}]")
        except _RejectedError as rejected:
            errors.append(EntryError(index, rejected.field, rejected.error))
            continue
        id_owner[item.id] = index
        path_owner[item.path] = index
        items.append((index, item))
    return items, errors
