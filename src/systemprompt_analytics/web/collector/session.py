"""Which session the collector's events belong to, and handing them to the writer.

Behind :class:`~systemprompt_analytics.web.AnalyticsMiddleware` the request was already
attributed (and throttled, and will be recorded) by the middleware: its context is in
``scope["state"]``. Without the middleware the collector runs the same pipeline for the
collect request itself — a beacon, which counts as session activity and never as a page view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from systemprompt_analytics.ingest.pipeline import RequestContext
from systemprompt_analytics.ingest.recent_ids import RecentIds
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.asgi import STATE_CONTEXT_KEY
from systemprompt_analytics.web.collector.rows import event_activity, event_row
from systemprompt_analytics.web.collector.validate import AcceptedEvent, Rejection
from systemprompt_analytics.web.facts import facts_from_scope

# The pipeline classifies this path as a beacon by default (ingest/request_kind.py).
BEACON_PATH = "/api/v1/collect"
OVERLOADED = "not stored: the collector is overloaded; send it again later"


@dataclass(frozen=True, slots=True)
class Attribution:
    context: RequestContext
    # True when the collector ran the pipeline itself, so it also throttles the request,
    # sets the session cookie and records the request; False behind the middleware.
    owned: bool

    @property
    def session_id(self) -> str:
        return self.context.resolution.session_id

    @property
    def session_started_at(self) -> datetime:
        return datetime.fromtimestamp(self.context.resolution.started, UTC)


def attribute(analytics: Analytics, scope: Mapping[str, Any]) -> Attribution | None:
    """The request's session: the middleware's, else one the pipeline resolves now. None
    only when the pipeline does not track the collector's path even as a beacon."""
    state = scope.get("state")
    context = state.get(STATE_CONTEXT_KEY) if isinstance(state, Mapping) else None
    if isinstance(context, RequestContext):
        return Attribution(context, owned=False)
    pipeline = analytics.start().pipeline
    facts = facts_from_scope(scope)
    # Mounted under a path the pipeline does not track (a health-check path), the request is
    # still attributed as the beacon it is.
    context = pipeline.begin(facts) or pipeline.begin(replace(facts, path=BEACON_PATH))
    return None if context is None else Attribution(context, owned=True)


def store_events(
    analytics: Analytics,
    events: Iterable[AcceptedEvent],
    attribution: Attribution,
    received_at: datetime,
    recent: RecentIds,
) -> list[Rejection]:
    """Queue each event's row and session activity, skipping ids stored lately; the events
    the writer had no room for come back as rejections (sending them again is safe)."""
    writer = analytics.start().writer
    conversions = frozenset(analytics.settings.conversion_events)
    session_id, started_at = attribution.session_id, attribution.session_started_at
    dropped = []
    for event in events:
        key = event.client_event_id
        if key is not None and not recent.claim(key):
            continue
        table, row = event_row(event, session_id, received_at)
        activity = event_activity(event, session_id, started_at, received_at, conversions)
        if not writer.submit(activity, table, row):
            if key is not None:
                recent.release(key)  # not stored: sending it again must count
            dropped.append(Rejection(event.index, "event", OVERLOADED))
    return dropped
