"""The rows reports aggregate, from rollups where they are built (storage/rollups/).

Each function returns a subquery of a rollup's rows for a window — ``bucket_at``, the
rollup's keys and its measures — from daily and hourly buckets and raw rows at the edges; a
report sums measures over it. Reports take ``use_rollups`` and pass it on: False reads every
row raw (the reference the rollups are tested against).

Percentiles come from the rollups' sorted value lists (:func:`percentiles`), exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, and_, cast, true
from sqlalchemy.sql import FromClause, Subquery

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import PERCENTILE_FIGURES
from systemprompt_analytics.reports.compare import Aggregate, sum_of
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.storage.rollups import RollupReader, ValueRun
from systemprompt_analytics.storage.rollups.source import Columns, KeyFilter
from systemprompt_analytics.storage.rollups.specs import BOT
from systemprompt_analytics.storage.rollups.values import SortedRuns

AI_KEYS = ("provider", "model", "agent_name", "is_synthetic")
AI_USER_KEYS = ("user_id", "is_synthetic")
LATENCY_KEYS = ("provider", "model", "is_synthetic")


def reader(conn: Connection, use_rollups: bool) -> RollupReader:
    return RollupReader(conn, enabled=use_rollups)


def cuts(period: Period, *, previous: bool = False) -> list[datetime]:
    """The boundaries a report reads across: the period, after the previous one if asked."""
    if previous:
        return [period.previous.since, period.since, period.until]
    return [period.since, period.until]


def request_filter_on(filters: RequestFilter, columns: Columns) -> ColumnElement[bool]:
    """``filters`` on a rollup's columns by name (only the ones it has: see
    :func:`raw_request_condition`)."""
    parts: list[ColumnElement[bool]] = []
    if not filters.include_synthetic:
        parts.append(columns["is_synthetic"] == False)  # noqa: E712 - a SQL comparison
    for name in ("provider", "model", "status", "user_id", "session_id"):
        value = getattr(filters, name)
        if value is not None and name in columns:
            parts.append(columns[name] == value)
    return and_(true(), *parts)


def raw_request_condition(
    filters: RequestFilter, keys: Iterable[str]
) -> ColumnElement[bool] | None:
    """The filter as a condition on raw rows when it names something a rollup with ``keys``
    does not group by (the report then reads raw rows only); None when the rollup can."""
    wanted = {name for name in ("provider", "model", "status", "user_id", "session_id")
              if getattr(filters, name) is not None}  # fmt: skip
    return None if wanted <= set(keys) else filters.condition()


def ai_facts(
    source: RollupReader,
    boundaries: Sequence[datetime],
    filters: RequestFilter,
    *,
    days: bool = True,
    by_user: bool = False,
) -> Subquery:
    """AI request rows of the window (per provider, model and agent; or ``by_user``)."""
    name, keys = ("ai_users", AI_USER_KEYS) if by_user else ("ai_requests", AI_KEYS)
    return source.facts(
        name, boundaries, days=days, raw_condition=raw_request_condition(filters, keys)
    )


def percentiles(
    runs: Iterable[ValueRun],
    fractions: Mapping[str, float],
    group: Callable[[ValueRun], Hashable],
) -> dict[Hashable, dict[str, float | None]]:
    """Each group's percentiles (``name → fraction``) over its runs' values."""
    grouped: dict[Hashable, SortedRuns] = {}
    for run in runs:
        grouped.setdefault(group(run), SortedRuns()).add(run.values)
    return {
        key: {name: values.percentile(fraction) for name, fraction in fractions.items()}
        for key, values in grouped.items()
    }


def latency_values(
    source: RollupReader,
    column: str,
    boundaries: Sequence[datetime],
    filters: RequestFilter,
    *,
    keys: Sequence[str] = (),
    days: bool = True,
) -> list[ValueRun]:
    """The window's latency (or time-to-first-token) values of the requests ``filters``
    counts, as sorted runs."""
    where: KeyFilter = lambda columns: request_filter_on(filters, columns)  # noqa: E731
    return source.values(
        "ai_latencies",
        column,
        boundaries,
        keys=keys,
        where=where,
        days=days,
        raw_condition=raw_request_condition(filters, LATENCY_KEYS),
    )


def request_percentiles(
    source: RollupReader,
    boundaries: Sequence[datetime],
    filters: RequestFilter,
    *,
    names: Iterable[str] | None = None,
    keys: Sequence[str] = (),
    group: Callable[[ValueRun], Hashable] = lambda run: run.interval,
    days: bool = True,
) -> dict[Hashable, dict[str, float | None]]:
    """Latency and time-to-first-token percentiles (the :data:`PERCENTILE_FIGURES` in
    ``names``, default all) of the requests ``filters`` counts, per ``group`` of value runs
    (by default: per stretch between ``boundaries``)."""
    wanted = set(names) if names is not None else None
    columns: dict[str, dict[str, float]] = {}
    for name, column, fraction in PERCENTILE_FIGURES:
        if wanted is None or name in wanted:
            columns.setdefault(column, {})[name] = fraction
    found: dict[Hashable, dict[str, float | None]] = {}
    for column, fractions in columns.items():
        runs = latency_values(source, column, boundaries, filters, keys=keys, days=days)
        for key, figures in percentiles(runs, fractions, group).items():
            found.setdefault(key, {}).update(figures)
    return found


def human_row(facts: FromClause) -> ColumnElement[bool]:
    """A row of the sessions rollup that counts human sessions (engaged or ghost)."""
    return facts.c.kind != BOT


def bot_row(facts: FromClause) -> ColumnElement[bool]:
    return facts.c.kind == BOT


def count_of_rows(column: Any, condition: ColumnElement[bool] | None = None) -> Aggregate:
    """A count kept in rollup column ``column`` (e.g. ``sessions``), summed over a period's
    rows meeting ``condition``: an integer (0 for none) on both databases, like COUNT."""
    total = sum_of(column, condition)

    def build(period_filter: ColumnElement[bool]) -> ColumnElement[Any]:
        return cast(total(period_filter), BigInteger)

    return build


def sessions_of(facts: FromClause, condition: ColumnElement[bool] | None = None) -> Aggregate:
    """Sessions (rows of the sessions rollup meeting ``condition``) in a period."""
    return count_of_rows(facts.c.sessions, condition)
