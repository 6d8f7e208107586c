"""The kinds of value an event field may hold: each checks a decoded JSON value and renders
itself as JSON Schema, so the validator and ``docs/collector.schema.json`` cannot disagree.

``check`` returns ``(value, None)`` with the value to keep, or ``(None, error)`` with a message
for the client. It never raises, whatever JSON it is given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Checked = tuple[Any, str | None]

# Characters no database column can hold: NUL (PostgreSQL text and JSON refuse it) and lone
# UTF-16 surrogates (JSON escapes like "\ud800" decode to them; they cannot be encoded).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class FieldSpec(Protocol):
    def check(self, value: Any) -> Checked: ...

    def json_schema(self) -> dict[str, Any]: ...


def storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def as_integer(value: Any) -> int | None:
    """A JSON integer; like JSON Schema's ``integer``, 3.0 is one and true is not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


@dataclass(frozen=True, slots=True)
class IntegerField:
    minimum: int | None = None
    maximum: int | None = None

    def check(self, value: Any) -> Checked:
        number = as_integer(value)
        if number is None or not self._in_range(number):
            return None, self._expected()
        return number, None

    def _in_range(self, number: int) -> bool:
        low_ok = self.minimum is None or number >= self.minimum
        return low_ok and (self.maximum is None or number <= self.maximum)

    def _expected(self) -> str:
        if self.minimum is not None and self.maximum is not None:
            return f"must be an integer from {self.minimum:,} to {self.maximum:,}"
        return "must be an integer"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


@dataclass(frozen=True, slots=True)
class ConstantField:
    value: int
    error: str

    def check(self, value: Any) -> Checked:
        if as_integer(value) != self.value:
            return None, self.error
        return self.value, None

    def json_schema(self) -> dict[str, Any]:
        return {"const": self.value}


@dataclass(frozen=True, slots=True)
class TextField:
    min_length: int
    max_length: int
    pattern: str | None = None  # anchored, the same syntax in Python and ECMAScript
    expected: str | None = None  # how to say what is accepted, when the pattern is not obvious

    def check(self, value: Any) -> Checked:
        if not isinstance(value, str) or not storable(value):
            return None, self._expected()
        if not self.min_length <= len(value) <= self.max_length:
            return None, self._expected()
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            return None, self._expected()
        return value, None

    def _expected(self) -> str:
        if self.expected is not None:
            return self.expected
        if self.min_length == 0:
            return f"must be a string of at most {self.max_length:,} characters"
        return f"must be a string of {self.min_length:,} to {self.max_length:,} characters"

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.min_length:
            schema["minLength"] = self.min_length
        if self.pattern is not None:
            schema["pattern"] = f"^{self.pattern}$"
        return schema


@dataclass(frozen=True, slots=True)
class ChoiceField:
    choices: tuple[str, ...]

    def check(self, value: Any) -> Checked:
        if not isinstance(value, str) or value not in self.choices:
            return None, f"must be one of {', '.join(self.choices)}"
        return value, None

    def json_schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}


@dataclass(frozen=True, slots=True)
class UrlField:
    """A page URL: absolute ``http(s)://…`` or a path starting with ``/``."""

    max_length: int

    def check(self, value: Any) -> Checked:
        if (
            not isinstance(value, str)
            or not storable(value)
            or not value.startswith(("/", "http://", "https://"))
        ):
            return None, "must be an absolute http(s) URL or a path starting with /"
        if len(value) > self.max_length:
            return None, f"must be at most {self.max_length:,} characters"
        return value, None

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "maxLength": self.max_length, "pattern": "^(/|https?://)"}


PropValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class PropsField:
    """Free-form properties: one level of string keys and scalar values."""

    max_keys: int
    max_key_length: int
    max_value_length: int

    def check(self, value: Any) -> Checked:
        if not isinstance(value, Mapping):
            return None, "must be an object of string, number, boolean or null values"
        if len(value) > self.max_keys:
            return None, f"must have at most {self.max_keys} keys, not {len(value)}"
        for key, item in value.items():
            if not isinstance(key, str) or not 1 <= len(key) <= self.max_key_length:
                return None, f"keys must be 1 to {self.max_key_length} characters long"
            if not storable(key):
                return None, "keys must not hold NUL or unpaired surrogate characters"
            error = self._value_error(item)
            if error is not None:
                return None, f"{key!r}: {error}"
        return dict(value), None

    def _value_error(self, item: Any) -> str | None:
        if item is None or isinstance(item, bool | int):
            return None
        if isinstance(item, float):
            return None if math.isfinite(item) else "numbers must be finite"
        if isinstance(item, str):
            if len(item) > self.max_value_length:
                return f"strings must be at most {self.max_value_length} characters"
            return None if storable(item) else "must not hold NUL or unpaired surrogates"
        return "values must be a string, number, boolean or null (no objects or arrays)"

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "maxProperties": self.max_keys,
            "propertyNames": {"minLength": 1, "maxLength": self.max_key_length},
            "additionalProperties": {
                "type": ["string", "number", "boolean", "null"],
                "maxLength": self.max_value_length,
            },
        }
