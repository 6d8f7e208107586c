"""The k largest groups found from heavy bucket rows equal the k largest of all groups (same
order, ties by key), on both databases — with long tails, ties at the k-th group, raw rows,
two rows per bucket, and when the first guess of the threshold is too high."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, Table, Text, event, select
from sqlalchemy import true as sql_true

from systemprompt_analytics.reports.top_groups import top_groups
from systemprompt_analytics.storage.rollups import Plan
from systemprompt_analytics.storage.types import UTCDateTime

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 6
HOURS = 5  # hourly buckets after the days
RAW = (START + timedelta(days=DAYS, hours=HOURS), START + timedelta(days=DAYS, hours=HOURS + 1))
PLAN = Plan(
    daily=((START, START + timedelta(days=DAYS)),),
    hourly=((START + timedelta(days=DAYS), RAW[0]),),
    raw=(RAW,),
)
BUCKETS = [START + timedelta(days=day) for day in range(DAYS)] + [
    START + timedelta(days=DAYS, hours=hour) for hour in range(HOURS)
]

rows_table = Table(
    "test_top_groups_rows",
    MetaData(),
    Column("bucket_at", UTCDateTime, nullable=False),
    Column("path", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("page_views", Integer, nullable=False),
)


@pytest.fixture
def table(db_engine: Engine) -> Iterator[Engine]:
    rows_table.create(db_engine)
    try:
        yield db_engine
    finally:
        rows_table.drop(db_engine)


def _dataset(seed: int, kinds: int) -> list[dict[str, Any]]:
    """A long tail of pages, a few heavy ones, ties, and raw rows (count 1) at the edge."""
    rng = random.Random(seed)
    rows = []
    for rank in range(120):
        weight = 60.0 / (rank + 1)
        for bucket in BUCKETS:
            for kind in ("human", "bot")[:kinds]:
                count = int(rng.expovariate(1.0 / weight)) if rng.random() < 0.7 else 0
                if count:
                    rows.append(_row(bucket, f"/p{rank:03d}", kind, count))
    for twin in ("/tie-a", "/tie-b", "/tie-c"):  # equal totals, ordered by path
        rows += [_row(bucket, twin, "human", 9) for bucket in BUCKETS]
    for _ in range(40):
        moment = RAW[0] + timedelta(seconds=rng.randrange(3600))
        rows.append(_row(moment, f"/p{rng.randrange(150):03d}", "human", 1))
    return rows


def _row(moment: datetime, path: str, kind: str, count: int) -> dict[str, Any]:
    return {"bucket_at": moment, "path": path, "kind": kind, "page_views": count}


def _expected(rows: list[dict[str, Any]], limit: int, kinds: int) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for row in rows:
        if kinds == 2 or row["kind"] == "human":
            totals[row["path"]] = totals.get(row["path"], 0) + row["page_views"]
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _found(conn: Connection, limit: int, kinds: int) -> list[tuple[str, int]]:
    facts = select(rows_table).subquery("facts")
    condition = sql_true() if kinds == 2 else facts.c.kind == "human"
    found = top_groups(
        conn, facts, PLAN, ("path",), "page_views", condition, limit, rows_per_bucket=kinds
    )
    return [(row["path"], int(row["page_views"])) for row in found]


@pytest.mark.parametrize("kinds", [1, 2])
@pytest.mark.parametrize("limit", [1, 3, 10, 40, 500])
def test_the_largest_groups_are_those_of_every_group(table: Engine, limit: int, kinds: int) -> None:
    statements: list[str] = []
    with table.begin() as conn:
        event.listen(conn, "before_cursor_execute", _recorder(statements))
        for seed in range(3):
            conn.execute(rows_table.delete())
            rows = _dataset(seed, kinds)
            conn.execute(rows_table.insert(), rows)
            assert _found(conn, limit, kinds) == _expected(rows, limit, kinds)
    if limit <= 10:  # the candidates were summed, not every group (one IN list at least)
        assert any(" IN " in statement.upper() for statement in statements)


def _recorder(statements: list[str]) -> Any:
    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    return record


def test_ties_at_the_kth_group_are_ordered_by_key(table: Engine) -> None:
    rows = [_row(bucket, twin, "human", 9) for bucket in BUCKETS for twin in ("/b", "/a", "/c")]
    rows += [_row(bucket, "/top", "human", 30) for bucket in BUCKETS]
    rows += [_row(BUCKETS[0], f"/tail{n}", "human", 1) for n in range(50)]
    with table.begin() as conn:
        conn.execute(rows_table.insert(), rows)
        found = _found(conn, 3, 1)
    assert found == [("/top", 330), ("/a", 99), ("/b", 99)]


def test_no_rows(table: Engine) -> None:
    with table.begin() as conn:
        assert _found(conn, 5, 1) == []


@pytest.mark.parametrize("kinds", [1, 2])
def test_a_group_of_many_small_rows_beats_groups_of_one_large_row(
    table: Engine, kinds: int
) -> None:
    """``/wide`` never has a large bucket row, yet its total is the largest: the bound on the
    groups left out must count every bucket (and every row a bucket holds per group)."""
    rows = [_row(BUCKETS[n % len(BUCKETS)], f"/spike{n:02d}", "human", 50 + n) for n in range(20)]
    for kind in ("human", "bot")[:kinds]:
        rows += [_row(bucket, "/wide", kind, 12 // kinds) for bucket in BUCKETS]
    with table.begin() as conn:
        conn.execute(rows_table.insert(), rows)
        found = _found(conn, 1, kinds)
    assert found == [("/wide", 12 * len(BUCKETS))]


def test_a_group_of_raw_rows_counts_however_small_each_row(table: Engine) -> None:
    """Raw rows at the window's edge count 1 each and are not bounded by the buckets: their
    groups are always summed."""
    rows = [_row(BUCKETS[n % len(BUCKETS)], f"/spike{n:02d}", "human", 50 + n) for n in range(20)]
    rows += [_row(RAW[0] + timedelta(seconds=n), "/edge", "human", 1) for n in range(200)]
    with table.begin() as conn:
        conn.execute(rows_table.insert(), rows)
        found = _found(conn, 1, 1)
    assert found == [("/edge", 200)]
