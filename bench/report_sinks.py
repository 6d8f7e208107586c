"""Where the report benchmark's generated rows go: PostgreSQL ``COPY`` or SQLite ``executemany``.

Rows arrive as tuples in the column order the generator declares per table; timestamps as
POSIX seconds (UTC), JSON as ready-made text. Each sink converts values the way the
:class:`~systemprompt_analytics.storage.types.UTCDateTime` type stores them on its database
and writes in large chunks, one transaction per chunk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Boolean, Table

from systemprompt_analytics.storage import schema
from systemprompt_analytics.storage.types import UTCDateTime

CHUNK_ROWS = 50_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Converter = Callable[[Any], Any]


class Sink(Protocol):
    def add(self, table: Table, row: tuple[Any, ...]) -> None: ...

    def close(self) -> dict[str, int]: ...


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _postgres_converter(column_type: Any) -> Converter:
    if isinstance(column_type, UTCDateTime):
        return lambda value: "\\N" if value is None else _utc(value).isoformat()
    if isinstance(column_type, Boolean):
        return lambda value: "\\N" if value is None else ("t" if value else "f")
    return lambda value: "\\N" if value is None else str(value)


def _sqlite_converter(column_type: Any) -> Converter | None:
    if isinstance(column_type, UTCDateTime):
        return lambda value: (
            None
            if value is None
            else _utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")
        )
    if isinstance(column_type, Boolean):
        return lambda value: None if value is None else int(value)
    if isinstance(column_type, JSON):
        return None  # already JSON text
    return None


class _Buffered:
    def __init__(self, columns: Mapping[str, Sequence[str]]) -> None:
        self.columns = columns
        self.buffers: dict[str, list[Any]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: Table, row: tuple[Any, ...]) -> None:
        buffer = self.buffers.setdefault(table.name, [])
        buffer.append(row)
        if len(buffer) >= CHUNK_ROWS:
            self._flush(table.name)

    def close(self) -> dict[str, int]:
        for name in list(self.buffers):
            self._flush(name)
        return dict(self.counts)

    def _flush(self, name: str) -> None:
        rows = self.buffers.pop(name, [])
        if rows:
            self._write(name, rows)
            self.counts[name] = self.counts.get(name, 0) + len(rows)

    def _write(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError


class PostgresSink(_Buffered):
    """COPY in text format on one psycopg connection (autocommit: each COPY commits)."""

    def __init__(self, connection: Any, columns: Mapping[str, Sequence[str]]) -> None:
        super().__init__(columns)
        self.connection = connection
        self.converters = {
            name: [_postgres_converter(schema.metadata.tables[name].c[c].type) for c in cols]
            for name, cols in columns.items()
        }

    def _write(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        converters = self.converters[name]
        plan = list(enumerate(converters))
        text = "".join(
            "\t".join([convert(row[index]) for index, convert in plan]) + "\n" for row in rows
        )
        column_list = ", ".join(f'"{column}"' for column in self.columns[name])
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f'COPY "{name}" ({column_list}) FROM STDIN') as copy,
        ):
            copy.write(text)


class SqliteSink(_Buffered):
    """``executemany`` on a raw sqlite3 connection, one transaction per chunk."""

    def __init__(
        self, connection: sqlite3.Connection, columns: Mapping[str, Sequence[str]]
    ) -> None:
        super().__init__(columns)
        self.connection = connection
        self.plans = {
            name: list(
                enumerate(
                    _sqlite_converter(schema.metadata.tables[name].c[column].type)
                    for column in cols
                )
            )
            for name, cols in columns.items()
        }

    def _write(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        plan = self.plans[name]
        converted = [
            tuple(row[index] if convert is None else convert(row[index]) for index, convert in plan)
            for row in rows
        ]
        columns = self.columns[name]
        marks = ", ".join("?" for _ in columns)
        column_list = ", ".join(f'"{column}"' for column in columns)
        self.connection.execute("BEGIN")
        self.connection.executemany(
            f'INSERT INTO "{name}" ({column_list}) VALUES ({marks})', converted
        )
        self.connection.execute("COMMIT")
