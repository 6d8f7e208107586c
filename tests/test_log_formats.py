"""Access-log parsing (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.ingest.log_formats import (
    EARLIEST_TIMESTAMP,
    FUTURE_TOLERANCE,
    MAX_BYTES,
    LogLineError,
    parse_line,
)
from tests.logsynth import json_line

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
COMBINED = (
    '203.0.113.5 - alice [27/Nov/2026:10:00:00 +0100] "GET /docs?utm_source=x HTTP/1.1" 200 512 '
    '"https://www.google.com/" "Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\" Firefox/144.0"'
)


def test_combined_line() -> None:
    record = parse_line(COMBINED, "combined")
    assert record.timestamp == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert (record.ip, record.method, record.path) == ("203.0.113.5", "GET", "/docs")
    assert record.query_string == "utm_source=x"
    assert (record.status, record.response_bytes) == (200, 512)
    assert record.referrer == "https://www.google.com/"
    assert record.user_agent == 'Mozilla/5.0 (X11; Linux x86_64) "quoted" Firefox/144.0'


def test_common_line_and_dashes() -> None:
    record = parse_line(
        '10.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "HEAD / HTTP/1.0" 304 -', "common"
    )
    assert record.method == "HEAD" and record.response_bytes is None
    assert record.user_agent is None and record.referrer is None


def test_absolute_target_from_a_proxy_log() -> None:
    line = COMBINED.replace("GET /docs?utm_source=x", "GET https://example.com/a/b?c=1")
    record = parse_line(line, "combined")
    assert (record.path, record.query_string) == ("/a/b", "c=1")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("nonsense", "line"),
        (COMBINED.replace("27/Nov/2026:10:00:00 +0100", "yesterday"), "time"),
        (COMBINED.replace('"GET /docs?utm_source=x HTTP/1.1"', '"\\x16\\x03\\x01"'), "request"),
        (COMBINED.replace(" 200 512 ", " 2x0 512 "), "status"),
        (COMBINED.replace(" 200 512 ", " 999 512 "), "status"),
        (COMBINED.replace(" 200 512 ", " 200 lots "), "bytes"),
        # values no database can store, and times outside what an import accepts
        (COMBINED.replace(" 200 512 ", " 200 1234567890123456789012345 "), "bytes"),
        (COMBINED.replace(" 200 512 ", " 200 9223372036854775808 "), "bytes"),
        (COMBINED.replace("27/Nov/2026:10:00:00 +0100", "01/Jan/0001:00:00:00 +0100"), "time"),
        (COMBINED.replace("27/Nov/2026:10:00:00 +0100", "31/Dec/9999:23:59:59 -0100"), "time"),
        (COMBINED.replace("27/Nov/2026:10:00:00 +0100", "01/Jan/2099:00:00:00 +0000"), "time"),
        (COMBINED.replace("27/Nov/2026:10:00:00 +0100", "31/Dec/1999:23:00:00 +0000"), "time"),
        (COMBINED.replace("203.0.113.5", "not_an_ip!"), "ip"),
        (COMBINED.replace("/docs?", "/do\x00cs?"), "request"),
        (COMBINED.replace("Firefox/144.0", "Firefox\x00"), "user_agent"),
        (COMBINED.replace("www.google.com", "www.\ud800.com"), "referrer"),
        (COMBINED.replace('"GET /docs', '"GET\n /docs'), "request"),  # method "GET\n"
    ],
)
def test_malformed_combined_lines_name_the_field(line: str, field: str) -> None:
    with pytest.raises(LogLineError) as caught:
        parse_line(line, "combined", now=NOW)
    assert caught.value.field == field


def test_json_lines() -> None:
    line = json_line(
        timestamp="2026-11-27T10:00:00Z",
        ip="203.0.113.5",
        method="post",
        path="/api/v1/x?y=1",
        status=201,
        bytes=10,
        referrer=None,
        user_agent="curl/8.0",
        sid="abc",
    )
    record = parse_line(line, "jsonl", session_field="sid")
    assert record.method == "POST" and record.path == "/api/v1/x" and record.session_key == "abc"
    assert record.timestamp == datetime(2026, 11, 27, 10, tzinfo=UTC)
    naive = parse_line(json_line(timestamp="2026-11-27T10:00:00", path="/", status=200), "jsonl")
    assert naive.timestamp.tzinfo is UTC


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"path": "/", "status": 200}, "timestamp"),
        ({"timestamp": "soon", "path": "/", "status": 200}, "timestamp"),
        ({"timestamp": "2026-11-27T10:00:00Z", "status": 200}, "path"),
        ({"timestamp": "2026-11-27T10:00:00Z", "path": "/", "status": "ok"}, "status"),
        ({"timestamp": "2026-11-27T10:00:00Z", "path": "/", "status": 200, "bytes": -1}, "bytes"),
        ({"timestamp": "2026-11-27T10:00:00Z", "path": "/", "status": 200, "ip": 5}, "ip"),
    ],
)
def test_malformed_json_lines_name_the_field(values: dict[str, object], field: str) -> None:
    with pytest.raises(LogLineError) as caught:
        parse_line(json_line(**values), "jsonl")
    assert caught.value.field == field
    with pytest.raises(LogLineError):
        parse_line("[1, 2]", "jsonl")


LINE = {"timestamp": "2026-11-27T10:00:00Z", "ip": "203.0.113.5", "path": "/", "status": 200}


def _jsonl(**changes: object) -> str:
    return json.dumps({**LINE, **changes})


@pytest.mark.parametrize(
    ("line", "field"),
    [
        # values the database cannot store (defect: written, then refused or crashed)
        (_jsonl(bytes=99999999999999999999999), "bytes"),
        (_jsonl(bytes=MAX_BYTES + 1), "bytes"),
        (_jsonl(path="/\ud800"), "path"),
        (_jsonl(path="/a\u0000b"), "path"),
        (_jsonl(user_agent="curl\u0000"), "user_agent"),
        (_jsonl(referrer="https://x/\udfff"), "referrer"),
        # non-finite, fractional and boolean numbers
        ('{"timestamp":"2026-11-27T10:00:00Z","path":"/","status":1e400}', "status"),
        ('{"timestamp":"2026-11-27T10:00:00Z","path":"/","status":200,"bytes":1e400}', "bytes"),
        ('{"timestamp":"2026-11-27T10:00:00Z","path":"/","status":NaN}', "status"),
        (_jsonl(status=200.9), "status"),
        (_jsonl(bytes=10.5), "bytes"),
        (_jsonl(status=True), "status"),
        (_jsonl(bytes=False), "bytes"),
        (_jsonl(status="２００"), "status"),  # full-width digits: int() reads them, we do not
        (_jsonl(status="2_00"), "status"),
        (_jsonl(status=99), "status"),
        (_jsonl(status=600), "status"),
        # timestamps: past the range of datetime once in UTC, too old, too far ahead
        (_jsonl(timestamp="0001-01-01T00:00:00+01:00"), "timestamp"),
        (_jsonl(timestamp="9999-12-31T23:59:59-01:00"), "timestamp"),
        (_jsonl(timestamp="9999-12-31T23:59:59Z"), "timestamp"),
        (_jsonl(timestamp="0001-01-01T00:00:00Z"), "timestamp"),
        (_jsonl(timestamp="1999-12-31T23:59:59Z"), "timestamp"),
        (_jsonl(timestamp="2099-01-01T00:00:00Z"), "timestamp"),
        (_jsonl(timestamp="2026-11-29T12:00:01Z"), "timestamp"),
        # addresses
        (_jsonl(ip="not-an-ip"), "ip"),
        (_jsonl(ip="1.2.3.999"), "ip"),
        # a number too long to read, and nesting too deep to read
        ('{"timestamp":"2026-11-27T10:00:00Z","path":"/","status":' + "1" * 5000 + "}", "line"),
        ("[" * 100_000, "line"),
    ],
)
def test_unstorable_json_values_are_malformed_naming_the_field(line: str, field: str) -> None:
    with pytest.raises(LogLineError) as caught:
        parse_line(line, "jsonl", now=NOW)
    assert caught.value.field == field


@pytest.mark.parametrize("value", [{"a": 1}, [1], True])
def test_a_session_field_that_is_not_a_string_or_number_is_malformed(value: object) -> None:
    with pytest.raises(LogLineError) as caught:
        parse_line(_jsonl(sid=value), "jsonl", session_field="sid", now=NOW)
    assert caught.value.field == "sid"
    assert parse_line(_jsonl(sid=7), "jsonl", "sid", NOW).session_key == "7"


def test_whole_floats_numeric_strings_and_the_edges_of_the_range_are_accepted() -> None:
    record = parse_line(_jsonl(status=200.0, bytes="12"), "jsonl", now=NOW)
    assert (record.status, record.response_bytes) == (200, 12)
    assert parse_line(_jsonl(bytes=MAX_BYTES), "jsonl", now=NOW).response_bytes == MAX_BYTES
    oldest = parse_line(_jsonl(timestamp=EARLIEST_TIMESTAMP.isoformat()), "jsonl", now=NOW)
    assert oldest.timestamp == EARLIEST_TIMESTAMP
    newest = NOW + FUTURE_TOLERANCE
    assert parse_line(_jsonl(timestamp=newest.isoformat()), "jsonl", now=NOW).timestamp == newest
    assert parse_line(_jsonl(ip="[::ffff:1.2.3.4]:80"), "jsonl", now=NOW).ip == "1.2.3.4"


def _within_bounds(record_time: datetime) -> bool:
    return EARLIEST_TIMESTAMP <= record_time <= NOW + FUTURE_TOLERANCE


def _storable(text: str | None) -> bool:
    return text is None or not any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in text)


@given(st.text(max_size=300), st.sampled_from(["combined", "common", "jsonl"]))
def test_any_line_parses_or_raises_a_named_error(line: str, fmt: str) -> None:
    try:
        record = parse_line(line, fmt, now=NOW)  # type: ignore[arg-type]
    except LogLineError as exc:
        assert exc.field
    else:
        assert record.timestamp.tzinfo is not None
        assert 100 <= record.status <= 599


_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
)


@given(
    status=_JSON_VALUES,
    size=_JSON_VALUES,
    text=st.text(max_size=40),
    moment=st.datetimes(timezones=st.timezones()),
)
def test_every_accepted_json_line_can_be_stored(
    status: object, size: object, text: str, moment: datetime
) -> None:
    line = json.dumps(
        {
            "timestamp": moment.isoformat(),
            "ip": "203.0.113.5",
            "path": "/" + text,
            "status": status,
            "bytes": size,
            "user_agent": text,
            "referrer": text,
            "sid": text,
        }
    )
    try:
        record = parse_line(line, "jsonl", session_field="sid", now=NOW)
    except LogLineError as exc:
        assert exc.field in {
            "timestamp",
            "path",
            "status",
            "bytes",
            "user_agent",
            "referrer",
            "sid",
        }
        return
    assert type(record.status) is int and 100 <= record.status <= 599
    assert record.response_bytes is None or (
        type(record.response_bytes) is int and 0 <= record.response_bytes <= MAX_BYTES
    )
    assert _within_bounds(record.timestamp)
    for value in (record.path, record.query_string, record.user_agent, record.referrer):
        assert _storable(value)
        if value:
            value.encode("utf-8")  # a lone surrogate would raise here


@given(
    # From year 1000: strftime writes earlier years with fewer digits than %Y reads back.
    moment=st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.timezones()),
    size=st.integers(min_value=0, max_value=10**30),
)
def test_every_accepted_combined_line_has_a_storable_time_and_size(
    moment: datetime, size: int
) -> None:
    stamp = moment.strftime("%d/%b/%Y:%H:%M:%S %z")
    line = COMBINED.replace("27/Nov/2026:10:00:00 +0100", stamp).replace(" 512 ", f" {size} ")
    try:
        record = parse_line(line, "combined", now=NOW)
    except LogLineError as exc:
        assert exc.field in {"time", "bytes"}
        return
    assert _within_bounds(record.timestamp)
    assert record.response_bytes is not None and 0 <= record.response_bytes <= MAX_BYTES


def test_a_line_dated_within_the_tolerance_is_kept_and_one_beyond_it_is_not() -> None:
    ahead = NOW + FUTURE_TOLERANCE
    assert parse_line(_jsonl(timestamp=ahead.isoformat()), "jsonl", now=NOW)
    with pytest.raises(LogLineError, match="future"):
        later = (ahead + timedelta(seconds=1)).isoformat()
        parse_line(_jsonl(timestamp=later), "jsonl", now=NOW)


def test_a_host_name_in_a_combined_log_is_kept_as_no_address() -> None:
    """Apache with HostnameLookups on writes a host name for %h: the request still happened."""
    line = parse_line(
        COMBINED.replace("203.0.113.5", "crawl-66-249-66-1.googlebot.com"), "combined"
    )
    assert line.ip is None and line.path == parse_line(COMBINED, "combined").path
