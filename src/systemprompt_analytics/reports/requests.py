"""AI request reports: stats against the previous period, usage by model, and trends.

Every report counts the AI requests whose ``requested_at`` is in the window and that match a
:class:`~systemprompt_analytics.reports.requests_filter.RequestFilter` (synthetic requests
excluded unless asked for). The figures are defined once in
:mod:`systemprompt_analytics.reports.ai_figures`; the request list is in
:mod:`systemprompt_analytics.reports.requests_list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import (
    LATENCY_FIGURES,
    PERCENTILE_METHOD,
    TOKEN_KINDS,
    TTFT_FIGURES,
    UNPRICED_NOTE,
    check_limit,
    cost_aggregates,
    finish_costs,
    finish_requests,
    labelled,
    remainder,
    request_aggregates,
    settle_rest_cost,
)
from systemprompt_analytics.reports.buckets import bucket_starts, floor_to_bucket
from systemprompt_analytics.reports.compare import (
    Comparison,
    MetricKind,
    aggregate_both_periods,
    ratio,
)
from systemprompt_analytics.reports.definitions import in_period
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.rollup_facts import (
    ai_facts,
    cuts,
    reader,
    request_filter_on,
    request_percentiles,
)
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket

# section -> figure -> (field of finish_requests, kind of comparison)
STAT_SECTIONS: dict[str, dict[str, tuple[str, MetricKind]]] = {
    "requests": {
        "total": ("requests", "count"),
        "succeeded": ("succeeded", "count"),
        "failed": ("failed", "count"),
        "error_rate": ("error_rate", "rate"),
        "streaming": ("streaming", "count"),
        "cache_hit_rate": ("cache_hit_rate", "rate"),
        "cached_prompt_share": ("cached_prompt_share", "rate"),
    },
    "tokens": {kind: (f"{kind}_tokens", "count") for kind in TOKEN_KINDS},
    "latency_ms": {name: (f"latency_{name}_ms", "mean") for name in LATENCY_FIGURES},
    "time_to_first_token_ms": {name: (f"ttft_{name}_ms", "mean") for name in TTFT_FIGURES},
}


@dataclass(frozen=True)
class RequestStats:
    period: Period
    filters: RequestFilter
    current: dict[str, Any]
    previous: dict[str, Any]

    def sections(self) -> dict[str, dict[str, Comparison]]:
        return {
            section: {
                name: Comparison(self.current[field], self.previous[field], kind)
                for name, (field, kind) in figures.items()
            }
            for section, figures in STAT_SECTIONS.items()
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": self.filters.to_dict(),
            **{
                section: {name: value.to_dict() for name, value in figures.items()}
                for section, figures in self.sections().items()
            },
            "percentile_method": PERCENTILE_METHOD,
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        rows = []
        for section, figures in self.sections().items():
            for name, value in figures.items():
                is_rate = value.kind == "rate"
                rows.append(
                    {
                        "section": section,
                        "metric": name,
                        "current": value.current,
                        "previous": value.previous,
                        "change": value.change_pts if is_rate else value.change_pct,
                        "change_unit": "pts" if is_rate else "pct",
                    }
                )
        return rows


def request_stats(
    conn: Connection, period: Period, filters: RequestFilter, *, use_rollups: bool = True
) -> RequestStats:
    """Requests, error and cache-hit rates, tokens by kind and latency percentiles in the
    window and the previous one of equal length."""
    source = reader(conn, use_rollups)
    boundaries = cuts(period, previous=True)
    facts = ai_facts(source, boundaries, filters)
    current, previous = aggregate_both_periods(
        conn,
        facts,
        facts.c.bucket_at,
        period,
        request_aggregates(facts),
        where=request_filter_on(filters, facts.c),
    )
    quantiles = request_percentiles(source, boundaries, filters)
    return RequestStats(
        period,
        filters,
        finish_requests(current | quantiles.get(1, {})),
        finish_requests(previous | quantiles.get(0, {})),
    )


# Figures that add up across groups, so rows + rest = total holds for each.
_ADDITIVE = (
    "requests",
    "succeeded",
    "failed",
    "streaming",
    "cache_hits",
    *(f"{kind}_tokens" for kind in TOKEN_KINDS),
    "priced_requests",
    "unpriced_requests",
    "unpriced_tokens",
    "cost_microdollars",
)
MODEL_COLUMNS = (
    "provider",
    "model",
    "requests",
    "share_of_requests",
    "failed",
    "error_rate",
    *(f"{kind}_tokens" for kind in TOKEN_KINDS),
    "share_of_tokens",
    "cache_hit_rate",
    "cached_prompt_share",
    "latency_avg_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "priced_requests",
    "unpriced_requests",
    "cost_microdollars",
    "cost_usd",
)


def _model_figures(raw: Any, total: dict[str, Any] | None) -> dict[str, Any]:
    row = finish_requests(raw) | finish_costs(raw)
    if total is not None:
        row["share_of_requests"] = ratio(row["requests"], total["requests"])
        row["share_of_tokens"] = ratio(row["total_tokens"], total["total_tokens"])
    return row


@dataclass(frozen=True)
class ModelUsage:
    period: Period
    filters: RequestFilter
    limit: int
    total: dict[str, Any]
    rows: list[dict[str, Any]]
    rest: dict[str, Any]  # the additive figures of the models beyond ``limit``

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": self.filters.to_dict(),
            "limit": self.limit,
            "total": self.total,
            "rows": self.rows,
            "rest": self.rest,
            "percentile_method": PERCENTILE_METHOD,
            "unpriced_note": UNPRICED_NOTE,
        }


def model_usage(
    conn: Connection,
    period: Period,
    filters: RequestFilter,
    limit: int = 20,
    *,
    use_rollups: bool = True,
) -> ModelUsage:
    """Per provider and model, most requests first: requests, errors, tokens by kind, cache
    hits, latency percentiles and cost, with shares of the true totals."""
    check_limit(limit)
    source = reader(conn, use_rollups)
    boundaries = cuts(period)
    facts = ai_facts(source, boundaries, filters)
    c = facts.c
    in_window = in_period(c.bucket_at, period)
    where = and_(in_window, request_filter_on(filters, c))
    aggregates = request_aggregates(facts) | cost_aggregates(facts)
    columns = labelled(in_window, aggregates)
    names = ["latency_p50", "latency_p95", "latency_p99"]
    overall = request_percentiles(source, boundaries, filters, names=names)
    raw_total = dict(conn.execute(select(*columns).where(where)).one()._mapping)
    total = _model_figures(raw_total | overall.get(0, {}), None)
    total["models"] = int(
        conn.execute(
            select(func.count()).select_from(
                select(c.provider, c.model).where(where).group_by(c.provider, c.model).subquery()
            )
        ).scalar_one()
    )
    requests = aggregates["requests"](in_window)
    statement = (
        select(c.provider, c.model, *columns)
        .where(where)
        .group_by(c.provider, c.model)
        .order_by(requests.desc(), c.provider, c.model)
        .limit(limit)
    )
    found_rows = conn.execute(statement).all()
    per_model = request_percentiles(
        source,
        boundaries,
        filters,
        names=names,
        keys=("provider", "model"),
        group=lambda run: run.key,
    )
    rows = []
    for found in found_rows:
        key = (found.provider, found.model)
        figures = _model_figures(dict(found._mapping) | per_model.get(key, {}), total)
        rows.append({"provider": found.provider, "model": found.model} | figures)
    rest = remainder(total, rows, _ADDITIVE)
    rest["models"] = total["models"] - len(rows)
    settle_rest_cost(rest)
    rest["share_of_requests"] = ratio(rest["requests"], total["requests"])
    rest["share_of_tokens"] = ratio(rest["total_tokens"], total["total_tokens"])
    return ModelUsage(period, filters, limit, total, rows, rest)


TREND_METRICS = (
    "requests",
    "failed",
    "error_rate",
    *(f"{kind}_tokens" for kind in TOKEN_KINDS),
    "latency_avg_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "cache_hit_rate",
)


@dataclass(frozen=True)
class RequestTrends:
    period: Period
    filters: RequestFilter
    group_by: Granularity
    series: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": self.filters.to_dict(),
            "group_by": self.group_by,
            "series": self.series,
            "percentile_method": PERCENTILE_METHOD,
        }


def request_trends(
    conn: Connection,
    period: Period,
    filters: RequestFilter,
    granularity: Granularity,
    *,
    use_rollups: bool = True,
) -> RequestTrends:
    """Per bucket (UTC, zero-filled): requests, errors, tokens by kind, latency. A bucket
    without requests has counts of 0 and no latency or rates (None), not 0 ms."""
    source = reader(conn, use_rollups)
    boundaries = cuts(period)
    days = granularity != "hour"
    facts = ai_facts(source, boundaries, filters, days=days)
    c = facts.c
    in_window = in_period(c.bucket_at, period)
    aggregates = request_aggregates(facts)
    bucket = time_bucket(conn.dialect.name, c.bucket_at, granularity).label("bucket")
    statement = (
        select(bucket, *labelled(in_window, aggregates))
        .where(in_window, request_filter_on(filters, c))
        .group_by(bucket)
    )
    quantiles = request_percentiles(
        source,
        boundaries,
        filters,
        names=("latency_p50", "latency_p95"),
        group=lambda run: floor_to_bucket(run.bucket_at, granularity),
        days=days,
    )
    found = {}
    for row in conn.execute(statement):
        start = bucket_start(row.bucket)
        found[start] = finish_requests(dict(row._mapping) | quantiles.get(start, {}))
    empty = finish_requests(dict.fromkeys(aggregates))
    series = []
    for start in bucket_starts(period, granularity):
        figures = found.get(start, empty)
        series.append({"bucket": start.isoformat(), **{n: figures[n] for n in TREND_METRICS}})
    return RequestTrends(period, filters, granularity, series)
