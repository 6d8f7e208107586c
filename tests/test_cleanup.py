"""SessionCleanupService on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from systemprompt_analytics.jobs.session_cleanup import SessionCleanupService
from systemprompt_analytics.storage.schema import sessions
from tests.factories import add_session

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def test_idle_and_overlong_sessions_are_ended_with_their_duration(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        idle = add_session(
            conn,
            at=NOW - timedelta(hours=2),
            last_activity_at=NOW - timedelta(hours=1, minutes=50),
            ended_at=None,
        )
        active = add_session(
            conn,
            at=NOW - timedelta(minutes=20),
            last_activity_at=NOW - timedelta(minutes=2),
            ended_at=None,
        )
        marathon = add_session(
            conn,
            at=NOW - timedelta(hours=30),
            last_activity_at=NOW - timedelta(minutes=1),
            ended_at=None,
        )
        already = add_session(conn, at=NOW - timedelta(days=2), duration_seconds=5)
    service = SessionCleanupService(db_engine, timedelta(minutes=30), timedelta(hours=24))
    assert service.run(NOW, dry_run=True).ended == 2
    assert service.run(NOW).ended == 2
    assert service.run(NOW).ended == 0  # idempotent
    with db_engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(sessions))}
    assert rows[idle].ended_at == NOW - timedelta(hours=1, minutes=50)
    assert rows[idle].duration_seconds == 600
    assert rows[active].ended_at is None
    assert rows[marathon].duration_seconds == 24 * 3600  # capped
    assert rows[already].duration_seconds == 5
