"""ReputationJob and FingerprintRepository on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, select, text

from systemprompt_analytics.detection.reputation import Reputation
from systemprompt_analytics.jobs.reputation import (
    REPUTATION_LOCK_KEY,
    ReputationJob,
    ReputationResult,
)
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.repositories.reputation import (
    high_risk,
    last_hour_velocity,
    load_rows,
)
from systemprompt_analytics.storage.schema import fingerprint_reputation
from tests.factories import add_request, add_session

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
HOUR_AGO = NOW - timedelta(hours=1)


def _burst(conn: Connection, session_id: str, start: datetime, per_minute: list[int]) -> None:
    """``per_minute[i]`` requests spread over minute ``i`` after ``start``."""
    for minute, count in enumerate(per_minute):
        for index in range(count):
            at = start + timedelta(minutes=minute, seconds=index * 59 / max(count, 1))
            add_request(conn, session_id, at=at, status_code=404, path=f"/p{index}")


def _row(engine: Engine, fingerprint: str) -> Reputation:
    with engine.connect() as conn:
        return load_rows(conn, [fingerprint])[fingerprint]


def _table(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        statement = select(fingerprint_reputation).order_by(
            fingerprint_reputation.c.fingerprint_hash
        )
        return [tuple(row) for row in conn.execute(statement)]


def test_counts_velocity_users_and_user_agent(db_engine: Engine) -> None:
    start = HOUR_AGO + timedelta(minutes=10)
    with db_engine.begin() as conn:
        first = add_session(
            conn, at=start, fingerprint_hash="fp_human", user_id="u1", user_agent="UA-old"
        )
        second = add_session(
            conn,
            at=start + timedelta(minutes=20),
            fingerprint_hash="fp_human",
            user_id="u2",
            user_agent="UA-new",
        )
        add_request(conn, first, at=start)
        add_request(conn, first, at=start + timedelta(seconds=30))
        add_request(conn, second, at=start + timedelta(minutes=20))
        # Outside the window: counted by nobody in this run.
        old = add_session(conn, at=NOW - timedelta(hours=3), fingerprint_hash="fp_old")
        add_request(conn, old, at=NOW - timedelta(hours=3))
    result = ReputationJob(db_engine).run(NOW)
    assert not result.skipped
    assert result.updated == 1
    row = _row(db_engine, "fp_human")
    assert (row.session_count, row.request_count) == (2, 3)
    assert (row.requests_last_hour, row.peak_requests_per_minute) == (3, 2)
    assert row.first_seen_at == start
    assert row.last_seen_at == start + timedelta(minutes=20)
    assert row.associated_user_ids == ("u1", "u2")
    assert row.last_user_agent == "UA-new"
    assert row.reputation_score == 50
    assert not row.is_flagged
    assert row.updated_at == NOW


def test_minute_velocity_is_the_same_on_both_databases(db_engine: Engine) -> None:
    # Requests exactly on minute boundaries and just before them.
    base = HOUR_AGO + timedelta(minutes=5)
    with db_engine.begin() as conn:
        sid = add_session(conn, at=base, fingerprint_hash="fp_edge")
        for second in (0, 59.999999, 60, 60.5, 119.999999, 120):
            add_request(conn, sid, at=base + timedelta(seconds=second))
    with db_engine.connect() as conn:
        speed = last_hour_velocity(conn, NOW)["fp_edge"]
    assert (speed.requests_last_hour, speed.peak_per_minute) == (6, 3)


def test_scanner_is_flagged_once_and_rerun_changes_nothing(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sid = add_session(
            conn,
            at=HOUR_AGO + timedelta(minutes=1),
            fingerprint_hash="fp_scan",
            is_scanner=True,
            bot_reason="probe paths: /.env",
        )
        _burst(conn, sid, HOUR_AGO + timedelta(minutes=1), [40] * 4)
    job = ReputationJob(db_engine)
    first = job.run(NOW)
    assert first.new_incidents == 1
    assert first.flagged == 1
    row = _row(db_engine, "fp_scan")
    assert row.is_flagged and row.flag_reason == "scanner"
    assert row.abuse_incidents == 1
    assert row.reputation_score == 50 - 35  # 4 fast minutes are not yet "sustained"
    assert row.sustained_high_velocity_minutes == 4
    assert row.peak_requests_per_minute == 40
    assert row.last_incident_at == NOW
    before = _table(db_engine)
    again = job.run(NOW)
    assert (again.updated, again.new_incidents) == (0, 0)
    assert _table(db_engine) == before
    with db_engine.connect() as conn:
        assert [r.fingerprint_hash for r in high_risk(conn, 10)] == ["fp_scan"]


def test_continuing_abuse_is_one_incident_and_a_new_episode_is_another(db_engine: Engine) -> None:
    job = ReputationJob(db_engine)
    for hour in range(3):
        end = NOW + timedelta(hours=hour)
        with db_engine.begin() as conn:
            sid = add_session(
                conn,
                at=end - timedelta(minutes=50),
                fingerprint_hash="fp_bot",
                is_behavioral_bot=True,
            )
            add_request(conn, sid, at=end - timedelta(minutes=50))
        job.run(end)
    row = _row(db_engine, "fp_bot")
    assert row.abuse_incidents == 1
    assert row.reputation_score == 50 - 25 - 5 - 5
    assert row.session_count == 3 and row.request_count == 3
    # Two clean hours pass (the job runs), then abuse again: a second incident.
    job.run(NOW + timedelta(hours=3))
    job.run(NOW + timedelta(hours=4))
    end = NOW + timedelta(hours=5)
    with db_engine.begin() as conn:
        sid = add_session(
            conn, at=end - timedelta(minutes=30), fingerprint_hash="fp_bot", is_behavioral_bot=True
        )
    job.run(end)
    row = _row(db_engine, "fp_bot")
    assert row.abuse_incidents == 2
    assert row.reputation_score == 0
    assert row.is_flagged and row.flag_reason == "behavioral_bot"


def test_idle_flagged_fingerprint_recovers_over_clean_days(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sid = add_session(
            conn, at=HOUR_AGO + timedelta(minutes=5), fingerprint_hash="fp_r", is_scanner=True
        )
        add_request(conn, sid, at=HOUR_AGO + timedelta(minutes=5))
    job = ReputationJob(db_engine)
    job.run(NOW)
    assert _row(db_engine, "fp_r").reputation_score == 15
    # Hourly runs for three days: +2 per whole clean day, velocity back to zero.
    for hour in range(1, 3 * 24 + 1):
        job.run(NOW + timedelta(hours=hour))
    row = _row(db_engine, "fp_r")
    assert row.reputation_score == 21
    assert not row.is_flagged and row.flag_reason is None
    assert row.requests_last_hour == 0
    assert row.abuse_incidents == 1
    # The same run again gives nothing more.
    result = job.run(NOW + timedelta(days=3))
    assert result.recovered == 0
    assert _row(db_engine, "fp_r").reputation_score == 21


def test_a_session_spanning_two_runs_is_counted_once(db_engine: Engine) -> None:
    job = ReputationJob(db_engine)
    with db_engine.begin() as conn:
        long = add_session(conn, at=NOW - timedelta(minutes=20), fingerprint_hash="fp_long")
        add_request(conn, long, at=NOW - timedelta(minutes=20))
    job.run(NOW)
    with db_engine.begin() as conn:
        add_request(conn, long, at=NOW + timedelta(minutes=5))
        add_request(conn, long, at=NOW + timedelta(minutes=6))
    job.run(NOW + timedelta(hours=1))
    row = _row(db_engine, "fp_long")
    assert (row.session_count, row.request_count) == (1, 3)


def _hold_lock(engine: Engine, locked: threading.Event, release: threading.Event) -> None:
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REPUTATION_LOCK_KEY})
        locked.set()
        release.wait(20)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # advisory locks
def test_skips_while_another_instance_holds_the_lock(database_url: str, db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sid = add_session(conn, at=HOUR_AGO, fingerprint_hash="fp_lock")
        add_request(conn, sid, at=HOUR_AGO)
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(db_engine, locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        result = ReputationJob(db_engine).run(NOW)
    finally:
        release.set()
        holder.join()
    assert result.skipped and "another instance" in result.message
    assert _table(db_engine) == []
    assert ReputationJob(db_engine).run(NOW).updated == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # advisory locks
def test_two_concurrent_instances_one_works_one_skips(database_url: str, db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        sid = add_session(conn, at=HOUR_AGO, fingerprint_hash="fp_race", is_scanner=True)
        add_request(conn, sid, at=HOUR_AGO)
    url = db_engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url), make_engine(url)]
    results: list[ReputationResult] = []
    release = threading.Event()
    start = threading.Barrier(2)

    def run(engine: Engine) -> None:
        job = ReputationJob(engine, on_locked=lambda _conn: release.wait(20))
        start.wait()
        results.append(job.run(NOW))

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while not results and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sorted(result.skipped for result in results) == [False, True]
    worker = next(result for result in results if not result.skipped)
    assert (worker.updated, worker.new_incidents) == (1, 1)
    assert _row(db_engine, "fp_race").abuse_incidents == 1
