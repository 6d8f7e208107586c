"""Session reports on both databases: stats definitions, zero-filled trends, the live list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.buckets import bucket_starts
from systemprompt_analytics.reports.sessions import live_sessions, session_stats, session_trends
from tests.factories import add_session

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(days=1), NOW)


def test_stats_definitions(db_engine: Engine) -> None:
    start = NOW - timedelta(hours=5)
    with db_engine.begin() as conn:
        add_session(
            conn,
            at=start,
            last_activity_at=start + timedelta(minutes=10),
            request_count=4,
            visitor_hash="a",
        )
        add_session(
            conn,
            at=start,
            last_activity_at=start + timedelta(hours=3),  # capped at 30m
            request_count=2,
            visitor_hash="a",
            converted_at=start,
        )
        add_session(conn, at=start, is_bot=True, request_count=500)
        report = session_stats(conn, PERIOD, NOW).to_dict()
    assert report["created"]["current"] == 2
    assert report["unique_visitors"]["current"] == 1
    assert report["avg_duration_seconds"]["current"] == pytest.approx((600 + 1800) / 2)
    assert report["avg_requests_per_session"]["current"] == 3.0  # the bot's 500 do not count
    assert report["conversion_rate"]["current"] == 0.5
    assert report["bot_sessions"]["current"] == 1


def test_trends_are_zero_filled_and_utc(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_session(conn, at=NOW - timedelta(hours=2, minutes=30))
        add_session(conn, at=NOW - timedelta(hours=2, minutes=10))
        add_session(conn, at=NOW - timedelta(hours=2, minutes=5), is_scanner=True)
        series = session_trends(conn, PERIOD, "hour")
    assert len(series) == 24
    by_bucket = {row["bucket"]: row for row in series}
    busy = by_bucket[(NOW - timedelta(hours=3)).isoformat()]
    assert (busy["sessions"], busy["bot_sessions"]) == (2, 1)
    assert sum(row["sessions"] for row in series) == 2
    assert all(row["sessions"] == 0 for key, row in by_bucket.items() if row is not busy)


def test_bucket_starts_cover_partial_buckets() -> None:
    period = Period(datetime(2026, 11, 30, 10, 30, tzinfo=UTC), datetime(2027, 1, 2, tzinfo=UTC))
    months = list(bucket_starts(period, "month"))
    assert months == [
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    ]
    weeks = list(bucket_starts(period, "week"))
    assert weeks[0] == datetime(2026, 11, 30, tzinfo=UTC)  # a Monday
    assert all(w.weekday() == 0 for w in weeks)


def test_live_lists_active_sessions_most_recent_first(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        older = add_session(
            conn,
            at=NOW - timedelta(minutes=20),
            last_activity_at=NOW - timedelta(minutes=10),
            ended_at=None,
        )
        newer = add_session(
            conn,
            at=NOW - timedelta(minutes=5),
            last_activity_at=NOW - timedelta(minutes=1),
            ended_at=None,
        )
        bot = add_session(
            conn,
            at=NOW - timedelta(minutes=5),
            last_activity_at=NOW,
            ended_at=None,
            is_bot=True,
            bot_name="Googlebot",
        )
        add_session(
            conn,
            at=NOW - timedelta(hours=2),
            last_activity_at=NOW - timedelta(hours=1),
            ended_at=None,
        )
        humans = live_sessions(conn, NOW)
        everyone = live_sessions(conn, NOW, include_bots=True)
    assert [row["id"] for row in humans] == [newer, older]
    assert humans[0]["duration_seconds"] == 300
    assert [row["id"] for row in everyone] == [bot, newer, older]
    assert everyone[0]["is_bot"] is True
