"""Whole-database housekeeping: emptying data tables and the ``analytics_meta`` markers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, select

from systemprompt_analytics.storage.dialect import upsert
from systemprompt_analytics.storage.schema import analytics_meta, anomaly_thresholds, metadata

# Configuration, not activity: kept when data is cleared.
PRESERVED_TABLES = frozenset({anomaly_thresholds.name})


def clear_activity(conn: Connection) -> None:
    """Delete every row of activity data, children before parents; keep configuration."""
    for table in reversed(metadata.sorted_tables):
        if table.name not in PRESERVED_TABLES:
            conn.execute(delete(table))


def has_activity(conn: Connection) -> bool:
    """True when any activity table holds a row."""
    for table in metadata.sorted_tables:
        if table.name in PRESERVED_TABLES or table is analytics_meta:
            continue
        if conn.execute(select(func.count()).select_from(table).limit(1)).scalar_one():
            return True
    return False


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(
        select(analytics_meta.c.value).where(analytics_meta.c.key == key)
    ).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    now = datetime.now(UTC)
    statement = upsert(
        conn.dialect.name,
        analytics_meta,
        ["key"],
        {"value": value, "updated_at": now},
    ).values(key=key, value=value, updated_at=now)
    conn.execute(statement)
