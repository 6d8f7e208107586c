"""User reports on both databases: totals, active users and visitors over 24 h / 7 d / 30 d
against the previous windows, and top users with correct (never join-inflated) sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.reports.users import UserRanking, top_users, user_overview, user_stats
from tests.factories import add_agent_task, add_ai_request, add_session, add_user

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _window(report: object, window: str, metric: str) -> tuple[object, object]:
    value = report.windows[window][metric]  # type: ignore[attr-defined]
    assert isinstance(value, Comparison)
    return value.current, value.previous


def test_registered_and_anonymous_users_up_to_the_end(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for _ in range(3):
            add_user(conn, at=NOW - 40 * DAY)
        add_user(conn, at=NOW - 2 * HOUR, is_anonymous=True)
        add_user(conn, at=NOW - 30 * HOUR, is_anonymous=True)
        add_user(conn, at=NOW - 10 * DAY)
        add_user(conn, at=NOW + HOUR)  # after the end: not yet a user
        report = user_stats(conn, NOW)
    assert report.totals == {"users": 6, "registered": 4, "anonymous": 2}
    assert _window(report, "24h", "new_users") == (1, 1)
    assert _window(report, "7d", "new_users") == (2, 1)
    assert _window(report, "30d", "new_users") == (3, 3)


def test_active_users_and_visitors_against_the_previous_windows(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        # u1: two sessions in the last 24 h, counted once.
        add_session(conn, at=NOW - 2 * HOUR, user_id="u1", visitor_hash="v1")
        add_session(conn, at=NOW - 3 * HOUR, user_id="u1", visitor_hash="v1")
        # u2: a session that started in the previous 24 h and was still active in the last
        # 24 h: active in both windows; a visitor of the window it started in.
        add_session(
            conn,
            at=NOW - 24 * HOUR - 20 * timedelta(minutes=1),
            last_activity_at=NOW - 23 * HOUR,
            user_id="u2",
            visitor_hash="v2",
        )
        # u3: only in the previous 24 h.
        add_session(conn, at=NOW - 30 * HOUR, user_id="u3", visitor_hash="v3")
        # A bot with a user id is neither an active user nor a visitor.
        add_session(conn, at=NOW - HOUR, user_id="bot-user", visitor_hash="vb", is_bot=True)
        # A visitor who is not a user.
        add_session(conn, at=NOW - HOUR, user_id=None, visitor_hash="v4")
        # u4: ten days ago (previous 7 d, current 30 d).
        add_session(conn, at=NOW - 10 * DAY, user_id="u4", visitor_hash="v5")
        # The end instant is outside every window.
        add_session(conn, at=NOW, user_id="u5", visitor_hash="v6")
        report = user_stats(conn, NOW)
    assert _window(report, "24h", "active_users") == (2, 2)  # u1, u2 / u2, u3
    assert _window(report, "24h", "visitors") == (2, 2)  # v1, v4 / v2, v3
    assert _window(report, "7d", "active_users") == (3, 1)  # u1, u2, u3 / u4
    assert _window(report, "7d", "visitors") == (4, 1)
    assert _window(report, "30d", "active_users") == (4, 0)
    assert _window(report, "30d", "visitors") == (5, 0)
    data = report.to_dict()
    assert data["windows"]["24h"]["active_users"] == {
        "current": 2,
        "previous": 2,
        "change_pct": 0.0,
    }
    assert data["windows"]["7d"]["period"]["since"] == (NOW - 7 * DAY).isoformat()
    assert data["windows"]["7d"]["period"]["previous_since"] == (NOW - 14 * DAY).isoformat()


def test_overview_users_use_the_same_definitions(db_engine: Engine) -> None:
    period = Period(NOW - DAY, NOW)
    with db_engine.begin() as conn:
        add_session(conn, at=NOW - 2 * HOUR, user_id="u1")
        add_session(conn, at=NOW - 30 * HOUR, user_id="u2")
        add_user(conn, at=NOW - 2 * HOUR, is_anonymous=True)
        add_user(conn, at=NOW - 40 * DAY)
        figures = user_overview(conn, period)
        stats = user_stats(conn, NOW)
    assert figures["active_users"] == stats.windows["24h"]["active_users"]
    assert figures["new_users"] == stats.windows["24h"]["new_users"]
    assert (figures["registered"], figures["anonymous"]) == (1, 1)


def test_top_users_sums_are_not_inflated_by_joins(db_engine: Engine) -> None:
    period = Period(NOW - DAY, NOW)
    at = NOW - 2 * HOUR
    with db_engine.begin() as conn:
        add_user(conn, id="alice", display_name="Alice")
        for cost in (100, 200, 300):
            add_ai_request(conn, at=at, user_id="alice", cost_microdollars=cost, total_tokens=10)
        add_ai_request(conn, at=at, user_id="alice", cost_microdollars=5_000, is_synthetic=True)
        for _ in range(2):
            add_agent_task(conn, at=at, user_id="alice")
        for _ in range(4):
            add_session(conn, at=at, user_id="alice")
        add_session(conn, at=at, user_id="alice", is_bot=True)  # not a human session
        add_ai_request(conn, at=at, user_id="bob", cost_microdollars=1_000)  # never identified
        add_ai_request(conn, at=at, user_id=None, cost_microdollars=400)
        by_requests = top_users(conn, period)
        by_cost = top_users(conn, period, by=UserRanking.cost, limit=1)
        with_synthetic = top_users(conn, period, include_synthetic=True)
    alice, bob = by_requests.users.rows
    assert alice["user_id"] == "alice" and alice["display_name"] == "Alice"
    assert (alice["ai_requests"], alice["tokens"], alice["cost_microdollars"]) == (3, 30, 600)
    assert (alice["tasks"], alice["sessions"]) == (2, 4)
    assert alice["is_anonymous"] is False and bob["is_anonymous"] is None
    # Shares are of every request of the window, the one without a user included.
    assert alice["share_of_requests"] == 0.6
    assert alice["share_of_cost"] == 0.3
    assert by_requests.totals["unattributed_requests"] == 1
    assert by_requests.totals["unattributed_cost_microdollars"] == 400
    assert by_requests.users.total_rows == 2
    assert [row["user_id"] for row in by_cost.users.rows] == ["bob"]
    assert by_cost.users.rows[0]["share_of_cost"] == 0.5
    assert by_cost.to_dict()["ranked_by"] == "cost"
    assert with_synthetic.users.rows[0]["ai_requests"] == 4
    assert with_synthetic.users.rows[0]["cost_usd"] == 0.0056
    assert by_requests.rest["users"] == 0
    assert by_cost.rest["users"] == 1
    # alice is beyond the limit of 1: the rest is her; the request of no user is apart.
    assert by_cost.rest["ai_requests"] == 3
    assert by_cost.rest["cost_microdollars"] == 600
    totals = by_cost.totals
    assert 1 + by_cost.rest["ai_requests"] + totals["unattributed_requests"] == 5


def test_a_user_whose_cost_is_unknown_ranks_last_by_cost(db_engine: Engine) -> None:
    period = Period(NOW - DAY, NOW)
    at = NOW - 2 * HOUR
    with db_engine.begin() as conn:
        for _ in range(3):
            add_ai_request(conn, at=at, user_id="unpriced", cost_microdollars=None, is_priced=False)
        add_ai_request(conn, at=at, user_id="cheap", cost_microdollars=1)
        by_cost = top_users(conn, period, by=UserRanking.cost)
        by_requests = top_users(conn, period)
    assert [row["user_id"] for row in by_cost.users.rows] == ["cheap", "unpriced"]
    assert [row["user_id"] for row in by_requests.users.rows] == ["unpriced", "cheap"]
    unpriced = by_cost.users.rows[1]
    assert (unpriced["cost_microdollars"], unpriced["unpriced_requests"]) == (None, 3)
    assert by_cost.totals["cost_microdollars"] == 1
