"""The k largest groups found from heavy bucket rows equal the k largest of all groups (same
order, ties by key), on both databases — with long tails, ties at the k-th group, raw rows,
two rows per bucket, and when the first guess of the threshold is too high."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    event,
    func,
    select,
)
from sqlalchemy import true as sql_true

from systemprompt_analytics.reports.top_groups import bounded_groups, top_groups
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


# ------------------------------------------------------------------------------------------
# bounded_groups: each group bounded by its count of values times its largest value
# ------------------------------------------------------------------------------------------
bounded_table = Table(
    "test_bounded_groups_rows",
    MetaData(),
    Column("bucket_at", UTCDateTime, nullable=False),
    Column("owner", Text, nullable=True),
    Column("amount", BigInteger, nullable=True),
)
CANDIDATES = 30


@pytest.fixture
def bounded(db_engine: Engine) -> Iterator[Engine]:
    bounded_table.create(db_engine)
    try:
        yield db_engine
    finally:
        bounded_table.drop(db_engine)


def _owner_rows(seed: int) -> list[dict[str, Any]]:
    """A long tail of owners over the buckets (some amounts unknown, one owner of none, rows
    of no owner), two owners tied just below the top, and many owners of a few small rows."""
    rng = random.Random(seed)
    rows = []
    for rank in range(150):
        for bucket in BUCKETS:
            if rng.random() < 0.5:
                amount = None if rng.random() < 0.1 else int(rng.expovariate(rank + 1) * 9000)
                rows.append(_amount(bucket, f"o{rank:03d}", amount))
    for twin in ("t-b", "t-a"):
        rows += [_amount(bucket, twin, 700) for bucket in BUCKETS]
    rows += [_amount(BUCKETS[n % len(BUCKETS)], f"small{n:03d}", n % 7) for n in range(300)]
    rows += [_amount(BUCKETS[0], "unknown", None), _amount(BUCKETS[1], None, 50_000)]
    return rows


def _amount(moment: datetime, owner: str | None, amount: int | None) -> dict[str, Any]:
    return {"bucket_at": moment, "owner": owner, "amount": amount}


def _sums(rows: list[dict[str, Any]]) -> dict[str | None, int | None]:
    sums: dict[str | None, int | None] = {}
    for row in rows:
        known = sums.get(row["owner"])
        if row["amount"] is not None:
            known = (known or 0) + row["amount"]
        sums[row["owner"]] = known
    return sums


def _ranked_by_bound(
    conn: Connection, limit: int, empty: int | None
) -> tuple[list[tuple[str | None, int | None]], bool, int | None]:
    """The report's use of :func:`bounded_groups`: rank the candidates, and every group when
    their k-th sum does not settle it. ``empty`` None: unknown sums last, no-owner rows left
    out (``users top``); 0: unknown sums count 0 and the no-owner group ranks (``costs
    breakdown``)."""
    b = bounded_table.c
    condition = sql_true() if empty == 0 else b.owner.is_not(None)
    total = func.sum(b.amount)
    primary = total.desc().nulls_last() if empty is None else func.coalesce(total, 0).desc()

    def ranked(among: Any) -> list[tuple[str | None, int | None]]:
        statement = (
            select(b.owner, total)
            .where(condition, among)
            .group_by(b.owner)
            .order_by(primary, b.owner.asc().nulls_last())
            .limit(limit)
        )
        return [
            (owner, None if found is None else int(found))
            for owner, found in conn.execute(statement)
        ]

    found_bound = bounded_groups(conn, b.owner, b.amount, condition, CANDIDATES, empty=empty)
    found = ranked(found_bound.among(b.owner))
    kth = None
    if len(found) == limit:
        kth = found[-1][1] if empty is None else (found[-1][1] or 0)
    proved = found_bound.proves(kth)
    return (found if proved else ranked(sql_true())), proved, found_bound.groups


def _expected_ranking(
    rows: list[dict[str, Any]], limit: int, empty: int | None
) -> list[tuple[str | None, int | None]]:
    sums = _sums(rows)
    if empty is None:
        sums.pop(None, None)
        key = lambda item: (item[1] is None, -(item[1] or 0), item[0])  # noqa: E731
    else:
        key = lambda item: (-(item[1] or 0), item[0] is None, item[0] or "")  # noqa: E731
    return sorted(sums.items(), key=key)[:limit]


@pytest.mark.parametrize("empty", [None, 0])
@pytest.mark.parametrize("limit", [1, 3, 10])
def test_bounded_candidates_hold_the_largest_groups(
    bounded: Engine, limit: int, empty: int | None
) -> None:
    with bounded.begin() as conn:
        for seed in range(3):
            conn.execute(bounded_table.delete())
            rows = _owner_rows(seed)
            conn.execute(bounded_table.insert(), rows)
            found, proved, groups = _ranked_by_bound(conn, limit, empty)
            assert found == _expected_ranking(rows, limit, empty)
            assert proved  # settled by the candidates alone: the long tail was not summed
            owners = _sums(rows)
            assert groups == len(owners) - (1 if empty is None else 0)
            assert groups > CANDIDATES


def test_bounds_that_settle_nothing_fall_back_to_every_group(bounded: Engine) -> None:
    """Every owner alike (each bound equals its sum, and the k-th sum equals the bound of
    owners left out): the candidates prove nothing, and every group is ranked."""
    rows = [_amount(bucket, f"o{n:03d}", 10) for n in range(80) for bucket in BUCKETS[:3]]
    rows += [_amount(BUCKETS[0], "top", 1_000)]
    with bounded.begin() as conn:
        conn.execute(bounded_table.insert(), rows)
        found, proved, groups = _ranked_by_bound(conn, 3, None)
    assert not proved
    assert found == [("top", 1_000), ("o000", 30), ("o001", 30)]
    assert groups == 81


def test_few_groups_are_all_candidates(bounded: Engine) -> None:
    rows = [_amount(BUCKETS[0], "a", None), _amount(BUCKETS[1], "b", 5)]
    with bounded.begin() as conn:
        conn.execute(bounded_table.insert(), rows)
        found_bound = bounded_groups(
            conn, bounded_table.c.owner, bounded_table.c.amount, sql_true(), CANDIDATES
        )
        found, proved, _ = _ranked_by_bound(conn, 5, None)
    assert found_bound.complete and found_bound.groups == 2
    assert proved and found == [("b", 5), ("a", None)]
