"""Cost reports: the summary against the previous period, and cost trends.

Cost is the sum of ``cost_microdollars`` over the priced AI requests the report counts
(synthetic requests excluded unless asked for). Unpriced requests have no cost: they are
counted (requests and tokens) next to it, never added as 0. The breakdowns are in
:mod:`systemprompt_analytics.reports.costs_breakdown`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import (
    UNPRICED_NOTE,
    cost_aggregates,
    finish_costs,
    labelled,
)
from systemprompt_analytics.reports.buckets import bucket_starts
from systemprompt_analytics.reports.compare import Comparison, MetricKind, aggregate_both_periods
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.definitions import in_period
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.rollup_facts import ai_facts, cuts, reader, request_filter_on
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket

SUMMARY_KINDS: dict[str, MetricKind] = {
    "cost_microdollars": "amount",
    "cost_usd": "amount",
    "requests": "count",
    "priced_requests": "count",
    "unpriced_requests": "count",
    "tokens": "count",
    "unpriced_tokens": "count",
    "avg_cost_per_priced_request_microdollars": "mean",
}


def _avg_cost(figures: dict[str, Any]) -> float | None:
    if not figures["priced_requests"]:
        return None
    average: float = figures["cost_microdollars"] / figures["priced_requests"]
    return round(average, 2)


@dataclass(frozen=True)
class CostSummary:
    window: CostWindow
    filters: RequestFilter
    current: dict[str, Any]
    previous: dict[str, Any]

    @property
    def period(self) -> Period:
        return self.window.period

    def figures(self) -> dict[str, Comparison]:
        """Each figure against the previous period of equal length."""
        average = "avg_cost_per_priced_request_microdollars"
        current = {**self.current, average: _avg_cost(self.current)}
        previous = {**self.previous, average: _avg_cost(self.previous)}
        return {
            name: Comparison(current[name], previous[name], kind)
            for name, kind in SUMMARY_KINDS.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "window": self.window.to_dict(),
            "filters": self.filters.to_dict(),
            **{name: value.to_dict() for name, value in self.figures().items()},
            "unpriced_note": UNPRICED_NOTE,
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        return [{"metric": name, **value.to_dict()} for name, value in self.figures().items()]


def cost_summary(
    conn: Connection, window: CostWindow, filters: RequestFilter, *, use_rollups: bool = True
) -> CostSummary:
    """Cost, requests (priced and unpriced) and tokens in the window and the one before it."""
    period = window.period
    facts = ai_facts(reader(conn, use_rollups), cuts(period, previous=True), filters)
    current, previous = aggregate_both_periods(
        conn,
        facts,
        facts.c.bucket_at,
        period,
        cost_aggregates(facts),
        where=request_filter_on(filters, facts.c),
    )
    return CostSummary(window, filters, finish_costs(current), finish_costs(previous))


def auto_granularity(period: Period) -> Granularity:
    """The trend bucket when none is asked for: hours up to two days, days up to 90 days."""
    if period.length <= timedelta(days=2):
        return "hour"
    if period.length <= timedelta(days=90):
        return "day"
    return "month"


TREND_COLUMNS = (
    "bucket",
    "requests",
    "priced_requests",
    "unpriced_requests",
    "tokens",
    "unpriced_tokens",
    "cost_microdollars",
    "cost_usd",
)


@dataclass(frozen=True)
class CostTrends:
    window: CostWindow
    filters: RequestFilter
    group_by: Granularity
    series: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.window.period.to_dict(),
            "window": self.window.to_dict(),
            "filters": self.filters.to_dict(),
            "group_by": self.group_by,
            "series": self.series,
            "unpriced_note": UNPRICED_NOTE,
        }


def cost_trends(
    conn: Connection,
    window: CostWindow,
    filters: RequestFilter,
    granularity: Granularity,
    *,
    use_rollups: bool = True,
) -> CostTrends:
    """Per bucket (UTC, zero-filled): requests, tokens and cost; a bucket whose requests are
    all unpriced has an unknown (None) cost, an empty bucket a cost of 0."""
    period = window.period
    facts = ai_facts(reader(conn, use_rollups), cuts(period), filters, days=granularity != "hour")
    in_window = in_period(facts.c.bucket_at, period)
    aggregates = cost_aggregates(facts)
    bucket = time_bucket(conn.dialect.name, facts.c.bucket_at, granularity).label("bucket")
    statement = (
        select(bucket, *labelled(in_window, aggregates))
        .where(in_window, request_filter_on(filters, facts.c))
        .group_by(bucket)
    )
    found = {
        bucket_start(row.bucket): finish_costs(row._mapping) for row in conn.execute(statement)
    }
    empty = finish_costs(dict.fromkeys(aggregates))
    series = [
        {"bucket": start.isoformat(), **found.get(start, empty)}
        for start in bucket_starts(period, granularity)
    ]
    return CostTrends(window, filters, granularity, series)
