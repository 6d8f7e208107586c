"""Which stored rows are funnel activity, as :class:`Activity` values. Pure.

Page activity: ``request_events`` rows of kind ``page`` and ``client_events`` rows of type
``page_view`` (their ``path``). Event activity: ``client_events`` of type ``conversion`` or
``custom`` (their ``name`` and ``properties``). Everything else (API calls, assets, link
clicks, scrolls, ...) is not funnel activity. The same functions read the rows a writer batch
holds and the rows ``rebuild`` reads back, so both see the same activities.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from systemprompt_analytics.funnels.matcher import Activity

PAGE_REQUEST_KIND = "page"
PAGE_EVENT_TYPE = "page_view"
EVENT_TYPES = ("conversion", "custom")
CLIENT_EVENT_TYPES = (PAGE_EVENT_TYPE, *EVENT_TYPES)


def _utc(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_request_event(row: Mapping[Any, Any]) -> Activity | None:
    """A page activity from a ``request_events`` row, or None if it is not a page view."""
    at = _utc(row.get("occurred_at"))
    session_id, path = row.get("session_id"), row.get("path")
    if row.get("kind") != PAGE_REQUEST_KIND or at is None or not session_id or path is None:
        return None
    return Activity(at, "page", str(session_id), path=str(path))


def from_client_event(row: Mapping[Any, Any]) -> Activity | None:
    """A page or event activity from a ``client_events`` row, or None."""
    at = _utc(row.get("occurred_at"))
    session_id, event_type = row.get("session_id"), row.get("event_type")
    if at is None or not session_id:
        return None
    if event_type == PAGE_EVENT_TYPE:
        path = row.get("path")
        return None if path is None else Activity(at, "page", str(session_id), path=str(path))
    if event_type in EVENT_TYPES:
        name = row.get("name")
        if not name:
            return None
        properties = row.get("properties")
        return Activity(
            at,
            "event",
            str(session_id),
            name=str(name),
            properties=properties if isinstance(properties, Mapping) else None,
        )
    return None


def collect(
    request_rows: Iterable[Mapping[str, Any]], client_rows: Iterable[Mapping[str, Any]]
) -> list[Activity]:
    """Every funnel activity among these rows."""
    found = [from_request_event(row) for row in request_rows]
    found += [from_client_event(row) for row in client_rows]
    return [activity for activity in found if activity is not None]
