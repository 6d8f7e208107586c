"""Collector contract v1: the event types, their fields and every limit, as data.

The validator (:mod:`.validate`) and the JSON Schema (:mod:`.json_schema`) are both driven
by these tables. See docs/collector.md for the contract in prose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from systemprompt_analytics.web.collector.fields import (
    ChoiceField,
    ConstantField,
    FieldSpec,
    IntegerField,
    PropsField,
    TextField,
    UrlField,
)

EventType = Literal["page_view", "engagement", "link_click", "scroll", "conversion", "custom"]
EVENT_TYPES: tuple[EventType, ...] = (
    "page_view",
    "engagement",
    "link_click",
    "scroll",
    "conversion",
    "custom",
)
ReadingPattern = Literal["bounce", "skim", "scan", "read", "engaged"]
READING_PATTERNS: tuple[ReadingPattern, ...] = ("bounce", "skim", "scan", "read", "engaged")

SCHEMA_VERSION = 1
MAX_BODY_BYTES = 64 * 1024
MAX_EVENTS = 100
MEDIA_TYPES = ("application/json", "text/plain")

# A client clock further off than this is not believed: the receive time is used instead.
MAX_CLIENT_AGE = timedelta(hours=24)
MAX_CLIENT_LEAD = timedelta(minutes=5)

MAX_URL_LENGTH = 4096
MAX_TITLE_LENGTH = 300
MAX_NAME_LENGTH = 128
MAX_DURATION_MS = 86_400_000
MAX_CLICKS = 100_000

_DURATION = IntegerField(0, MAX_DURATION_MS)
_CLICKS = IntegerField(0, MAX_CLICKS)

FIELDS: dict[str, FieldSpec] = {
    "type": ChoiceField(EVENT_TYPES),
    "v": ConstantField(
        SCHEMA_VERSION, f"unsupported schema version: only {SCHEMA_VERSION} is accepted"
    ),
    "id": TextField(
        8,
        64,
        pattern="[A-Za-z0-9_.:-]{8,64}",
        expected="must be 8 to 64 characters of A-Z, a-z, 0-9, _ . : -",
    ),
    "ts": IntegerField(),
    "url": UrlField(MAX_URL_LENGTH),
    "referrer": TextField(0, MAX_URL_LENGTH),
    "title": TextField(0, MAX_TITLE_LENGTH),
    "target": TextField(1, MAX_URL_LENGTH),
    "name": TextField(1, MAX_NAME_LENGTH),
    "props": PropsField(max_keys=30, max_key_length=64, max_value_length=500),
    "time_on_page_ms": _DURATION,
    "visible_ms": _DURATION,
    "engaged_ms": _DURATION,
    "first_interaction_ms": _DURATION,
    "scroll_depth": IntegerField(0, 100),
    "clicks": _CLICKS,
    "rage_clicks": _CLICKS,
    "dead_clicks": _CLICKS,
    "reading_pattern": ChoiceField(READING_PATTERNS),
}

ENGAGEMENT_FIELDS = (
    "time_on_page_ms",
    "visible_ms",
    "engaged_ms",
    "first_interaction_ms",
    "scroll_depth",
    "clicks",
    "rage_clicks",
    "dead_clicks",
    "reading_pattern",
)
# Every type may carry these; ``type`` is the only one always required.
COMMON_FIELDS = ("type", "v", "id", "ts", "url", "props")


@dataclass(frozen=True, slots=True)
class EventShape:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # Every field this type may carry, in the order they are checked (derived; read per event).
    fields: tuple[str, ...] = field(init=False)
    allowed: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(name for name in FIELDS if name in self.required or name in self.optional)
        object.__setattr__(self, "fields", names)
        object.__setattr__(self, "allowed", frozenset(names))


def _shape(required: tuple[str, ...], extra: tuple[str, ...] = ()) -> EventShape:
    optional = tuple(name for name in (*COMMON_FIELDS, *extra) if name not in required)
    return EventShape(("type", *required), tuple(name for name in optional if name != "type"))


SHAPES: dict[EventType, EventShape] = {
    "page_view": _shape(("url",), ("referrer", "title")),
    "engagement": _shape(("url",), ENGAGEMENT_FIELDS),
    "link_click": _shape(("url", "target")),
    "scroll": _shape(("url", "scroll_depth")),
    "conversion": _shape(("name",)),
    "custom": _shape(("name",)),
}
