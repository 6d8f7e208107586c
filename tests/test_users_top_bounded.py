"""``users top`` and ``costs breakdown --by user`` over more users than they sum exactly (both
databases, from rollups and raw): on PostgreSQL the users whose bound on the ranked sum
(values × largest) is among the largest are summed, and when their k-th sum exceeds every
other bound the ranking is theirs — the same rows, order and counts as ranking every user."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.costs_breakdown import cost_breakdown
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.top_groups import CANDIDATES_PER_ROW, LEAST_CANDIDATES
from systemprompt_analytics.reports.users import UserRanking, top_users
from systemprompt_analytics.storage.rollups import rebuild_rollups
from systemprompt_analytics.storage.schema import ai_requests

END = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 4
WINDOWS = {
    "whole days": Period(END - timedelta(days=DAYS), END),
    "ragged": Period(END - timedelta(days=3, hours=5, minutes=7), END - timedelta(minutes=50)),
}
USERS = 700  # more than the candidates summed for 20 rows
_ids = itertools.count()
assert max(LEAST_CANDIDATES, CANDIDATES_PER_ROW * 20) < USERS


def _request(at: datetime, user: str | None, cost: int | None, synthetic: bool) -> dict[str, Any]:
    return {
        "id": f"air-{next(_ids):07d}",
        "requested_at": at,
        "user_id": user,
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "input_tokens": 100,
        "output_tokens": 50,
        "total_tokens": 150,
        "cost_microdollars": cost,
        "is_priced": cost is not None,
        "is_synthetic": synthetic,
        "latency_ms": 900,
        "status": "success",
    }


def _dataset(uniform: bool) -> list[dict[str, Any]]:
    """A long tail of users (a few heavy ones on many days, most on one or two), unpriced
    users, synthetic requests and requests of no user; or (``uniform``) every user alike, so
    that no bound can tell them apart."""
    rng = random.Random(11)
    rows = []
    for rank in range(USERS):
        user = f"user-{rank:04d}"
        if uniform:
            rows += [
                _request(END - timedelta(hours=hour, minutes=10), user, 1_000, False)
                for hour in range(0, DAYS * 24, 7)
            ]
            continue
        unpriced = rank % 37 == 5
        days = max(1, int(DAYS * 24 / (1 + rank / 3)))
        for hour in sorted(rng.sample(range(DAYS * 24), days)):
            at = END - timedelta(hours=hour) - timedelta(minutes=rng.randrange(60))
            for _ in range(max(1, int(rng.expovariate(1.0) * 30 / (1 + rank)))):
                cost = None if unpriced else rng.choice((700, 1_000, 9_000))
                rows.append(_request(at, user, cost, synthetic=rng.random() < 0.03))
    for hour in range(0, DAYS * 24, 5):
        rows.append(_request(END - timedelta(hours=hour, minutes=3), None, 2_000, False))
    return rows


def _expected(
    rows: list[dict[str, Any]], period: Period, synthetic: bool
) -> dict[str | None, tuple[int, int | None]]:
    """Requests and cost (None: none priced) per user of the window's billable requests."""
    found: dict[str | None, tuple[int, int | None]] = {}
    for row in rows:
        if not period.since <= row["requested_at"] < period.until:
            continue
        if row["is_synthetic"] and not synthetic:
            continue
        requests, cost = found.get(row["user_id"], (0, None))
        if row["cost_microdollars"] is not None:
            cost = (cost or 0) + row["cost_microdollars"]
        found[row["user_id"]] = (requests + 1, cost)
    return found


@pytest.fixture(params=[False, True], ids=["long tail", "uniform"])
def many_users(request: pytest.FixtureRequest, db_engine: Engine) -> Iterator[tuple[Engine, Any]]:
    rows = _dataset(request.param)
    with db_engine.begin() as conn:
        conn.execute(ai_requests.insert(), rows)
    rebuild_rollups(db_engine, datetime.now(UTC))
    yield db_engine, (request.param, rows)


def _ranked_statements(conn: Connection) -> list[str]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        if "AS per_user" in str(args[2]):
            statements.append(str(args[2]))

    event.listen(conn, "before_cursor_execute", record)
    return statements


@pytest.mark.parametrize("limit", [1, 5, 20])
def test_top_users_are_those_of_ranking_every_user(
    many_users: tuple[Engine, Any], limit: int
) -> None:
    engine, (uniform, rows) = many_users
    for window, period in WINDOWS.items():
        for by in UserRanking:
            for synthetic in (False, True):
                sums = _expected(rows, period, synthetic)
                users = {user: found for user, found in sums.items() if user is not None}
                if by is UserRanking.requests:
                    key = lambda item: (-item[1][0], item[1][1] is None, -(item[1][1] or 0))  # noqa: E731
                else:
                    key = lambda item: (item[1][1] is None, -(item[1][1] or 0), -item[1][0])  # noqa: E731
                expected = sorted(users.items(), key=lambda item: (*key(item), item[0]))[:limit]
                for use_rollups in (True, False):
                    with engine.connect() as conn:
                        ranked = _ranked_statements(conn)
                        report = top_users(
                            conn, period, limit, by, synthetic, use_rollups=use_rollups
                        )
                    found = [
                        (row["user_id"], (row["ai_requests"], row["cost_microdollars"]))
                        for row in report.users.rows
                    ]
                    case = f"{window}, {by}, synthetic={synthetic}, rollups={use_rollups}"
                    assert found == expected, case
                    assert report.users.total_rows == len(users), case
                    assert report.rest["users"] == len(users) - len(found), case
                    # On PostgreSQL, long-tailed users are settled by the candidates, alike
                    # ones are not; SQLite ranks every user at once.
                    bounded = conn.dialect.name == "postgresql"
                    assert len(ranked) == (2 if uniform and bounded else 1), case


@pytest.mark.parametrize("limit", [1, 20])
def test_costs_by_user_are_those_of_ranking_every_user(
    many_users: tuple[Engine, Any], limit: int
) -> None:
    engine, (_, rows) = many_users
    for window, period in WINDOWS.items():
        sums = _expected(rows, period, False)
        expected = sorted(
            sums.items(),
            key=lambda item: (-(item[1][1] or 0), -item[1][0], item[0] is None, item[0] or ""),
        )[:limit]
        for use_rollups in (True, False):
            with engine.connect() as conn:
                report = cost_breakdown(
                    conn,
                    CostWindow(period, default=False),
                    RequestFilter(),
                    "user",
                    limit,
                    use_rollups=use_rollups,
                )
            found = [
                (None if row["unattributed"] else row["user_id"],
                 (row["requests"], row["cost_microdollars"]))
                for row in report.rows
            ]  # fmt: skip
            assert found == expected, f"{window}, rollups={use_rollups}"
            assert report.total["groups"] == len(sums)
