"""What the content and navigation reports read from their rollups, for a session filter.

The content rollups (``content_*`` and ``navigation*`` in storage/rollups/specs.py) group by
page (or by previous page and page) or by nothing, and always by human or bot session: the
default filter (humans) and ``include_bots`` are read from buckets; a source or channel is
not a rollup key, so those filters read raw rows (:func:`raw_session_condition`).

Distinct counts (visitors, pages, sessions) come from the rollups' key sets, exactly: the size
of the union of the window's sets (storage/rollups/values.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, true, tuple_
from sqlalchemy.sql import Subquery

from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.storage.rollups import Plan, RollupReader
from systemprompt_analytics.storage.rollups.source import Columns, KeyFilter

# Above this many wanted groups, rows are read for every group (the others are left unused)
# rather than naming each group in the query.
LISTED_GROUPS = 500


def raw_session_condition(where: SessionFilter) -> ColumnElement[bool] | None:
    """The filter as a condition on raw rows when it names a source or channel, which the
    content rollups do not group by (the report then reads raw rows only); None otherwise."""
    if where.source is None and where.channel is None:
        return None
    return where.condition()


def facts_and_plan(
    source: RollupReader, name: str, boundaries: Sequence[datetime], where: SessionFilter
) -> tuple[Subquery, Plan]:
    """The window's rows of rollup ``name`` (:meth:`RollupReader.facts`) and the plan they
    were read with: every row raw under a filter the rollup cannot express."""
    raw = raw_session_condition(where)
    facts = source.facts(name, boundaries, raw_condition=raw)
    if raw is not None:
        return facts, Plan(raw=((boundaries[0], boundaries[-1]),))
    return facts, source.plan(name, boundaries)


def counted(where: SessionFilter, columns: Columns) -> ColumnElement[bool]:
    """The rows of a content rollup (by column name) that ``where`` counts: human sessions'
    unless it includes bots."""
    return true() if where.include_bots else and_(columns["is_human"])


def in_groups(
    columns: Columns, keys: Sequence[str], groups: Collection[tuple[Any, ...]]
) -> ColumnElement[bool]:
    """Rows whose ``keys`` are one of ``groups`` (every row when there are many)."""
    if len(groups) > LISTED_GROUPS:
        return true()
    if not groups:
        return false()
    if len(keys) == 1:
        column: ColumnElement[Any] = columns[keys[0]]
        return column.in_([group[0] for group in groups])
    return tuple_(*(columns[key] for key in keys)).in_(list(groups))


def distinct_counts(
    source: RollupReader,
    name: str,
    column: str,
    cuts: Sequence[datetime],
    where: SessionFilter,
    *,
    keys: Sequence[str] = (),
    also: KeyFilter | None = None,
    days: bool = True,
    when: Any = None,
) -> dict[tuple[Any, ...], int]:
    """Distinct keys of key-set ``column`` of rollup ``name`` counted by ``where`` (and
    ``also``), per (stretch between cuts, ``when(bucket)``, *values of ``keys``)."""

    def wanted(columns: Columns) -> ColumnElement[bool]:
        condition = counted(where, columns)
        return condition if also is None else and_(condition, also(columns))

    return source.distinct_counts(
        name,
        column,
        cuts,
        keys=keys,
        where=wanted,
        days=days,
        raw_condition=raw_session_condition(where),
        when=when,
    )


def number(value: Any) -> int:
    """A summed count as an int (PostgreSQL sums come back as decimals; nothing is 0)."""
    return 0 if value is None else int(value)


def mean(total: Any, count: Any) -> float | None:
    """``total / count`` (None for no rows): an average from a sum and a count."""
    rows = number(count)
    return None if rows == 0 else number(total) / rows


def current_and_previous(counts: Mapping[tuple[Any, ...], int]) -> tuple[int, int]:
    """The counts of the period and the previous one, from groups ``(interval, None)`` read
    across ``cuts(period, previous=True)`` (0 where nothing was found)."""
    return counts.get((1, None), 0), counts.get((0, None), 0)
