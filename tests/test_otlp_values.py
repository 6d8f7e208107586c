"""Property tests for the OTLP JSON value decoder: round trips, and junk never escapes as
anything but an OtlpError that names where it is."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from systemprompt_analytics.platform.otlp import map_traces
from systemprompt_analytics.platform.otlp_values import (
    INT64_MAX,
    INT64_MIN,
    OtlpError,
    decode_any_value,
    decode_attributes,
    hex_id,
    status_code,
    unix_nanos,
)

int64 = st.integers(INT64_MIN, INT64_MAX)
scalars = st.one_of(
    st.text(),
    st.booleans(),
    int64,
    st.floats(allow_nan=False, allow_infinity=False),
    st.binary(max_size=32),
)
attribute_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(min_size=1), inner, max_size=4)
    ),
    max_leaves=12,
)


def encode(value: Any, draw_string_ints: bool) -> dict[str, Any]:
    """An attribute value in OTLP's JSON encoding."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value) if draw_string_ints else value}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [encode(item, draw_string_ints) for item in value]}}
    return {
        "kvlistValue": {
            "values": [
                {"key": key, "value": encode(item, draw_string_ints)} for key, item in value.items()
            ]
        }
    }


@given(attribute_values, st.booleans())
def test_any_value_round_trips(value: Any, string_ints: bool) -> None:
    encoded = json.loads(json.dumps(encode(value, string_ints)))  # as it arrives over HTTP
    assert decode_any_value(encoded, "/v") == value


@given(st.dictionaries(st.text(min_size=1), attribute_values, max_size=6))
def test_attributes_round_trip(values: dict[str, Any]) -> None:
    items = [{"key": key, "value": encode(value, True)} for key, value in values.items()]
    assert decode_attributes(items, "/attributes") == values


json_junk = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                ["key", "value", "stringValue", "intValue", "doubleValue", "boolValue",
                 "arrayValue", "kvlistValue", "bytesValue", "values", "x"]
            ),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=10,
)  # fmt: skip


@given(json_junk)
@example({"bytesValue": "\x80"})  # found by CI: non-ASCII text escaped as ValueError
def test_junk_values_are_decoded_or_refused_with_a_path(junk: Any) -> None:
    try:
        decode_any_value(junk, "/v")
    except OtlpError as exc:
        assert exc.path.startswith("/v")
        assert exc.problem


@given(json_junk)
def test_junk_attribute_lists_are_decoded_or_refused_with_a_path(junk: Any) -> None:
    try:
        decode_attributes(junk, "/a")
    except OtlpError as exc:
        assert exc.path.startswith("/a")


@given(json_junk)
def test_junk_payloads_never_raise(junk: Any) -> None:
    batch = map_traces(junk)
    for rejection in batch.rejected:
        assert rejection.path == "" or rejection.path.startswith("/resourceSpans")
    assert batch.ai_requests == [] and batch.tool_executions == []


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2500, 1, 1), timezones=st.just(UTC)
    )
)
def test_unix_nanos_round_trip_to_the_microsecond(moment: datetime) -> None:
    micros = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert unix_nanos(str(micros * 1000 + 999), "/t") == moment


@given(st.one_of(st.integers(), st.text(max_size=25), st.floats(), st.booleans(), st.none()))
def test_unix_nanos_never_raise_anything_else(value: Any) -> None:
    try:
        result = unix_nanos(value, "/t")
    except OtlpError as exc:
        assert exc.path == "/t"
    else:
        assert result is None or result.tzinfo is UTC


@given(st.text(max_size=40))
def test_hex_ids_are_exactly_hex_digits(value: str) -> None:
    try:
        decoded = hex_id(value, "/spanId", 8)
    except OtlpError:
        return
    assert len(decoded) == 16 and int(decoded, 16) > 0


@given(json_junk)
def test_status_is_decoded_or_refused(status: Any) -> None:
    try:
        code, message = status_code(status, "/status")
    except OtlpError as exc:
        assert exc.path.startswith("/status")
    else:
        assert code in (0, 1, 2)
        assert message is None or isinstance(message, str)


def test_status_codes_by_name_and_number() -> None:
    assert status_code({"code": "STATUS_CODE_ERROR", "message": "boom"}, "") == (2, "boom")
    assert status_code({"code": 1}, "") == (1, None)
    assert status_code({}, "") == (0, None)
    assert status_code(None, "") == (0, None)
