"""Which AI requests a cost or request report counts: billable ones (synthetic excluded unless
asked for), optionally narrowed to one provider, model, status, user or session.

Filter values are matched exactly as stored; :func:`parse_filter_value` validates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.reports.definitions import billable_ai_request
from systemprompt_analytics.storage.schema import ai_requests

# Each filter matches the ai_requests column of the same name.
FILTER_FIELDS = ("provider", "model", "status", "user_id", "session_id")


def parse_filter_value(name: str, value: str, field: str | None = None) -> str:
    """A value for filter ``name`` as stored: stripped, non-empty, without control characters
    and no longer than its column. Raises InvalidInputError naming ``field`` (default: name)."""
    label = field or name
    text = value.strip()
    if not text:
        raise InvalidInputError(label, "must not be empty")
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise InvalidInputError(label, "must not contain control characters")
    max_length = int(ai_requests.c[name].type.length)  # type: ignore[attr-defined]
    if len(text) > max_length:
        raise InvalidInputError(label, f"must be at most {max_length} characters")
    return text


@dataclass(frozen=True)
class RequestFilter:
    include_synthetic: bool = False
    provider: str | None = None
    model: str | None = None
    status: str | None = None
    user_id: str | None = None
    session_id: str | None = None

    def condition(self) -> ColumnElement[bool]:
        parts = [billable_ai_request(self.include_synthetic)]
        for name in FILTER_FIELDS:
            value = getattr(self, name)
            if value is not None:
                parts.append(ai_requests.c[name] == value)
        return and_(*parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "include_synthetic": self.include_synthetic,
            **{name: getattr(self, name) for name in FILTER_FIELDS},
        }
