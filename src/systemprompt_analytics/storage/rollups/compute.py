"""Computing rollup buckets from raw rows: hours from the raw table, days from their hours.

An hour is replaced whole (its rows deleted, then recomputed by one grouped query), so
recomputing is idempotent and a bucket always equals its raw rows as of the computing
transaction. A day is the merge of its 24 hourly buckets (sums add, minima and maxima
compare, value lists merge), read back from the hourly table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Connection, Float, and_, delete, func, select

from systemprompt_analytics.storage.bulk import bulk_append
from systemprompt_analytics.storage.dialect import bucket_start, time_bucket
from systemprompt_analytics.storage.rollups.specs import Measure, RollupSpec, Tier
from systemprompt_analytics.storage.rollups.state import DAY
from systemprompt_analytics.storage.rollups.values import key_of, merge, merge_keys, pack, pack_keys

Row = dict[str, Any]
INSERT_CHUNK = 2_000


def _key_of(row: Mapping[str, Any], names: Sequence[str]) -> tuple[Any, ...]:
    return tuple(row[name] for name in names)


@cache
def _converters(spec: RollupSpec) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """How to turn each measure into a plain number (PostgreSQL sums come as decimals)."""
    found: list[tuple[str, Callable[[Any], Any]]] = []
    for measure in spec.measures:
        column_type = spec.hourly.c[measure.name].type
        if isinstance(column_type, BigInteger):
            found.append((measure.name, int))
        elif isinstance(column_type, Float):
            found.append((measure.name, float))
    return tuple(found)


def _clean(spec: RollupSpec, row: Row) -> Row:
    for name, convert in _converters(spec):
        value = row[name]
        if value is not None:
            row[name] = convert(value)
    return row


def _aggregate(spec: RollupSpec, measure: Measure, column: Any) -> Any:
    if measure.merge == "min":
        return func.min(column)
    if measure.merge == "max":
        return func.max(column)
    if spec.hourly.c[measure.name].nullable:
        return func.sum(column)  # NULL when every row is NULL (e.g. no priced request)
    return func.coalesce(func.sum(column), 0)


def _in_range(spec: RollupSpec, start: datetime, end: datetime) -> list[Any]:
    conditions = [spec.time >= start, spec.time < end]
    if spec.where is not None:
        conditions.append(spec.where)
    return conditions


def hourly_rows(conn: Connection, spec: RollupSpec, start: datetime, end: datetime) -> list[Row]:
    """The hourly buckets of ``[start, end)`` (whole hours) computed from raw rows."""
    keys = list(spec.keys)
    bucket = time_bucket(conn.dialect.name, spec.time, "hour").label("bucket_at")
    per_row = (
        select(
            bucket,
            *(expression.label(name) for name, expression in spec.keys.items()),
            *(measure.expression.label(measure.name) for measure in spec.measures),
        )
        .select_from(spec.source)
        .where(*_in_range(spec, start, end))
        .subquery()
    )
    groups = [per_row.c.bucket_at, *(per_row.c[name] for name in keys)]
    rows: dict[tuple[Any, ...], Row] = {}
    if spec.measures:
        grouped = select(
            *groups,
            *(
                _aggregate(spec, measure, per_row.c[measure.name]).label(measure.name)
                for measure in spec.measures
            ),
        ).group_by(*groups)
        for found in conn.execute(grouped):
            row = dict(found._mapping)
            row["bucket_at"] = bucket_start(row["bucket_at"])
            rows[_key_of(row, ["bucket_at", *keys])] = _clean(spec, row)
    if spec.collected:
        _add_value_lists(conn, spec, start, end, rows)
    return list(rows.values())


def _add_value_lists(
    conn: Connection,
    spec: RollupSpec,
    start: datetime,
    end: datetime,
    rows: dict[tuple[Any, ...], Row],
) -> None:
    """Each bucket's sorted values of every value column and distinct keys of every key-set
    column (a bucket of such rollups exists when it has raw rows, even if all their values
    are NULL)."""
    keys = list(spec.keys)
    collected_columns = spec.collected
    bucket = time_bucket(conn.dialect.name, spec.time, "hour").label("bucket_at")
    statement = select(
        bucket,
        *(expression.label(name) for name, expression in spec.keys.items()),
        *(column.label(name) for name, column in collected_columns.items()),
    ).where(*_in_range(spec, start, end))
    collected: dict[tuple[Any, ...], dict[str, list[int]]] = {}
    heads: dict[tuple[Any, ...], Row] = {}
    # Once per raw row of the hour (millions in a rebuild): positions instead of the row's
    # mapping, and each distinct bucket value normalised once.
    ends_keys = 1 + len(keys)
    positions = {name: ends_keys + index for index, name in enumerate(collected_columns)}
    value_slots = [(positions[name], name) for name in spec.values]
    set_slots = [(positions[name], name) for name in spec.sets]
    buckets: dict[Any, datetime] = {}
    for found in conn.execute(statement.select_from(spec.source)):
        at = buckets.get(found[0])
        if at is None:
            at = buckets[found[0]] = bucket_start(found[0])
        key = (at, *found[1:ends_keys])
        lists = collected.get(key)
        if lists is None:
            lists = collected[key] = {name: [] for name in collected_columns}
            heads[key] = {"bucket_at": at, **dict(zip(keys, found[1:ends_keys], strict=True))}
        for position, name in value_slots:
            value = found[position]
            if value is not None:
                lists[name].append(int(value))
        for position, name in set_slots:
            value = found[position]
            if value is not None:
                lists[name].append(key_of(value))
    for key, lists in collected.items():
        found_bucket = rows.setdefault(key, heads[key])
        for name, values in lists.items():
            if not values:
                found_bucket[name] = None
            else:
                found_bucket[name] = (
                    pack_keys(values)
                    if name in spec.sets
                    else pack(values, spec.value_typecode(name))
                )


def merge_rows(spec: RollupSpec, rows: Iterable[Row], bucket: datetime) -> list[Row]:
    """Buckets merged into one bucket starting at ``bucket``, per group key."""
    keys = list(spec.keys)
    merged: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        key = _key_of(row, keys)
        into = merged.get(key)
        if into is None:
            merged[key] = {"bucket_at": bucket, **{name: row[name] for name in keys}}
            into = merged[key]
            for measure in spec.measures:
                into[measure.name] = row[measure.name]
            for name in spec.collected:
                into[name] = [row[name]]
            continue
        for measure in spec.measures:
            into[measure.name] = _combine(measure, into[measure.name], row[measure.name])
        for name in spec.collected:
            into[name].append(row[name])
    for into in merged.values():
        for name in spec.collected:
            parts = [blob for blob in into[name] if blob]
            if not parts:
                into[name] = None
            else:
                into[name] = (
                    merge_keys(parts)
                    if name in spec.sets
                    else merge(parts, spec.value_typecode(name))
                )
    return list(merged.values())


def _combine(measure: Measure, left: Any, right: Any) -> Any:
    if left is None:
        return right
    if right is None:
        return left
    if measure.merge == "min":
        return min(left, right)
    if measure.merge == "max":
        return max(left, right)
    return left + right


def _insert(conn: Connection, spec: RollupSpec, tier: Tier, rows: Sequence[Row]) -> None:
    """COPY (PostgreSQL) or executemany; tables with value lists (bytes, which the COPY text
    builder does not encode) by plain INSERTs."""
    table = spec.table(tier)
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = list(rows[start : start + INSERT_CHUNK])
        if spec.collected:
            conn.execute(table.insert(), chunk)
        else:
            bulk_append(conn, table, chunk)


def recompute_hours(conn: Connection, spec: RollupSpec, start: datetime, end: datetime) -> int:
    """Replace the hourly buckets of ``[start, end)`` (whole hours); rows written."""
    table = spec.hourly
    conn.execute(delete(table).where(table.c.bucket_at >= start, table.c.bucket_at < end))
    rows = hourly_rows(conn, spec, start, end)
    _insert(conn, spec, "hourly", rows)
    return len(rows)


def recompute_day(conn: Connection, spec: RollupSpec, day: datetime) -> int:
    """Replace the daily buckets of ``day`` with the merge of its hourly buckets."""
    hourly, daily = spec.hourly, spec.daily
    conn.execute(delete(daily).where(daily.c.bucket_at == day))
    # In hour order, so a day's float sums come out the same however its hours were written.
    found = conn.execute(
        select(hourly)
        .where(and_(hourly.c.bucket_at >= day, hourly.c.bucket_at < day + DAY))
        .order_by(hourly.c.bucket_at)
    )
    rows = merge_rows(spec, (dict(row._mapping) for row in found), day)
    _insert(conn, spec, "daily", [_clean(spec, row) for row in rows])
    return len(rows)
