"""What an accepted event becomes in storage: its table row and its session's activity.

Row keys are the tables' column names, and every row of a table has the same keys (the
writer appends a batch of them at once; flush listeners read them as they are).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from systemprompt_analytics.ingest.activity import SessionActivity
from systemprompt_analytics.storage.schema import client_events, engagement_events
from systemprompt_analytics.web.collector.validate import AcceptedEvent, Engagement


def is_conversion(event: AcceptedEvent, conversion_events: Collection[str]) -> bool:
    """A ``conversion`` event, or a ``custom`` one whose name is a configured conversion."""
    if event.type == "conversion":
        return True
    return event.type == "custom" and event.name in conversion_events


def event_row(
    event: AcceptedEvent, session_id: str, received_at: datetime
) -> tuple[Table, dict[str, Any]]:
    """The table an event is stored in and its row."""
    if event.engagement is not None:
        return engagement_events, _engagement_row(event, event.engagement, session_id)
    return client_events, {
        "client_event_id": event.client_event_id,
        "session_id": session_id,
        "occurred_at": event.occurred_at,
        "received_at": received_at,
        "event_type": event.type,
        "name": event.name,
        "path": event.path,
        "target_url": event.target,
        "properties": event.props,
        "schema_version": event.schema_version,
        "title": event.title,
        "referrer": event.referrer,
        "scroll_depth": event.scroll_depth,
    }


def _engagement_row(
    event: AcceptedEvent, engagement: Engagement, session_id: str
) -> dict[str, Any]:
    return {
        "client_event_id": event.client_event_id,
        "session_id": session_id,
        "occurred_at": event.occurred_at,
        "path": event.path,
        "time_on_page_ms": engagement.time_on_page_ms,
        "visible_time_ms": engagement.visible_ms,
        "engaged_time_ms": engagement.engaged_ms,
        "max_scroll_depth": engagement.scroll_depth,
        "click_count": engagement.clicks,
        "rage_click_count": engagement.rage_clicks,
        "dead_click_count": engagement.dead_clicks,
        "time_to_first_interaction_ms": engagement.first_interaction_ms,
        "reading_pattern": engagement.reading_pattern,
        "properties": event.props,
    }


def event_activity(
    event: AcceptedEvent,
    session_id: str,
    session_started_at: datetime,
    received_at: datetime,
    conversion_events: Collection[str],
) -> SessionActivity:
    """The session's side of one event: activity now, one more event, maybe a conversion.

    Never a page view: the page request itself was counted when it was served.
    """
    attributes = None
    if is_conversion(event, conversion_events):
        # A client clock may put the event before the session began; a session cannot
        # convert before it started.
        attributes = {"converted_at": max(event.occurred_at, session_started_at)}
    return SessionActivity(
        session_id,
        session_started_at,
        received_at,
        attributes,
        {"event_count": 1},
    )
