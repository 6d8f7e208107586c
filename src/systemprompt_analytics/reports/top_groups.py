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
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, true
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
