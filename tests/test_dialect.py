"""The dialect module gives the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, literal, select

from systemprompt_analytics.storage.dialect import (
    bucket_start,
    excluded,
    json_text,
    percentile,
    time_bucket,
    upsert,
)
from systemprompt_analytics.storage.engine import percentile_cont
from systemprompt_analytics.storage.schema import analytics_meta, request_events, sessions, users
from tests.factories import add_request, add_session

# A Sunday late evening: crosses day, ISO week (Mon) and month boundaries nearby.
MOMENTS = [
    datetime(2026, 11, 29, 23, 59, 59, 999_000, tzinfo=UTC),  # Sunday
    datetime(2026, 11, 30, 0, 0, tzinfo=UTC),  # Monday
    datetime(2026, 11, 30, 13, 45, tzinfo=UTC),
    datetime(2026, 12, 1, 0, 30, tzinfo=UTC),
    datetime(2027, 1, 3, 12, 0, tzinfo=UTC),  # Sunday of ISO week 53 of 2026
]


def _expected(moment: datetime, granularity: str) -> datetime:
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


@pytest.mark.parametrize("granularity", ["hour", "day", "week", "month"])
def test_time_buckets_are_utc_and_weeks_start_on_monday(
    db_engine: Engine, granularity: str
) -> None:
    with db_engine.begin() as conn:
        session_id = add_session(conn)
        for moment in MOMENTS:
            add_request(conn, session_id, at=moment)
        bucket = time_bucket(conn.dialect.name, request_events.c.occurred_at, granularity)  # type: ignore[arg-type]
        rows = conn.execute(
            select(request_events.c.occurred_at, bucket).order_by(request_events.c.occurred_at)
        ).all()
    assert [bucket_start(b) for _, b in rows] == [_expected(m, granularity) for m in MOMENTS]


def test_time_bucket_rejects_unknown_granularity() -> None:
    with pytest.raises(ValueError, match="granularity"):
        time_bucket("sqlite", request_events.c.occurred_at, "decade")  # type: ignore[arg-type]


LATENCIES = [12.0, 15.5, 20.0, 20.0, 31.0, 45.25, 80.0, 120.0, 500.0, 1_000.0, 7.0]


@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.95, 0.99, 1.0])
def test_percentiles_match_postgres_percentile_cont(db_engine: Engine, fraction: float) -> None:
    with db_engine.begin() as conn:
        session_id = add_session(conn)
        for value in LATENCIES:
            add_request(conn, session_id, latency_ms=value)
        add_request(conn, session_id, latency_ms=None)  # NULLs are ignored, as in PostgreSQL
        result = conn.execute(
            select(percentile(conn.dialect.name, request_events.c.latency_ms, fraction))
        ).scalar_one()
    assert result == pytest.approx(percentile_cont(LATENCIES, fraction))


def test_grouped_percentiles(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        session_id = add_session(conn)
        for kind, values in {"page": [1.0, 2.0, 3.0, 4.0], "api": [10.0, 30.0]}.items():
            for value in values:
                add_request(conn, session_id, kind=kind, latency_ms=value)
        p50 = percentile(conn.dialect.name, request_events.c.latency_ms, 0.5)
        rows = dict(
            conn.execute(select(request_events.c.kind, p50).group_by(request_events.c.kind)).all()
        )
    assert rows == {"page": pytest.approx(2.5), "api": pytest.approx(20.0)}


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=50))
def test_pure_percentile_agrees_with_statistics_inclusive_quantiles(values: list[float]) -> None:
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    for fraction, expected in zip((0.25, 0.5, 0.75), quartiles, strict=True):
        assert percentile_cont(values, fraction) == pytest.approx(expected, abs=1e-6)


def test_percentile_of_nothing_is_none() -> None:
    assert percentile_cont([], 0.5) is None
    with pytest.raises(ValueError, match="fraction"):
        percentile("sqlite", literal(1), 1.5)


def test_upsert_inserts_then_updates_then_ignores(db_engine: Engine) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with db_engine.begin() as conn:
        name = conn.dialect.name
        update = upsert(name, analytics_meta, ["key"], {"value": excluded(analytics_meta, "value")})
        conn.execute(update.values(key="k", value="one", updated_at=now))
        conn.execute(update.values(key="k", value="two", updated_at=now))
        ignore = upsert(name, analytics_meta, ["key"])
        conn.execute(ignore.values(key="k", value="three", updated_at=now))
        rows = conn.execute(select(analytics_meta.c.key, analytics_meta.c.value)).all()
    assert [tuple(row) for row in rows] == [("k", "two")]


def test_json_text_reads_a_top_level_key(db_engine: Engine) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with db_engine.begin() as conn:
        conn.execute(
            users.insert().values(id="u1", created_at=now, traits={"plan": "pro", "seats": 3})
        )
        conn.execute(users.insert().values(id="u2", created_at=now, traits={"seats": 1}))
        plan = json_text(conn.dialect.name, users.c.traits, "plan")
        rows = dict(conn.execute(select(users.c.id, plan).order_by(users.c.id)).all())
    assert rows == {"u1": "pro", "u2": None}
    with pytest.raises(ValueError, match="JSON key"):
        json_text("sqlite", users.c.traits, "a'; drop")


def test_timestamps_come_back_aware_utc_and_naive_ones_are_refused(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        later = datetime(2026, 11, 1, 14, tzinfo=timezone(timedelta(hours=2)))
        add_session(conn, at=later, id="sess_tz")
        started = conn.execute(
            select(sessions.c.started_at).where(sessions.c.id == "sess_tz")
        ).scalar_one()
    assert started == datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert started.utcoffset() == timedelta(0)
    with pytest.raises(Exception, match="naive datetime"), db_engine.begin() as conn:
        add_session(conn, at=datetime(2026, 11, 1, 12))
