"""Ranked lists for the platform reports: the rows shown, how many there are in all, and
shares of the true total (never of the rows shown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, distinct, func, select
from sqlalchemy.sql import FromClause

from systemprompt_analytics.reports.compare import ratio

NO_MESSAGE = "(no message)"


@dataclass(frozen=True)
class RankedRows:
    """At most ``limit`` rows of a grouped list, and how many groups there are in all."""

    rows: list[dict[str, Any]]
    total_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "total_rows": self.total_rows}


def top_groups(
    conn: Connection,
    source: FromClause,
    label: ColumnElement[Any],
    where: ColumnElement[bool],
    total: int,
    limit: int,
    count_name: str,
    other_label: str,
) -> RankedRows:
    """Rows of ``source`` counted per ``label``, largest first, each with its share of
    ``total``; the groups past ``limit`` are summed into one ``other_label`` row, so the rows
    always add up to the total of the groups. ``total_rows`` counts the groups themselves."""
    name = label.name
    shown = conn.execute(
        select(label, func.count().label(count_name))
        .select_from(source)
        .where(where)
        .group_by(label)
        .order_by(func.count().desc(), label)
        .limit(limit)
    ).all()
    counted, groups = conn.execute(
        select(func.count(), func.count(distinct(label))).select_from(source).where(where)
    ).one()
    rows = [
        {name: value, count_name: count, "share_of_all": ratio(count, total)}
        for value, count in shown
    ]
    rest = int(counted) - sum(count for _, count in shown)
    if rest:
        rows.append({name: other_label, count_name: rest, "share_of_all": ratio(rest, total)})
    return RankedRows(rows, int(groups))


def error_label(column: Any) -> ColumnElement[Any]:
    """An error message to group by: NULL becomes ``(no message)``."""
    return func.coalesce(column, NO_MESSAGE).label("error")


def csv_rows(lists: dict[str, RankedRows]) -> list[dict[str, Any]]:
    """Every row of every list, with the list's name in ``list``."""
    return [{"list": name, **row} for name, listed in lists.items() for row in listed.rows]
