"""Creating engines: URL normalisation and per-connection setup for SQLite and PostgreSQL."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from systemprompt_analytics.errors import StorageError

SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalise_url(database_url: str) -> URL:
    """Pick our drivers: psycopg 3 for PostgreSQL, the stdlib module for SQLite."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise StorageError(
                "PostgreSQL needs psycopg 3: pip install 'systemprompt-analytics[postgres]'"
            ) from exc
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    raise StorageError(f"unsupported database {backend!r}: use sqlite or postgresql")


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """An engine with WAL, a busy timeout and foreign keys on SQLite; psycopg 3 on PostgreSQL."""
    url = normalise_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not the driver, manage transactions (see _begin_sqlite).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_conn.create_aggregate("sp_percentile", 2, _PercentileCont)  # type: ignore[arg-type]


def _begin_sqlite(conn: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; emit it ourselves.
    conn.exec_driver_sql("BEGIN")


class _PercentileCont:
    """SQLite aggregate with PostgreSQL's ``percentile_cont`` semantics (linear interpolation).

    Registered as ``sp_percentile(value, fraction)``; NULL values are ignored as in PostgreSQL.
    """

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """Linear-interpolated percentile of ``values`` (PostgreSQL ``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return float(ordered[lower])
    weight = position - lower
    return float(ordered[lower] + (ordered[upper] - ordered[lower]) * weight)
