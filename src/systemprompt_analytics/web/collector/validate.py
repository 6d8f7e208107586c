"""Validating a decoded collector body: accepted events, ready to store, and rejections.

Pure: no I/O, never raises. Every event of the body ends up either accepted or rejected (one
rejection per event, naming the first field found wrong), so ``len(accepted) + len(rejected)``
is the number of events sent; a body that is not one event or ``{"events": [...]}`` at all is
one rejection.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from systemprompt_analytics.web.collector.contract import (
    ENGAGEMENT_FIELDS,
    FIELDS,
    MAX_EVENTS,
    SCHEMA_VERSION,
    SHAPES,
    EventType,
    ReadingPattern,
)
from systemprompt_analytics.web.collector.fields import PropValue
from systemprompt_analytics.web.collector.normalise import event_time, page_path, referrer_url

BODY_FIELD = "body"
EVENT_FIELD = "event"


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    field: str
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "error": self.error}


@dataclass(frozen=True, slots=True)
class Engagement:
    time_on_page_ms: int = 0
    visible_ms: int = 0
    engaged_ms: int = 0  # visible and focused
    first_interaction_ms: int | None = None
    scroll_depth: int = 0
    clicks: int = 0
    rage_clicks: int = 0
    dead_clicks: int = 0
    reading_pattern: ReadingPattern | None = None


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    """One valid event, normalised: ``path`` from ``url``, ``occurred_at`` from ``ts``."""

    index: int
    type: EventType
    occurred_at: datetime
    client_event_id: str | None = None
    schema_version: int = SCHEMA_VERSION
    path: str | None = None
    referrer: str | None = None
    title: str | None = None
    target: str | None = None
    name: str | None = None
    props: dict[str, PropValue] | None = None
    scroll_depth: int | None = None
    engagement: Engagement | None = None


@dataclass(frozen=True, slots=True)
class ParseResult:
    accepted: tuple[AcceptedEvent, ...] = ()
    rejected: tuple[Rejection, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The response body of the contract: ``{"accepted": n, "rejected": [...]}``."""
        return {
            "accepted": len(self.accepted),
            "rejected": [rejection.as_dict() for rejection in self.rejected],
        }


def _body_error(field_name: str, error: str) -> ParseResult:
    return ParseResult(rejected=(Rejection(0, field_name, error),))


def parse_payload(payload: Any, received_at: datetime) -> ParseResult:
    """Validate a decoded body: one event object, or ``{"events": [ ... ]}`` with 1–100."""
    if not isinstance(payload, Mapping):
        return _body_error(BODY_FIELD, 'must be a JSON object: one event or {"events": [...]}')
    if "events" not in payload:
        return _collect([payload], received_at)
    extra = sorted(str(name) for name in payload if name != "events")
    if extra:
        return _body_error(extra[0], 'unknown field; a batch is exactly {"events": [...]}')
    events = payload["events"]
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        return _body_error("events", f"must be an array of 1 to {MAX_EVENTS} events")
    return _collect(events, received_at)


def _collect(events: list[Any], received_at: datetime) -> ParseResult:
    accepted: list[AcceptedEvent] = []
    rejected: list[Rejection] = []
    for index, event in enumerate(events):
        outcome = parse_event(index, event, received_at)
        if isinstance(outcome, Rejection):
            rejected.append(outcome)
        else:
            accepted.append(outcome)
    return ParseResult(tuple(accepted), tuple(rejected))


def parse_event(index: int, event: Any, received_at: datetime) -> AcceptedEvent | Rejection:
    """Check one event against the contract; the first problem found is reported."""
    if not isinstance(event, Mapping):
        return Rejection(index, EVENT_FIELD, "must be a JSON object")
    for name in event:
        if name not in FIELDS:
            return Rejection(index, str(name), _unknown_field(str(name)))
    event_type, error = FIELDS["type"].check(event.get("type"))
    if error is not None:
        return Rejection(index, "type", "required" if event.get("type") is None else error)
    shape = SHAPES[cast(EventType, event_type)]
    for name in event:
        if name not in shape.allowed:
            return Rejection(index, name, f"not a field of {event_type} events")
    values: dict[str, Any] = {}
    for name in shape.fields:
        raw = event.get(name)
        if raw is None:  # absent, or null: both mean "not given"
            if name in shape.required:
                return Rejection(index, name, f"required for {event_type} events")
            continue
        value, error = FIELDS[name].check(raw)
        if error is not None:
            return Rejection(index, name, error)
        values[name] = value
    return _accepted(index, cast(EventType, event_type), values, received_at)


def _unknown_field(name: str) -> str:
    close = difflib.get_close_matches(name, list(FIELDS), n=1)
    return f"unknown field; did you mean {close[0]!r}?" if close else "unknown field"


def _accepted(
    index: int, event_type: EventType, values: dict[str, Any], received_at: datetime
) -> AcceptedEvent | Rejection:
    path = None
    if "url" in values:
        path = page_path(values["url"])
        if path is None:
            return Rejection(index, "url", "is not a URL with a storable path (bad host, or %00)")
    engagement = None
    if event_type == "engagement":
        given = {name: values[name] for name in ENGAGEMENT_FIELDS if name in values}
        engagement = Engagement(**given)
    return AcceptedEvent(
        index=index,
        type=event_type,
        occurred_at=event_time(values.get("ts"), received_at),
        client_event_id=values.get("id"),
        path=path,
        referrer=referrer_url(values["referrer"]) if "referrer" in values else None,
        title=values.get("title") or None,
        target=values.get("target"),
        name=values.get("name"),
        props=values.get("props"),
        scroll_depth=values.get("scroll_depth") if event_type == "scroll" else None,
        engagement=engagement,
    )
