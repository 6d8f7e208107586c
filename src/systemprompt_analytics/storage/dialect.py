"""Everything that differs between SQLite and PostgreSQL, in one place.

Reports and repositories build their SQL from these helpers and never test the dialect
themselves: time buckets (hour/day/week/month, UTC, weeks start on Monday as in ISO 8601),
percentiles (``percentile_cont`` semantics on both), upserts and JSON field access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    String,
    Table,
    case,
    cast,
    func,
    literal,
    literal_column,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

Granularity = Literal["hour", "day", "week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("hour", "day", "week", "month")

_SQLITE_BUCKET_FORMATS = {
    "hour": "%Y-%m-%d %H:00:00",
    "day": "%Y-%m-%d 00:00:00",
    "month": "%Y-%m-01 00:00:00",
}


def time_bucket(dialect_name: str, column: Any, granularity: Granularity) -> ColumnElement[Any]:
    """The start of the UTC bucket that ``column`` falls in.

    The SQL type differs (text on SQLite, timestamp on PostgreSQL); pass results through
    :func:`bucket_start` to get an aware UTC datetime either way.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")
    if dialect_name == "postgresql":
        return func.date_trunc(literal_column(f"'{granularity}'"), func.timezone("UTC", column))
    if granularity == "week":
        # 'weekday 0' moves forward to Sunday (or stays on one); 6 days back is the Monday.
        return func.strftime("%Y-%m-%d 00:00:00", func.date(column, "weekday 0", "-6 days"))
    return func.strftime(_SQLITE_BUCKET_FORMATS[granularity], column)


def bucket_start(value: Any) -> datetime:
    """Normalise a bucket value read back from either database to an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a bucket value: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def percentile(dialect_name: str, column: Any, fraction: float) -> ColumnElement[Any]:
    """Aggregate: the ``fraction`` percentile of ``column`` with linear interpolation."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be within [0, 1]")
    if dialect_name == "postgresql":
        return func.percentile_cont(literal(fraction)).within_group(cast(column, Float))
    return func.sp_percentile(column, fraction)


def insert(dialect_name: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """A dialect INSERT that supports ``on_conflict_do_*`` and ``.excluded``."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    dialect_name: str,
    table: Table,
    key_columns: Sequence[str],
    update: Mapping[str, Any] | None = None,
) -> Insert:
    """INSERT ... ON CONFLICT (key) DO UPDATE/NOTHING, the same on both databases.

    ``update`` maps columns to expressions, which may use ``excluded.<column>`` via
    :func:`excluded`; ``None`` means DO NOTHING.
    """
    statement = insert(dialect_name, table)
    if not update:
        return statement.on_conflict_do_nothing(index_elements=list(key_columns))
    return statement.on_conflict_do_update(index_elements=list(key_columns), set_=dict(update))


def excluded(table: Table, column: str) -> ColumnElement[Any]:
    """``excluded.<column>``: the value the conflicting INSERT proposed."""
    return literal_column(f"excluded.{table.c[column].name}")


def json_text(dialect_name: str, column: Any, key: str) -> ColumnElement[Any]:
    """The text value of top-level ``key`` in a JSON column (NULL when absent)."""
    if not key.replace("_", "").isalnum():
        raise ValueError(f"JSON key must be alphanumeric/underscore, got {key!r}")
    if dialect_name == "postgresql":
        extracted: ColumnElement[Any] = column.op("->>")(literal_column(f"'{key}'"))
        return extracted
    return func.json_extract(column, f"$.{key}")


def greatest(dialect_name: str, left: Any, right: Any) -> ColumnElement[Any]:
    """The larger of two values (``GREATEST`` on PostgreSQL, scalar ``MAX`` on SQLite)."""
    if dialect_name == "postgresql":
        return func.greatest(left, right)
    return func.max(left, right)


def least(dialect_name: str, left: Any, right: Any) -> ColumnElement[Any]:
    """The smaller of two values (``LEAST`` on PostgreSQL, scalar ``MIN`` on SQLite)."""
    if dialect_name == "postgresql":
        return func.least(left, right)
    return func.min(left, right)


def seconds_between(dialect_name: str, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in (fractional) seconds."""
    if dialect_name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86_400.0


def json_time_gap_us(dialect_name: str, column: Any, first: Any, second: Any) -> ColumnElement[Any]:
    """Whole microseconds from the ISO-8601 UTC timestamp at index ``first`` of the JSON
    array ``column`` to the one at index ``second`` (SQL integer expressions), exactly."""
    if dialect_name == "postgresql":

        def moment(index: Any) -> ColumnElement[Any]:
            text = column.op("->>")(cast(index, Integer))
            return cast(text, TIMESTAMP(timezone=True))

        return cast(func.extract("epoch", moment(second) - moment(first)) * 1_000_000, BigInteger)

    def micros(index: Any) -> ColumnElement[Any]:
        # Python's isoformat: "YYYY-MM-DDTHH:MM:SS" then ".ffffff" unless 0, then "+00:00".
        text = func.json_extract(column, literal("$[") + cast(index, String) + literal("]"))
        # Whole seconds of the text without its fraction: SQLite would round that to ms.
        seconds = cast(func.strftime("%s", func.substr(text, 1, 19)), BigInteger)
        fraction = case(
            (func.substr(text, 20, 1) == ".", cast(func.substr(text, 21, 6), BigInteger)),
            else_=0,
        )
        return seconds * 1_000_000 + fraction

    return cast(micros(second) - micros(first), BigInteger)
