"""The largest groups of a rollup by a summed count, exactly, without summing every group.

A window's rows of a rollup (daily and hourly buckets, raw rows at the edges) each hold a
count. When every bucket row of a group counts less than ``c``, the group's total is at most
``(c - 1) × buckets × rows_per_bucket``. So the *candidates* — the groups with a bucket row of
at least ``c``, and every group with raw rows — are summed exactly, and when the k-th largest
of them is above that bound no other group can be among the k largest or tie with the k-th:
those k are the answer, in the same order as summing every group. Otherwise ``c`` is lowered
(from the k-th total found) and the search repeated; at ``c = 1`` every group is summed.

With a long tail of small groups (transitions between two pages: most pairs happen once a
day), this sums a few hundred groups instead of a hundred thousand.

:func:`bounded_groups` bounds each group on its own instead: its sum is at most its count of
values times its largest value. Counting and taking a maximum per group is much cheaper than
summing (PostgreSQL sums BIGINT columns as NUMERIC), so one pass finds how many groups there
are and the few with the largest bounds; the report sums those exactly, and when the k-th
largest sum among them exceeds every other group's bound, they hold the k largest groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Numeric,
    and_,
    cast,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.sql import Subquery

from systemprompt_analytics.reports.content_facts import LISTED_GROUPS, in_groups
from systemprompt_analytics.storage.rollups import Plan
from systemprompt_analytics.storage.rollups.state import DAY, HOUR


def _buckets(plan: Plan) -> int:
    days = sum((end - start) // DAY for start, end in plan.daily)
    hours = sum((end - start) // HOUR for start, end in plan.hourly)
    return int(days + hours)


def _within(column: Any, ranges: Sequence[tuple[datetime, datetime]]) -> ColumnElement[bool]:
    return or_(*(and_(column >= start, column < end) for start, end in ranges))


def top_groups(
    conn: Connection,
    facts: Subquery,
    plan: Plan,
    keys: Sequence[str],
    count: str,
    condition: ColumnElement[bool],
    limit: int,
    *,
    rows_per_bucket: int = 1,
) -> list[dict[str, Any]]:
    """The ``limit`` groups (by ``keys``) of the ``facts`` rows meeting ``condition`` with the
    largest sum of ``count``, largest first then by key — each a dict of the keys and the
    sum. ``plan`` is the plan ``facts`` was read with; ``rows_per_bucket`` is how many rows
    one group may have in one bucket (e.g. 2 when human and bot rows both count)."""
    columns = [facts.c[key] for key in keys]
    total = func.sum(facts.c[count])

    def summed(among: ColumnElement[bool]) -> list[dict[str, Any]]:
        statement = (
            select(*columns, total.label(count))
            .where(condition, among)
            .group_by(*columns)
            .order_by(total.desc(), *columns)
            .limit(limit)
        )
        return [dict(row._mapping) for row in conn.execute(statement)]

    def groups(among: ColumnElement[bool]) -> set[tuple[Any, ...]]:
        statement = select(*columns).where(condition, among).group_by(*columns)
        return {tuple(row) for row in conn.execute(statement)}

    per_bucket = _buckets(plan) * rows_per_bucket
    if per_bucket == 0:
        return summed(true())
    # The first threshold: the count of the (buckets × k)-th largest row, about the size of
    # the top groups' rows when each of them has a row in every bucket.
    start = conn.execute(
        select(facts.c[count])
        .where(condition)
        .order_by(facts.c[count].desc())
        .offset(per_bucket * limit)
        .limit(1)
    ).scalar()
    least = int(start or 1)
    raw = groups(_within(facts.c.bucket_at, plan.raw)) if plan.raw else set()
    while least > 1:
        # Raw rows count 1 each, below ``least``: their groups are added as candidates.
        candidates = groups(facts.c[count] >= least) | raw
        if len(candidates) > LISTED_GROUPS:
            break
        found = summed(in_groups(facts.c, keys, candidates)) if candidates else []
        if len(found) < limit:
            least //= 2
            continue
        kth = int(found[-1][count])
        if kth > (least - 1) * per_bucket:
            return found
        least = min(least - 1, (kth - 1) // per_bucket + 1)
    return summed(true())


# The groups with the largest bounds summed exactly (per group shown, and at least): enough
# for a long-tailed ranking (users by AI requests or cost) to be settled from them.
CANDIDATES_PER_ROW = 25
LEAST_CANDIDATES = 200
# Above this many candidates, a report ranks every group at once.
MOST_CANDIDATES = 2_000


@dataclass(frozen=True)
class Bounded:
    """The groups whose sum may be among the largest (``keys``), how many groups there are in
    all (None when not counted), and the largest bound of a group left out (None: none has a
    bound)."""

    groups: int | None
    keys: list[Any]
    next_bound: Any
    complete: bool  # every group is a candidate

    def among(self, key: Any) -> ColumnElement[bool]:
        """Rows of the candidate groups (a NULL key is a group too)."""
        if self.complete:
            return true()
        plain = [value for value in self.keys if value is not None]
        terms: list[ColumnElement[bool]] = [key.in_(plain)] if plain else []
        if len(plain) < len(self.keys):
            terms.append(key.is_(None))
        return or_(false(), *terms)

    def proves(self, kth: Any) -> bool:
        """True when ``kth`` — the k-th largest sum among the candidates (None: fewer than k,
        or unknown) — is above every bound left out, so that no group left out can reach or
        tie it: the k largest candidates are the k largest groups."""
        if self.complete:
            return True
        return kth is not None and (self.next_bound is None or self.next_bound < kth)


def candidates_for(conn: Connection, limit: int) -> int | None:
    """How many candidates to sum for ``limit`` rows; None: rank every group — for many rows,
    or on SQLite, whose sums of integers cost about what the bounds do (no NUMERIC)."""
    wanted = max(LEAST_CANDIDATES, CANDIDATES_PER_ROW * limit)
    if conn.dialect.name != "postgresql" or wanted > MOST_CANDIDATES:
        return None
    return wanted


def bounded_groups(
    conn: Connection,
    key: Any,
    value: Any,
    condition: ColumnElement[bool],
    candidates: int,
    *,
    empty: int | None = None,
    count: bool = True,
) -> Bounded:
    """The ``candidates`` groups (by ``key``) of the rows meeting ``condition`` with the
    largest bounds on their sum of ``value`` — count of values × largest value (``empty``
    for a group without values: the sum the ranking gives it) — and how many groups there
    are (unless not ``count``). ``key``, ``value`` and ``condition`` are on one FROM clause
    (a report's facts)."""
    # NUMERIC: the product of two BIGINTs may not fit one.
    bound = cast(func.count(value), Numeric) * func.max(value)
    if empty is not None:
        bound = func.coalesce(bound, empty)
    grouped = select(key.label("key"), bound.label("bound")).where(condition).group_by(key)
    g = grouped.subquery("bounded")
    groups = [func.count().over().label("groups")] if count else []
    statement = (
        select(g.c.key, g.c.bound, *groups)
        .order_by(g.c.bound.desc().nulls_last())
        .limit(candidates + 1)
    )
    rows = conn.execute(statement).all()
    kept = rows[:candidates]
    return Bounded(
        groups=(int(rows[0].groups) if rows else 0) if count else None,
        keys=[row.key for row in kept],
        next_bound=rows[candidates].bound if len(rows) > candidates else None,
        complete=len(rows) <= candidates,
    )
