"""Decoding the values inside an OTLP/HTTP JSON payload: attributes (``AnyValue``), unix-nano
times, trace and span ids, span status.

OTLP's JSON encoding is protobuf's JSON mapping with OTLP's own rules: trace and span ids are
hex strings, not base64; 64-bit integers may be JSON numbers or decimal strings; field names
are lowerCamelCase (protobuf parsers also take the snake_case names, so we do too). Pure: no
I/O. Every problem raises :class:`OtlpError` with a JSON-pointer-like path to the field.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

AttributeValue = (
    str | bool | int | float | bytes | list["AttributeValue"] | dict[str, "AttributeValue"] | None
)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
MAX_DEPTH = 16  # nested arrays/kvlists: far deeper than any instrumentation sends
VALUE_KINDS = (
    "stringValue",
    "boolValue",
    "intValue",
    "doubleValue",
    "arrayValue",
    "kvlistValue",
    "bytesValue",
)
STATUS_CODES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
STATUS_ERROR = 2

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INTEGER = re.compile(r"^-?\d{1,20}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_CAMEL = re.compile(r"(?<!^)([A-Z])")


class OtlpError(ValueError):
    """A malformed part of an OTLP payload, at ``path``."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def get_field(message: Mapping[str, Any], name: str) -> Any:
    """A field by its lowerCamelCase JSON name, or by its snake_case proto name."""
    if name in message:
        return message[name]
    return message.get(_CAMEL.sub(r"_\1", name).lower())


def as_object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise OtlpError(path, "must be a JSON object")
    return value


def as_list(value: Any, path: str) -> list[Any]:
    """A repeated field: absent or null is empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise OtlpError(path, "must be a JSON array")
    return value


def decode_int(value: Any, path: str, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    """A 64-bit integer: a JSON number without a fraction, or a decimal string."""
    if isinstance(value, bool):
        raise OtlpError(path, "must be an integer, not true/false")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    else:
        raise OtlpError(path, f"must be an integer or a decimal string, got {value!r}")
    if not low <= number <= high:
        raise OtlpError(path, f"must be between {low} and {high}")
    return number


def decode_double(value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise OtlpError(path, "must be a number, not true/false")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if value in ("NaN", "Infinity", "-Infinity"):
            return float(value.replace("Infinity", "inf"))
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    raise OtlpError(path, f"must be a number, got {value!r}")


def decode_any_value(value: Any, path: str, depth: int = 0) -> AttributeValue:
    """One ``AnyValue``: exactly one of its kinds (none at all is an empty value: None)."""
    if depth > MAX_DEPTH:
        raise OtlpError(path, f"nested more than {MAX_DEPTH} levels deep")
    message = as_object(value, path)
    present = [kind for kind in VALUE_KINDS if get_field(message, kind) is not None]
    if not present:
        return None
    if len(present) > 1:
        raise OtlpError(path, f"must hold one value, not {' and '.join(present)}")
    kind = present[0]
    inner = get_field(message, kind)
    here = f"{path}/{kind}"
    if kind == "stringValue":
        if not isinstance(inner, str):
            raise OtlpError(here, "must be a string")
        return inner
    if kind == "boolValue":
        if not isinstance(inner, bool):
            raise OtlpError(here, "must be true or false")
        return inner
    if kind == "intValue":
        return decode_int(inner, here)
    if kind == "doubleValue":
        return decode_double(inner, here)
    if kind == "bytesValue":
        if not isinstance(inner, str):
            raise OtlpError(here, "must be a base64 string")
        try:
            return base64.b64decode(inner, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text b64decode refuses outright
            raise OtlpError(here, "must be a base64 string") from None
    values = as_list(get_field(as_object(inner, here), "values"), f"{here}/values")
    if kind == "arrayValue":
        return [
            decode_any_value(item, f"{here}/values/{index}", depth + 1)
            for index, item in enumerate(values)
        ]
    return decode_key_values(values, f"{here}/values", depth + 1)


def decode_key_values(items: Any, path: str, depth: int = 0) -> dict[str, AttributeValue]:
    """A list of ``KeyValue``; a repeated key keeps its first value (keys must be unique)."""
    decoded: dict[str, AttributeValue] = {}
    for index, item in enumerate(as_list(items, path)):
        pair = as_object(item, f"{path}/{index}")
        key = pair.get("key")
        if not isinstance(key, str) or not key:
            raise OtlpError(f"{path}/{index}/key", "must be a non-empty string")
        raw = pair.get("value")
        value = None if raw is None else decode_any_value(raw, f"{path}/{key}", depth)
        decoded.setdefault(key, value)
    return decoded


def decode_attributes(items: Any, path: str) -> dict[str, AttributeValue]:
    """A span's or resource's ``attributes``; errors name the attribute by its key."""
    return decode_key_values(items, path)


def unix_nanos(value: Any, path: str) -> datetime | None:
    """A ``fixed64`` time in nanoseconds since the epoch; absent or 0 means unset."""
    if value is None:
        return None
    nanos = decode_int(value, path, 0, UINT64_MAX)
    if nanos == 0:
        return None
    try:
        return _EPOCH + timedelta(microseconds=nanos // 1000)
    except OverflowError:
        raise OtlpError(path, "is after the year 9999") from None


def hex_id(value: Any, path: str, size: int) -> str:
    """A trace (16 bytes) or span (8 bytes) id: ``2 * size`` hex digits, not all zero."""
    if not isinstance(value, str) or len(value) != 2 * size or not _HEX.match(value):
        raise OtlpError(path, f"must be {2 * size} hex digits")
    if not value.strip("0"):
        raise OtlpError(path, "must not be all zeros")
    return value.lower()


def status_code(status: Any, path: str) -> tuple[int, str | None]:
    """A span ``status``: its code (0 unset, 1 ok, 2 error) and message."""
    if status is None:
        return 0, None
    message = as_object(status, path)
    raw = get_field(message, "code")
    if raw is None:
        code = 0
    elif isinstance(raw, str) and raw in STATUS_CODES:
        code = STATUS_CODES[raw]
    else:
        code = decode_int(raw, f"{path}/code", 0, 2)
    text = get_field(message, "message")
    if text is not None and not isinstance(text, str):
        raise OtlpError(f"{path}/message", "must be a string")
    return code, text or None
