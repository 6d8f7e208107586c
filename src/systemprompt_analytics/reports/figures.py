"""Figures against the previous period for the platform stats reports, and their CSV form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, true
from sqlalchemy.sql import FromClause

from systemprompt_analytics.reports.ai_figures import (
    COST_COUNTS,
    cost_aggregates,
    finish_costs,
    labelled,
)
from systemprompt_analytics.reports.compare import Aggregate, Comparison, MetricKind
from systemprompt_analytics.storage.dialect import percentile

COST_FIELDS = (*COST_COUNTS, "cost_microdollars")
# The long CSV table of a stats report: its figures, then the rows of each of its lists.
STATS_CSV_COLUMNS = (
    "section",
    "name",
    "current",
    "previous",
    "change",
    "change_unit",
    "share_of_all",
)


def percentile_of(dialect_name: str, column: Any, fraction: float) -> Aggregate:
    """The ``fraction`` percentile of ``column`` over one period's rows."""

    def build(period_filter: ColumnElement[bool]) -> ColumnElement[Any]:
        filtered: ColumnElement[Any] = percentile(dialect_name, column, fraction).filter(
            period_filter
        )
        return filtered

    return build


def ai_cost_columns(
    facts: FromClause, condition: ColumnElement[bool] | None = None, prefix: str = ""
) -> list[Any]:
    """The figures of the cost reports over AI request rollup rows (meeting ``condition``),
    labelled ``<prefix><name>``: requests, priced and unpriced requests, tokens, cost."""
    aggregates = {f"{prefix}{name}": build for name, build in cost_aggregates(facts).items()}
    return labelled(true() if condition is None else condition, aggregates)


def ai_cost_figures(raw: Mapping[Any, Any], prefix: str = "") -> dict[str, Any]:
    """``ai_requests``, ``tokens``, ``unpriced_requests``, ``cost_microdollars`` and
    ``cost_usd`` from a row of :func:`ai_cost_columns`, with the cost reports' semantics: no
    requests cost 0, requests none of which is priced cost None (unknown)."""
    costs = finish_costs({name: raw[f"{prefix}{name}"] for name in COST_FIELDS})
    return {
        "ai_requests": costs["requests"],
        "tokens": costs["tokens"],
        "unpriced_requests": costs["unpriced_requests"],
        "cost_microdollars": costs["cost_microdollars"],
        "cost_usd": costs["cost_usd"],
    }


def figure(
    current: Mapping[str, Any],
    previous: Mapping[str, Any],
    name: str,
    kind: MetricKind = "count",
) -> Comparison:
    """``name`` of both periods as a Comparison: integers, or means to two decimals."""

    def clean(value: Any) -> float | int | None:
        if value is None:
            return None
        return round(float(value), 2) if kind == "mean" else int(value)

    return Comparison(clean(current[name]), clean(previous[name]), kind)


def comparison_rows(figures: Mapping[str, Comparison]) -> list[dict[str, Any]]:
    """Figures as CSV rows: current, previous and change (pct, or pts for rates)."""
    rows = []
    for name, value in figures.items():
        is_rate = value.kind == "rate"
        rows.append(
            {
                "section": "figures",
                "name": name,
                "current": value.current,
                "previous": value.previous,
                "change": value.change_pts if is_rate else value.change_pct,
                "change_unit": "pts" if is_rate else "pct",
            }
        )
    return rows


def listed_rows(
    section: str, label: str, count: str, rows: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The rows of one list as CSV rows: the group in ``name``, its count in ``current``."""
    return [
        {
            "section": section,
            "name": row[label],
            "current": row[count],
            "share_of_all": row.get("share_of_all"),
        }
        for row in rows
    ]
