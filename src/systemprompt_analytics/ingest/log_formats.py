"""Parsing access-log lines (pure): Apache/nginx combined and common formats, and JSON lines.

Combined: ``%h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`` (common stops after
``%b``). JSON lines: an object with ``timestamp`` (ISO 8601), ``ip``, ``method``, ``path``,
``status``, ``bytes``, ``referrer``, ``user_agent`` and, optionally, a session key field.
Every problem raises :class:`LogLineError` naming the field, so the importer can count and
report the line and carry on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

LogFormat = Literal["combined", "common", "jsonl"]
LOG_FORMATS: tuple[LogFormat, ...] = ("combined", "common", "jsonl")

_COMMON = (
    r'(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" '
    r"(?P<status>\S+) (?P<bytes>\S+)"
)
_COMBINED = _COMMON + r' "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)"'
_PATTERNS = {
    "common": re.compile(_COMMON + r"\s*$"),
    "combined": re.compile(_COMBINED + r".*$"),
}
_CLF_TIME = "%d/%b/%Y:%H:%M:%S %z"
_METHOD = re.compile(r"^[A-Z]{1,10}$")


class LogLineError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True, slots=True)
class LogRecord:
    timestamp: datetime
    ip: str | None
    method: str
    path: str
    query_string: str
    status: int
    response_bytes: int | None
    referrer: str | None
    user_agent: str | None
    session_key: str | None = None


def _status(value: Any) -> int:
    try:
        status = int(value)
    except (TypeError, ValueError):
        raise LogLineError("status", f"not a number: {value!r}") from None
    if not 100 <= status <= 599:
        raise LogLineError("status", f"outside 100-599: {status}")
    return status


def _bytes(value: Any) -> int | None:
    if value in (None, "-", ""):
        return None
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise LogLineError("bytes", f"not a number: {value!r}") from None
    if size < 0:
        raise LogLineError("bytes", f"negative: {size}")
    return size


def _dash(value: str | None) -> str | None:
    if value is None or value in ("-", ""):
        return None
    return value.replace('\\"', '"')


def _target(target: str) -> tuple[str, str]:
    """Path and query string of a request target (absolute URLs from proxies allowed)."""
    if not target or " " in target:
        raise LogLineError("request", f"bad request target {target!r}")
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    if not path.startswith("/") and path != "*":
        raise LogLineError("request", f"bad request target {target!r}")
    return path, query


def parse_clf_line(line: str, fmt: Literal["combined", "common"]) -> LogRecord:
    match = _PATTERNS[fmt].match(line)
    if match is None:
        raise LogLineError("line", f"does not match the {fmt} log format")
    try:
        timestamp = datetime.strptime(match["time"], _CLF_TIME).astimezone(UTC)
    except ValueError:
        raise LogLineError("time", f"cannot read {match['time']!r}") from None
    request = match["request"].split(" ")
    if len(request) not in (2, 3) or not _METHOD.match(request[0]):
        raise LogLineError("request", f"not 'METHOD TARGET PROTOCOL': {match['request']!r}")
    path, query = _target(request[1])
    groups = match.groupdict()
    return LogRecord(
        timestamp=timestamp,
        ip=_dash(match["ip"]),
        method=request[0],
        path=path,
        query_string=query,
        status=_status(match["status"]),
        response_bytes=_bytes(match["bytes"]),
        referrer=_dash(groups.get("referrer")),
        user_agent=_dash(groups.get("agent")),
    )


def _text(data: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise LogLineError(key, "missing")
        return None
    if not isinstance(value, str):
        raise LogLineError(key, f"must be a string, got {type(value).__name__}")
    return value


def parse_json_line(line: str, session_field: str | None = None) -> LogRecord:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LogLineError("line", f"not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise LogLineError("line", "not a JSON object")
    raw_time = _text(data, "timestamp", required=True) or ""
    try:
        timestamp = datetime.fromisoformat(raw_time)
    except ValueError:
        raise LogLineError("timestamp", f"not ISO 8601: {raw_time!r}") from None
    timestamp = (
        timestamp.replace(tzinfo=UTC) if timestamp.tzinfo is None else timestamp.astimezone(UTC)
    )
    method = (_text(data, "method") or "GET").upper()
    if not _METHOD.match(method):
        raise LogLineError("method", f"not an HTTP method: {method!r}")
    path, query = _target(_text(data, "path", required=True) or "")
    session_key = None
    if session_field:
        value = data.get(session_field)
        session_key = None if value is None else str(value)
    return LogRecord(
        timestamp=timestamp,
        ip=_text(data, "ip"),
        method=method,
        path=path,
        query_string=query,
        status=_status(data.get("status")),
        response_bytes=_bytes(data.get("bytes")),
        referrer=_dash(_text(data, "referrer")),
        user_agent=_text(data, "user_agent"),
        session_key=session_key,
    )


def parse_line(line: str, fmt: LogFormat, session_field: str | None = None) -> LogRecord:
    line = line.rstrip("\r\n")
    if fmt == "jsonl":
        return parse_json_line(line, session_field)
    return parse_clf_line(line, fmt)
