"""SQLite: take the database's write lock before a transaction that reads and then writes.

A deferred SQLite transaction reads from a snapshot; if another connection (the batching
writer, say) commits before it writes, its first write fails at once with ``database is
locked`` — the busy timeout does not apply, as waiting could not make the snapshot current.
A no-op UPDATE as the transaction's first statement takes the write lock first (waiting up to
the busy timeout for it), so everything the transaction reads stays current until it commits.
PostgreSQL locks rows: nothing to do there.
"""

from __future__ import annotations

from sqlalchemy import Connection, false, update

from systemprompt_analytics.storage.schema import rollup_state


def begin_writing(conn: Connection) -> None:
    """On SQLite, take the write lock now, before this transaction reads anything."""
    if conn.dialect.name == "sqlite":
        conn.execute(update(rollup_state).where(false()).values(name=rollup_state.c.name))
