"""A metric over a period next to its value over the previous period of equal length."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, and_, distinct, func, select
from sqlalchemy.sql import FromClause

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.definitions import in_period

MetricKind = Literal["count", "amount", "mean", "rate"]


@dataclass(frozen=True)
class Comparison:
    """``change_pct`` is the relative change; for rates (shares in [0, 1]) ``change_pts`` is the
    difference in percentage points instead, because a relative change of a rate misleads."""

    current: float | int | None
    previous: float | int | None
    kind: MetricKind = "count"

    @property
    def change_pct(self) -> float | None:
        if self.kind == "rate" or self.current is None or not self.previous:
            return None
        return round((self.current - self.previous) / self.previous * 100.0, 2)

    @property
    def change_pts(self) -> float | None:
        if self.kind != "rate" or self.current is None or self.previous is None:
            return None
        return round((self.current - self.previous) * 100.0, 2)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"current": self.current, "previous": self.previous}
        if self.kind == "rate":
            result["change_pts"] = self.change_pts
        else:
            result["change_pct"] = self.change_pct
        return result


def ratio(numerator: float | int | None, denominator: float | int | None) -> float | None:
    """A share in [0, 1], or None when there is nothing to divide by."""
    if not denominator or numerator is None:
        return None
    return round(numerator / denominator, 6)


# An aggregate built for one period's filter, e.g. ``lambda f: func.count().filter(f)``.
Aggregate = Callable[[ColumnElement[bool]], ColumnElement[Any]]


def aggregate_both_periods(
    conn: Connection,
    source: FromClause,
    time_column: Any,
    period: Period,
    aggregates: Mapping[str, Aggregate],
    where: ColumnElement[bool] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compute every aggregate for the period and the previous one in a single query.

    Rows are read once over ``[previous.since, until)``; each aggregate is filtered per period.
    """
    current_filter = in_period(time_column, period)
    previous_filter = in_period(time_column, period.previous)
    columns = []
    for name, build in aggregates.items():
        columns.append(build(current_filter).label(f"cur_{name}"))
        columns.append(build(previous_filter).label(f"prev_{name}"))
    span = and_(time_column >= period.previous.since, time_column < period.until)
    statement = select(*columns).select_from(source).where(span)
    if where is not None:
        statement = statement.where(where)
    row = conn.execute(statement).one()._mapping
    current = {name: row[f"cur_{name}"] for name in aggregates}
    previous = {name: row[f"prev_{name}"] for name in aggregates}
    return current, previous


def count_of(condition: ColumnElement[bool] | None = None) -> Aggregate:
    """Rows of the period (that also meet ``condition``)."""

    def build(period_filter: ColumnElement[bool]) -> ColumnElement[Any]:
        where = period_filter if condition is None else and_(period_filter, condition)
        return func.count().filter(where)

    return build


def sum_of(column: Any, condition: ColumnElement[bool] | None = None) -> Aggregate:
    def build(period_filter: ColumnElement[bool]) -> ColumnElement[Any]:
        where = period_filter if condition is None else and_(period_filter, condition)
        return func.coalesce(func.sum(column).filter(where), 0)

    return build


def avg_of(column: Any, condition: ColumnElement[bool] | None = None) -> Aggregate:
    def build(period_filter: ColumnElement[bool]) -> ColumnElement[Any]:
        where = period_filter if condition is None else and_(period_filter, condition)
        return func.avg(column).filter(where)

    return build


def count_distinct_of(column: Any, condition: ColumnElement[bool]) -> Aggregate:
    def build(period_filter: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.count(distinct(column)).filter(and_(period_filter, condition))

    return build
