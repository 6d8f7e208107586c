"""From HTTP to a decoded body: which media types are accepted, and strict JSON decoding."""

from __future__ import annotations

import json
from typing import Any

from systemprompt_analytics.web.collector.contract import MEDIA_TYPES


def media_type_error(content_type: str | None) -> str | None:
    """None when ``Content-Type`` is JSON or plain text in UTF-8, else what is wrong.

    ``text/plain`` is what ``navigator.sendBeacon`` sends for a string (and a Blob of that
    type) without a CORS preflight.
    """
    if not content_type:
        return "Content-Type is missing; send application/json or text/plain"
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    if media_type.lower() not in MEDIA_TYPES:
        return f"Content-Type {media_type!r} is not accepted; send application/json or text/plain"
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return f"charset {value.strip()!r} is not accepted; send UTF-8"
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(raw: bytes) -> tuple[Any, str | None]:
    """``(value, None)`` for a UTF-8 JSON body, else ``(None, why not)``. Strict JSON:
    ``NaN`` and ``Infinity`` are refused, and so is nesting too deep to decode."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte {exc.start})"
    try:
        return json.loads(text, parse_constant=_refuse_constant), None
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    except ValueError as exc:
        return None, f"not JSON: {exc}"
    except RecursionError:
        return None, "not JSON this collector accepts: nested too deeply"
