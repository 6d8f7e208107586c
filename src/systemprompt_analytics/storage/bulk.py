"""Bulk loading: PostgreSQL ``COPY`` (text format, formatted here) and SQLite ``executemany``.

Formatting the COPY payload in Python and sending it in one ``write`` is several times faster
than psycopg's per-row ``write_row`` for the narrow rows of our event tables.
"""

from __future__ import annotations

import json
import operator
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Table
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from systemprompt_analytics.storage.types import UTCDateTime

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""})
NULL = "\\N"

PayloadBuilder = Callable[[Sequence[Mapping[str, Any]]], str]


def _utc_text(value: datetime) -> str:
    """A timestamp in COPY text; naive values are refused like :class:`UTCDateTime` does."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"naive or non-datetime timestamp {value!r}")
    return value.astimezone(UTC).isoformat()


def _json_text(value: Any) -> str:
    return json.dumps(value, default=str).translate(_ESCAPES)


def _field(column_type: Any, key: str) -> str:
    """The f-string expression that renders one column of row ``r`` as COPY text."""
    value = f"(x := r[{key!r}])"
    if isinstance(column_type, UTCDateTime):
        rendered = "(x.isoformat() if x.tzinfo is UTC else utc_text(x))"
    elif isinstance(column_type, Boolean):
        rendered = "('t' if x else 'f')"
    elif isinstance(column_type, JSON):
        rendered = "json_text(x)"
    elif _python_type(column_type) in (int, float):
        rendered = "x"
    else:
        # Text that needs no escape (nearly all of it) skips translate(), which costs ~6× more
        # than the check; only non-printable characters and the backslash are escaped.
        rendered = (
            "(x if type(x) is str and x.isprintable() and BACKSLASH not in x"
            " else str(x).translate(ESCAPES))"
        )
    return f"{{NULL if {value} is None else {rendered}}}"


def _python_type(column_type: Any) -> type | None:
    try:
        return column_type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


@cache
def _builder(table: Table, columns: tuple[str, ...]) -> PayloadBuilder:
    """A function that renders rows of ``columns`` as COPY text, generated once per shape.

    Generating one f-string per row shape (as dataclasses generate ``__init__``) renders a
    row several times faster than calling a formatter per value.
    """
    line = "\\t".join(_field(table.c[name].type, name) for name in columns)
    source = f'def build(rows):\n    return "".join([f"{line}\\n" for r in rows])\n'
    namespace: dict[str, Any] = {
        "NULL": NULL,
        "UTC": UTC,
        "ESCAPES": _ESCAPES,
        "BACKSLASH": "\\",
        "utc_text": _utc_text,
        "json_text": _json_text,
    }
    exec(compile(source, f"<copy builder for {table.name}>", "exec"), namespace)  # noqa: S102
    return namespace["build"]  # type: ignore[no-any-return]


def copy_payload(table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows as PostgreSQL COPY text: tab-separated, ``\\N`` for NULL, escapes applied."""
    return _builder(table, tuple(columns))(rows)


def copy_rows(
    connection: Connection, table_name: str, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """COPY ``rows`` (shaped like ``table``) into ``table_name`` on PostgreSQL."""
    columns = list(rows[0].keys())
    column_list = ", ".join(f'"{table.c[name].name}"' for name in columns)
    raw = connection.connection.driver_connection
    if raw is None:
        raise RuntimeError("COPY needs a live psycopg connection")
    statement = f'COPY "{table_name}" ({column_list}) FROM STDIN'
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(copy_payload(table, columns, rows))


def _sqlite_timestamp(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DateTime stores: UTC wall time, always with microseconds."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # the common case: format without converting (26 = no offset)
        return value.isoformat(" ", "microseconds")[:26]
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC datetime")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    # Booleans need none: sqlite3 stores True/False as 1/0, as SQLAlchemy does.
    if isinstance(column_type, UTCDateTime):
        return _sqlite_timestamp
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value, default=str)
    return None


def sqlite_executemany(
    connection: Connection, statement: Any, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` on SQLite with multi-row INSERTs (a single-row INSERT statement, such as
    an upsert, is rewritten to take up to :data:`SQLITE_ROWS_PER_STATEMENT` rows at once),
    converting values ourselves; other statements go through ``executemany``.

    The statement is compiled once by SQLAlchemy (so the SQL is the same as through the ORM
    layer); only the per-row parameter processing is done here, in the same formats as
    SQLAlchemy's SQLite types (see :class:`UTCDateTime`), several times faster.
    """
    sql, order, conversions = _sqlite_plan(statement, connection.dialect, tuple(rows[0]), table)
    values = operator.itemgetter(*order)
    if len(order) == 1:  # itemgetter of one key returns the value, not a tuple
        parameters: list[Any] = [(row[order[0]],) for row in rows]
    else:
        parameters = [values(row) for row in rows]
    if conversions:
        for position, row_values in enumerate(parameters):
            converted = list(row_values)
            for index, convert in conversions:
                converted[index] = convert(converted[index])
            parameters[position] = tuple(converted)
    width = len(order)
    if len(parameters) == 1 or not _has_one_values_group(sql, width):
        connection.exec_driver_sql(sql, parameters)
        return
    # sqlite3 releases the GIL around every row executemany steps through: with a request
    # thread busy, each release is a thread switch it pays for. A multi-row INSERT is one step.
    step = max(1, min(SQLITE_ROWS_PER_STATEMENT, SQLITE_MAX_VARIABLES // width))
    for offset in range(0, len(parameters), step):
        chunk = parameters[offset : offset + step]
        flat = tuple(chain.from_iterable(chunk))
        connection.exec_driver_sql(_multi_row_sql(sql, width, len(chunk)), flat)


SQLITE_ROWS_PER_STATEMENT = 500
# SQLite's default limit on ``?`` parameters per statement (999 before 3.32).
SQLITE_MAX_VARIABLES = 32_766 if sqlite3.sqlite_version_info >= (3, 32) else 999


def _values_group(width: int) -> str:
    return "VALUES (" + ", ".join(["?"] * width) + ")"


@lru_cache(maxsize=256)
def _has_one_values_group(sql: str, width: int) -> bool:
    """Whether ``sql`` is an INSERT whose only parameters are one ``VALUES (?, …)`` row."""
    return sql.count("?") == width and sql.count(_values_group(width)) == 1


@lru_cache(maxsize=1024)
def _multi_row_sql(sql: str, width: int, rows: int) -> str:
    """The single-row INSERT ``sql`` rewritten to insert ``rows`` rows."""
    group = _values_group(width)
    return sql.replace(group, "VALUES " + ", ".join([group[len("VALUES ") :]] * rows))


# Compiling an INSERT costs milliseconds: once per statement, dialect and row shape, not once per
# batch. Callers pass statements that are themselves built once (see _insert, _insert_ignoring).
@lru_cache(maxsize=256)
def _sqlite_plan(
    statement: Any, dialect: Any, keys: tuple[str, ...], table: Table
) -> tuple[str, tuple[str, ...], list[tuple[int, Callable[[Any], Any]]]]:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    order = tuple(compiled.positiontup or ())
    conversions = [
        (index, convert)
        for index, name in enumerate(order)
        if (convert := _sqlite_converter(table.c[name].type)) is not None
    ]
    return str(compiled), order, conversions


@cache
def _insert(table: Table) -> Any:
    return table.insert()


@cache
def _insert_ignoring(table: Table, key: str) -> Any:
    """SQLite: INSERT … ON CONFLICT (key) DO NOTHING."""
    return sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])


DEDUPE_KEY = "client_event_id"


def _first_of_each_key(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The rows without repeats of a (non-NULL) ``client_event_id``; the first one wins."""
    seen: set[Any] = set()
    unique = []
    for row in rows:
        key = row[DEDUPE_KEY]
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        unique.append(row)
    return unique


def _stage_name(table: Table) -> str:
    return f"sp_stage_{table.name}"


def append_ignoring_duplicates(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Append rows, skipping any whose ``client_event_id`` is already stored or repeats an
    earlier row of the batch, so a retried batch stores nothing twice and the rest of it stays.

    PostgreSQL: COPY into a connection-private staging table, then one ``INSERT … SELECT …
    ON CONFLICT (client_event_id) DO NOTHING`` (a plain COPY would fail the whole batch on one
    duplicate). SQLite: ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING``.
    """
    unique = _first_of_each_key(rows)
    if connection.dialect.name != "postgresql":
        sqlite_executemany(connection, _insert_ignoring(table, DEDUPE_KEY), table, unique)
        return
    columns = list(unique[0].keys())
    stage = _stage_name(table)
    every_column = ", ".join(f'"{column.name}"' for column in table.c if column.name != "id")
    connection.exec_driver_sql(
        f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
        f'SELECT {every_column} FROM "{table.name}" WITH NO DATA'
    )
    connection.exec_driver_sql(f'TRUNCATE "{stage}"')
    copy_rows(connection, stage, table, unique)
    column_list = ", ".join(f'"{table.c[name].name}"' for name in columns)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({column_list}) SELECT {column_list} FROM "{stage}" '
        f'ON CONFLICT ("{DEDUPE_KEY}") DO NOTHING'
    )


# ``Table.info`` key naming the host-given key column of a fact table whose rows hosts may
# report again (AI requests, tool executions): appends skip keys already stored.
APPEND_ONCE_BY = "append_once_by"


def append_once_by_key(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> None:
    """Append the rows whose ``key`` is not stored yet (the first row of a key repeated in the
    batch wins), so a retried report stores nothing twice; same plan as
    :func:`append_ignoring_duplicates`, for a key that is the table's own (non-NULL) id.
    """
    seen: set[Any] = set()
    unique = []
    for row in rows:
        if row[key] not in seen:
            seen.add(row[key])
            unique.append(row)
    if connection.dialect.name != "postgresql":
        sqlite_executemany(connection, _insert_ignoring(table, key), table, unique)
        return
    stage = _stage_name(table)
    connection.exec_driver_sql(
        f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" '
        f'(LIKE "{table.name}" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS'
    )
    connection.exec_driver_sql(f'TRUNCATE "{stage}"')
    copy_rows(connection, stage, table, unique)
    column_list = ", ".join(f'"{table.c[name].name}"' for name in unique[0])
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({column_list}) SELECT {column_list} FROM "{stage}" '
        f'ON CONFLICT ("{key}") DO NOTHING'
    )


def bulk_append(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append rows to an event table: COPY on PostgreSQL, one executemany on SQLite.

    Tables with a unique ``client_event_id`` (events clients may send again) go through
    :func:`append_ignoring_duplicates` instead, and tables marked with
    ``info={APPEND_ONCE_BY: key}`` through :func:`append_once_by_key`. All rows must have
    the same keys.
    """
    if not rows:
        return
    if DEDUPE_KEY in table.c and DEDUPE_KEY in rows[0]:
        append_ignoring_duplicates(connection, table, rows)
    elif APPEND_ONCE_BY in table.info:
        append_once_by_key(connection, table, rows, table.info[APPEND_ONCE_BY])
    elif connection.dialect.name == "postgresql":
        copy_rows(connection, table.name, table, rows)
    else:
        sqlite_executemany(connection, _insert(table), table, rows)
