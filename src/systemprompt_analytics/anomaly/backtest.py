"""Backtesting a streaming detector on a CSV series: parse, score row by row, write.

Input: a header ``timestamp,value``, then one row per point, ISO 8601 timestamps (no offset
means UTC) in time order (equal timestamps allowed), finite numbers. Blank lines are skipped.
Anything else is refused naming the line. Output: ``timestamp,value,score,level`` where each
row's score was computed before the detector saw any later row.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from systemprompt_analytics.anomaly.levels import AnomalyLevel
from systemprompt_analytics.anomaly.registry import StreamingDetector
from systemprompt_analytics.errors import InvalidInputError

INPUT_HEADER = ("timestamp", "value")
OUTPUT_HEADER = ("timestamp", "value", "score", "level")


@dataclass(frozen=True, slots=True)
class Point:
    line: int
    timestamp_text: str
    timestamp: datetime
    value: float


@dataclass(frozen=True, slots=True)
class ScoredPoint:
    point: Point
    score: float
    level: AnomalyLevel

    def row(self) -> tuple[str, str, str, str]:
        return (
            self.point.timestamp_text,
            repr(self.point.value),
            f"{self.score:.6f}",
            self.level.value,
        )


def _error(source: str, line: int, problem: str) -> InvalidInputError:
    return InvalidInputError(f"{source} line {line}", problem)


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 date or date-time; ``Z`` and offsets allowed, none means UTC."""
    moment = datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_series(lines: Iterable[str], source: str = "--input") -> Iterator[Point]:
    """The points of a ``timestamp,value`` CSV, in order; raises on the first bad line."""
    rows = csv.reader(lines)
    header_seen = False
    previous: datetime | None = None
    for fields in _records(rows, source):
        line = rows.line_num
        if not fields or all(not field.strip() for field in fields):
            continue
        if not header_seen:
            names = tuple(field.strip().lstrip("\ufeff").lower() for field in fields)
            if names != INPUT_HEADER:
                raise _error(
                    source,
                    line,
                    f"expected the header 'timestamp,value', got {','.join(fields)!r}",
                )
            header_seen = True
            continue
        if len(fields) != 2:
            raise _error(source, line, f"expected 2 fields (timestamp,value), got {len(fields)}")
        stamp_text, value_text = fields[0].strip(), fields[1].strip()
        try:
            stamp = parse_timestamp(stamp_text)
        except (ValueError, OverflowError):
            raise _error(
                source, line, f"cannot read the timestamp {stamp_text!r} (ISO 8601 expected)"
            ) from None
        try:
            value = float(value_text)
        except ValueError:
            raise _error(
                source, line, f"cannot read the value {value_text!r} as a number"
            ) from None
        if not math.isfinite(value):
            raise _error(source, line, f"the value {value_text!r} is not a finite number")
        if previous is not None and stamp < previous:
            raise _error(
                source,
                line,
                f"rows are out of time order: {stamp_text} comes before the previous row's "
                f"{previous.isoformat()}",
            )
        previous = stamp
        yield Point(line, stamp_text, stamp, value)
    if not header_seen:
        raise _error(source, 1, "missing the header 'timestamp,value' (the file is empty)")


def _records(rows: Any, source: str) -> Iterator[list[str]]:
    """The CSV records, a malformed one (e.g. a stray NUL byte) refused naming its line."""
    while True:
        try:
            fields: list[str] = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _error(source, rows.line_num, f"not valid CSV: {exc}") from None
        yield fields


def backtest(points: Iterable[Point], detector: StreamingDetector) -> Iterator[ScoredPoint]:
    """Score each point in order with ``detector`` (which learns as it goes)."""
    for point in points:
        output = detector.update(point.timestamp.timestamp(), point.value)
        yield ScoredPoint(point, output.score, output.level)
