"""Access-log parsing (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.ingest.log_formats import LogLineError, parse_line
from tests.logsynth import json_line

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
    ],
)
def test_malformed_combined_lines_name_the_field(line: str, field: str) -> None:
    with pytest.raises(LogLineError) as caught:
        parse_line(line, "combined")
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


@given(st.text(max_size=300), st.sampled_from(["combined", "common", "jsonl"]))
def test_any_line_parses_or_raises_a_named_error(line: str, fmt: str) -> None:
    try:
        record = parse_line(line, fmt)  # type: ignore[arg-type]
    except LogLineError as exc:
        assert exc.field
    else:
        assert record.timestamp.tzinfo is not None
        assert 100 <= record.status <= 599
