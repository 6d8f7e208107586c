"""The JSON Schema (draft 2020-12) of a collector event, rendered from the contract tables.

``docs/collector.schema.json`` is :func:`render`'s output (docs/collector.md shows the command
that regenerates it); a test keeps the two equal.
"""

from __future__ import annotations

import json
from typing import Any

from systemprompt_analytics.web.collector.contract import (
    FIELDS,
    MAX_EVENTS,
    SCHEMA_VERSION,
    SHAPES,
    EventShape,
    EventType,
)

SCHEMA_ID = (
    "https://github.com/systemprompt/systemprompt-analytics/blob/main/docs/collector.schema.json"
)

_DESCRIPTIONS = {
    "type": "What happened.",
    "v": f"Schema version; only {SCHEMA_VERSION}.",
    "id": "Client event id; a retry with the same id stores nothing new.",
    "ts": "Client time, epoch ms; over 24 h old or 5 min ahead, the receive time is used.",
    "url": "The page: absolute URL or path. The normalised path is stored.",
    "referrer": "The page's referrer; stored without query and fragment.",
    "title": "The document title.",
    "target": "The link's href.",
    "name": "The event's name.",
    "props": "Properties: one level of scalar values.",
    "time_on_page_ms": "Time on the page.",
    "visible_ms": "Time the page was visible.",
    "engaged_ms": "Time the page was visible and focused.",
    "first_interaction_ms": "Time to the first interaction; null when there was none.",
    "scroll_depth": "Deepest scroll, percent of the page.",
    "clicks": "Clicks.",
    "rage_clicks": "Rage clicks (bursts of clicks in one place).",
    "dead_clicks": "Clicks that changed nothing.",
    "reading_pattern": "How the page was read.",
}


def _property(name: str, required: bool) -> dict[str, Any]:
    schema = FIELDS[name].json_schema()
    if not required:  # optional fields may be null, which means "not given"
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {"description": _DESCRIPTIONS[name], **schema}


def _event_schema(event_type: EventType, shape: EventShape) -> dict[str, Any]:
    properties = {
        name: _property(name, name in shape.required) for name in shape.fields if name != "type"
    }
    return {
        "title": event_type,
        "type": "object",
        "properties": {"type": {"const": event_type}, **properties},
        "required": list(shape.required),
        "additionalProperties": False,
    }


def event_schema() -> dict[str, Any]:
    """The schema of one event; ``$defs/body`` is the schema of a whole request body."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"systemprompt-analytics collector event, v{SCHEMA_VERSION}",
        "description": (
            "One event POSTed to /api/v1/collect. Unknown fields are rejected; fields that "
            "are not required may be null or left out. See docs/collector.md."
        ),
        "type": "object",
        "oneOf": [_event_schema(name, shape) for name, shape in SHAPES.items()],
        "$defs": {
            "body": {
                "description": f'One event, or {{"events": [...]}} with 1 to {MAX_EVENTS}.',
                "oneOf": [
                    {"$ref": "#"},
                    {
                        "type": "object",
                        "properties": {
                            "events": {
                                "type": "array",
                                "items": {"$ref": "#"},
                                "minItems": 1,
                                "maxItems": MAX_EVENTS,
                            }
                        },
                        "required": ["events"],
                        "additionalProperties": False,
                    },
                ],
            }
        },
    }


def openapi_request_body() -> dict[str, Any]:
    """The request body for the OpenAPI document (which cannot resolve ``$ref: "#"``)."""
    event = {key: value for key, value in event_schema().items() if not key.startswith("$")}
    batch = {
        "type": "object",
        "properties": {
            "events": {"type": "array", "items": event, "minItems": 1, "maxItems": MAX_EVENTS}
        },
        "required": ["events"],
        "additionalProperties": False,
    }
    content = {"schema": {"oneOf": [event, batch]}}
    return {"required": True, "content": {"application/json": content, "text/plain": content}}


def render() -> str:
    return json.dumps(event_schema(), indent=2, ensure_ascii=False) + "\n"
