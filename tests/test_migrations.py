"""Migrations on SQLite and PostgreSQL: round trip, idempotence, schema equal to the tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import (
    current_revision,
    downgrade,
    head_revision,
    is_up_to_date,
    upgrade,
)
from systemprompt_analytics.storage.schema import anomaly_thresholds, metadata

SEEDED_THRESHOLDS = {
    "requests_per_minute": (15.0, 30.0),
    "session_count_per_fingerprint": (5.0, 10.0),
    "avg_response_time_deviation": (2.0, 5.0),
    "error_rate": (0.1, 0.25),
    "unique_ips_per_fingerprint": (3.0, 10.0),
}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_round_trip_empty_head_base_head(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    try:
        assert current_revision(engine) is None
        assert _tables(engine) == set()

        first = upgrade(engine)
        assert first.changed and first.after == head_revision(engine)
        assert _tables(engine) == set(metadata.tables)
        assert _schema_differences(engine) == []

        down = downgrade(engine, "base")
        assert down.after is None
        assert _tables(engine) == set()

        again = upgrade(engine)
        assert again.after == head_revision(engine)
        assert _schema_differences(engine) == []
        assert is_up_to_date(engine)
    finally:
        engine.dispose()


def test_upgrade_twice_changes_nothing_the_second_time(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            before = conn.execute(select(anomaly_thresholds)).all()
        second = upgrade(engine)
        assert not second.changed
        with engine.connect() as conn:
            assert conn.execute(select(anomaly_thresholds)).all() == before
    finally:
        engine.dispose()


def test_anomaly_thresholds_are_seeded(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        rows = conn.execute(
            select(
                anomaly_thresholds.c.metric_name,
                anomaly_thresholds.c.warning_threshold,
                anomaly_thresholds.c.critical_threshold,
            )
        ).all()
    assert {name: (warn, crit) for name, warn, crit in rows} == SEEDED_THRESHOLDS


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/pragmas.db")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    finally:
        engine.dispose()


def test_sqlite_parent_directory_is_created(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/nested/dir/analytics.db")
    try:
        upgrade(engine)
        assert is_up_to_date(engine)
    finally:
        engine.dispose()
