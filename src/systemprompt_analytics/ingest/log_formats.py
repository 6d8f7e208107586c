"""Parsing access-log lines (pure): Apache/nginx combined and common formats, and JSON lines.

Combined: ``%h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`` (common stops after
``%b``). JSON lines: an object with ``timestamp`` (ISO 8601), ``ip``, ``method``, ``path``,
``status``, ``bytes``, ``referrer``, ``user_agent`` and, optionally, a session key field.
Every problem raises :class:`LogLineError` naming the field, so the importer can count and
report the line and carry on.

A line is also malformed when a value could not be stored as it stands: a status outside
100-599, a byte count that is not a whole number from 0 to 2**63-1, an address that is not an
IP address, text holding a NUL or a lone UTF-16 surrogate, or a time before
:data:`EARLIEST_TIMESTAMP` or more than :data:`FUTURE_TOLERANCE` after the time of the import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from systemprompt_analytics.ingest.attribution import is_host_name
from systemprompt_analytics.ingest.client_ip import normalise_ip

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
_METHOD = re.compile(r"[A-Z]{1,10}")
_INTEGER = re.compile(r"-?[0-9]+")
# PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MAX_BYTES = 2**63 - 1  # a BIGINT column
# Older lines are taken for a broken clock or a misread field, not for real traffic; newer
# ones than the tolerance (for clock skew between hosts) would make sessions end in the future.
EARLIEST_TIMESTAMP = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)


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


def _integer(field: str, value: Any) -> int:
    """A whole number from a JSON number or the digits of a log field (no bools, no 200.5)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():  # false for inf and nan
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        if len(value) > 30:  # far past any limit, and int() refuses over 4300 digits
            raise LogLineError(field, f"too large: {value[:30]}…")
        return int(value)
    raise LogLineError(field, f"not a whole number: {value!r}")


def _status(value: Any) -> int:
    status = _integer("status", value)
    if not 100 <= status <= 599:
        raise LogLineError("status", f"outside 100-599: {status}")
    return status


def _bytes(value: Any) -> int | None:
    if value in (None, "-", ""):
        return None
    size = _integer("bytes", value)
    if size < 0:
        raise LogLineError("bytes", f"negative: {size}")
    if size > MAX_BYTES:
        raise LogLineError("bytes", f"larger than {MAX_BYTES}: {size}")
    return size


def _storable(field: str, value: str) -> str:
    if _UNSTORABLE.search(value):
        raise LogLineError(field, "contains a NUL character or a lone surrogate")
    return value


def _ip(value: str | None, host_names: bool = False) -> str | None:
    """The address, normalised; a log's host name (``host_names``) is kept as no address — the
    request still happened — but anything else is a malformed line."""
    if value is None:
        return None
    address = normalise_ip(value)
    if address is None:
        # What Apache writes for %h with HostnameLookups on: a host name, not an address.
        if host_names and is_host_name(value.lower().removesuffix(".")):
            return None
        raise LogLineError("ip", f"not an IP address: {value[:80]!r}")
    return address


def _in_range(field: str, moment: datetime, now: datetime) -> datetime:
    if moment < EARLIEST_TIMESTAMP:
        raise LogLineError(field, f"before {EARLIEST_TIMESTAMP:%Y-%m-%d}: {moment.isoformat()}")
    if moment > now + FUTURE_TOLERANCE:
        raise LogLineError(
            field,
            f"more than a day in the future (now {now:%Y-%m-%dT%H:%M}Z): {moment.isoformat()}",
        )
    return moment


def _utc(field: str, moment: datetime, now: datetime) -> datetime:
    """``moment`` in UTC (no offset taken as UTC), if it lies in the accepted range."""
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # the offset moves it past year 1 or 9999
        raise LogLineError(field, f"out of range: {moment.isoformat()}") from None
    return _in_range(field, utc, now)


def _dash(value: str | None, field: str) -> str | None:
    if value is None or value in ("-", ""):
        return None
    return _storable(field, value.replace('\\"', '"'))


def _target(target: str) -> tuple[str, str]:
    """Path and query string of a request target (absolute URLs from proxies allowed)."""
    _storable("request", target)
    if not target or " " in target:
        raise LogLineError("request", f"bad request target {target!r}")
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    if not path.startswith("/") and path != "*":
        raise LogLineError("request", f"bad request target {target!r}")
    return path, query


def parse_clf_line(
    line: str, fmt: Literal["combined", "common"], now: datetime | None = None
) -> LogRecord:
    match = _PATTERNS[fmt].match(line)
    if match is None:
        raise LogLineError("line", f"does not match the {fmt} log format")
    try:
        moment = datetime.strptime(match["time"], _CLF_TIME)
    except ValueError:
        raise LogLineError("time", f"cannot read {match['time']!r}") from None
    timestamp = _utc("time", moment, now or datetime.now(UTC))
    request = match["request"].split(" ")
    if len(request) not in (2, 3) or not _METHOD.fullmatch(request[0]):
        raise LogLineError("request", f"not 'METHOD TARGET PROTOCOL': {match['request']!r}")
    path, query = _target(request[1])
    groups = match.groupdict()
    return LogRecord(
        timestamp=timestamp,
        ip=_ip(_dash(match["ip"], "ip"), host_names=True),
        method=request[0],
        path=path,
        query_string=query,
        status=_status(match["status"]),
        response_bytes=_bytes(match["bytes"]),
        referrer=_dash(groups.get("referrer"), "referrer"),
        user_agent=_dash(groups.get("agent"), "user_agent"),
    )


def _text(data: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise LogLineError(key, "missing")
        return None
    if not isinstance(value, str):
        raise LogLineError(key, f"must be a string, got {type(value).__name__}")
    return _storable(key, value)


def _session_key(data: dict[str, Any], field: str | None) -> str | None:
    value = data.get(field) if field else None
    if value is None or field is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise LogLineError(field, f"must be a string or a number, got {type(value).__name__}")
    return _storable(field, str(value))


def _json_object(line: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LogLineError("line", f"not valid JSON ({exc.msg})") from None
    except (ValueError, RecursionError):  # a number over 4300 digits; nesting past the stack
        raise LogLineError("line", "not valid JSON (too large or too deeply nested)") from None
    if not isinstance(data, dict):
        raise LogLineError("line", "not a JSON object")
    return data


def parse_json_line(
    line: str, session_field: str | None = None, now: datetime | None = None
) -> LogRecord:
    data = _json_object(line)
    raw_time = _text(data, "timestamp", required=True) or ""
    try:
        moment = datetime.fromisoformat(raw_time)
    except ValueError:
        raise LogLineError("timestamp", f"not ISO 8601: {raw_time!r}") from None
    timestamp = _utc("timestamp", moment, now or datetime.now(UTC))
    method = (_text(data, "method") or "GET").upper()
    if not _METHOD.fullmatch(method):
        raise LogLineError("method", f"not an HTTP method: {method!r}")
    path, query = _target(_text(data, "path", required=True) or "")
    return LogRecord(
        timestamp=timestamp,
        ip=_ip(_text(data, "ip")),
        method=method,
        path=path,
        query_string=query,
        status=_status(data.get("status")),
        response_bytes=_bytes(data.get("bytes")),
        referrer=_dash(_text(data, "referrer"), "referrer"),
        user_agent=_text(data, "user_agent"),
        session_key=_session_key(data, session_field),
    )


def parse_line(
    line: str, fmt: LogFormat, session_field: str | None = None, now: datetime | None = None
) -> LogRecord:
    """One log line as a record; ``now`` (default: the clock) bounds future timestamps."""
    line = line.rstrip("\r\n")
    if fmt == "jsonl":
        return parse_json_line(line, session_field, now)
    return parse_clf_line(line, fmt, now)
