"""``begin_writing``: a SQLite transaction that reads and then writes, while another
connection commits writes, fails with ``database is locked`` unless it takes the write lock
before reading (the anomaly, reputation, scoring, funnel and rollup jobs do)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event, func, insert, select
from sqlalchemy.exc import OperationalError

from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import upgrade
from systemprompt_analytics.storage.schema import rollup_state
from systemprompt_analytics.storage.write_lock import begin_writing


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    upgrade(engine)
    return engine


def _row(name: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"name": name, "covered_until": now, "updated_at": now}


def _read_then_write(engine: Engine, before_reading: Callable[[Connection], None]) -> None:
    """Read, let another connection write and commit meanwhile, then write."""
    with engine.begin() as conn:
        before_reading(conn)
        conn.execute(select(func.count()).select_from(rollup_state)).scalar_one()
        other = threading.Thread(target=_write_elsewhere, args=(engine,))
        other.start()
        other.join(timeout=0.5)  # it commits now, or waits for our write lock
        conn.execute(insert(rollup_state).values(_row("job")))
    other.join()


def _write_elsewhere(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(rollup_state).values(_row("writer")))


def test_a_deferred_transaction_cannot_write_after_another_commit(engine: Engine) -> None:
    with pytest.raises(OperationalError, match="database is locked"):
        _read_then_write(engine, lambda conn: None)


def test_begin_writing_keeps_the_snapshot_current_until_commit(engine: Engine) -> None:
    _read_then_write(engine, begin_writing)
    with engine.connect() as conn:
        names = set(conn.execute(select(rollup_state.c.name)).scalars())
    assert names == {"job", "writer"}  # both written: the other waited for our commit


def test_begin_writing_takes_the_lock_on_sqlite_only(db_engine: Engine) -> None:
    statements: list[str] = []

    def record(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        if statement.split()[0] != "BEGIN":  # our SQLite engine begins explicitly
            statements.append(statement)

    event.listen(db_engine, "before_cursor_execute", record)
    try:
        with db_engine.begin() as conn:
            begin_writing(conn)
    finally:
        event.remove(db_engine, "before_cursor_execute", record)
    if db_engine.dialect.name == "sqlite":
        assert [statement.split()[0] for statement in statements] == ["UPDATE"]
    else:
        assert statements == []  # PostgreSQL locks rows: no statement at all
