"""SessionRepository: merging batched session activity, ending idle sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Integer, and_, cast, column, func, or_, select, table, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.dml import Insert

from systemprompt_analytics.storage.bulk import copy_rows, sqlite_executemany
from systemprompt_analytics.storage.dialect import (
    excluded,
    greatest,
    insert,
    least,
    seconds_between,
)
from systemprompt_analytics.storage.schema import (
    SESSION_ATTRIBUTES,
    SESSION_COUNTERS,
    SESSION_FLAGS,
    sessions,
)

STAGE_TABLE = "sp_session_stage"


def _merge_updates(dialect_name: str, columns: frozenset[str]) -> dict[str, Any]:
    """How an incoming row merges into an existing session, commutatively.

    Counters add, ``started_at`` takes the earliest, ``last_activity_at`` the latest, flags OR,
    and descriptive attributes keep the first non-NULL value — so the order in which batches
    from several processes arrive does not matter.
    """
    c = sessions.c
    updates: dict[str, Any] = {
        "started_at": least(dialect_name, c.started_at, excluded(sessions, "started_at")),
        "last_activity_at": greatest(
            dialect_name, c.last_activity_at, excluded(sessions, "last_activity_at")
        ),
    }
    for name in SESSION_COUNTERS:
        updates[name] = c[name] + excluded(sessions, name)
    for name in SESSION_FLAGS:
        updates[name] = or_(c[name], excluded(sessions, name))
    for name in SESSION_ATTRIBUTES:
        # source is NOT NULL with a default: the first writer's value stays.
        if name != "source" and name in columns:
            updates[name] = func.coalesce(c[name], excluded(sessions, name))
    return updates


@cache
def merge_statement(dialect_name: str, columns: frozenset[str]) -> Insert:
    """INSERT a session row, or merge it into the existing one (see :func:`_merge_updates`)."""
    return insert(dialect_name, sessions).on_conflict_do_update(
        index_elements=["id"], set_=_merge_updates(dialect_name, columns)
    )


@cache
def _merge_from_stage(columns: tuple[str, ...]) -> Insert:
    stage = table(STAGE_TABLE, *(column(name) for name in columns))
    source = select(*(stage.c[name] for name in columns))
    return (
        postgresql.insert(sessions)
        .from_select(list(columns), source)
        .on_conflict_do_update(
            index_elements=["id"], set_=_merge_updates("postgresql", frozenset(columns))
        )
    )


def merge_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Merge session rows (one per session) into ``sessions``, grouped by their columns.

    PostgreSQL: COPY into a connection-private staging table, then one
    ``INSERT … SELECT … ON CONFLICT DO UPDATE`` — far cheaper than a parameter set per row.
    SQLite: ``executemany`` of the same upsert (in-process, so per-row cost is small).
    """
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(row), []).append(row)
    for columns, group in shapes.items():
        if conn.dialect.name != "postgresql":
            statement = merge_statement(conn.dialect.name, frozenset(columns))
            sqlite_executemany(conn, statement, sessions, group)
            continue
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} "
            "(LIKE sessions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        conn.exec_driver_sql(f"TRUNCATE {STAGE_TABLE}")
        copy_rows(conn, STAGE_TABLE, sessions, group)
        conn.execute(_merge_from_stage(columns))


def _stale(now: datetime, idle_timeout: timedelta, max_age: timedelta) -> Any:
    c = sessions.c
    return and_(
        c.ended_at.is_(None),
        or_(c.last_activity_at < now - idle_timeout, c.started_at < now - max_age),
    )


def count_idle_sessions(
    conn: Connection, *, now: datetime, idle_timeout: timedelta, max_age: timedelta
) -> int:
    """How many open sessions :func:`end_idle_sessions` would end now."""
    statement = select(func.count()).select_from(sessions).where(_stale(now, idle_timeout, max_age))
    return int(conn.execute(statement).scalar_one())


def end_idle_sessions(
    conn: Connection, *, now: datetime, idle_timeout: timedelta, max_age: timedelta
) -> int:
    """End open sessions idle for ``idle_timeout`` or older than ``max_age``.

    ``ended_at`` becomes the last activity; ``duration_seconds`` its distance from the start,
    capped at ``max_age``. Returns how many sessions were ended.
    """
    c = sessions.c
    dialect_name = conn.dialect.name
    seconds = seconds_between(dialect_name, c.started_at, c.last_activity_at)
    capped = least(dialect_name, seconds, max_age.total_seconds())
    statement = (
        update(sessions)
        .where(_stale(now, idle_timeout, max_age))
        .values(ended_at=c.last_activity_at, duration_seconds=cast(func.floor(capped), Integer))
    )
    return int(conn.execute(statement).rowcount or 0)
