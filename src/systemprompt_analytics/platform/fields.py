"""Field types shared by the platform records: ids, names, free text, times, counts, traits.

Every string must be storable as it is on both databases: valid Unicode (a lone surrogate
cannot be encoded) without NUL characters (PostgreSQL refuses them in text and JSONB), and
no longer than its column. Times must carry a timezone and are kept in UTC. Counts are
non-negative integers (``true`` is not a count) within their column's range.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    JsonValue,
    StringConstraints,
)

MAX_INT32 = 2_147_483_647
MAX_TOKENS = 10**12  # per kind and request: far above any model, far below BIGINT overflow
MAX_MICRODOLLARS = 10**15  # one billion USD
MAX_ERROR_CHARS = 4_000  # longer error messages (stack traces) are cut, not refused
MAX_TITLE_CHARS = 1_000


def storable_text(value: str) -> str:
    """``value`` if both databases can store it, else :class:`ValueError` saying why."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return value


def _length(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


_STORABLE = AfterValidator(storable_text)


def _cut(limit: int) -> Any:
    def cut(value: str) -> str:
        return value if len(value) <= limit else value[: limit - 1] + "…"

    return AfterValidator(cut)


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


def _storable_json(value: Any, path: str = "") -> Any:
    """Check every key and string inside a JSON value (PostgreSQL's JSONB refuses
    ``\\u0000``); the error says where the bad one is."""
    try:
        if isinstance(value, str):
            storable_text(value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number (JSON has no NaN or Infinity)")
    except ValueError as exc:
        raise ValueError(f"{path or 'value'} {exc}") from None
    if isinstance(value, list):
        for index, item in enumerate(value):
            _storable_json(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            try:
                storable_text(key)
            except ValueError as exc:
                raise ValueError(f"key {inner!r} {exc}") from None
            _storable_json(item, inner)
    return value


def _storable_traits(value: dict[str, Any]) -> dict[str, Any]:
    return _storable_json(value)  # type: ignore[no-any-return]


# Required names and ids: stripped, not empty, no longer than their column.
Id = Annotated[str, _length(64), _STORABLE]  # AI requests, tools, tasks, sessions, messages
UserId = Annotated[str, _length(128), _STORABLE]
Name = Annotated[str, _length(128), _STORABLE]  # models, agents, tools, MCP servers
Provider = Annotated[str, _length(64), _STORABLE]
DisplayName = Annotated[str, _length(256), _STORABLE]
Email = Annotated[str, _length(320), _STORABLE]
Locale = Annotated[str, _length(35), _STORABLE]
UserAgent = Annotated[str, _length(1_000), _STORABLE]
CountryCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]
# Free text; an empty one is stored as NULL.
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_TITLE_CHARS), _STORABLE
]
ErrorText = Annotated[
    str, StringConstraints(strip_whitespace=True), _STORABLE, _cut(MAX_ERROR_CHARS)
]
Content = Annotated[str, _STORABLE]

Timestamp = Annotated[AwareDatetime, AfterValidator(_in_utc)]
TokenCount = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=MAX_TOKENS)]
Int32 = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=MAX_INT32)]
Millis = Int32
LongMillis = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=MAX_TOKENS)]
Microdollars = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=MAX_MICRODOLLARS)]
Traits = Annotated[dict[str, JsonValue], AfterValidator(_storable_traits)]


def utc_now() -> datetime:
    return datetime.now(UTC)
