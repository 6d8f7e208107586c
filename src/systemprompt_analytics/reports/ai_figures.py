"""The figures of the cost and request reports, each defined once.

Every figure is an :data:`~systemprompt_analytics.reports.compare.Aggregate` (built for a
period's filter), so a report can compute it for one period, for a period and the previous
one side by side, per group or per time bucket, and always get the same definition.

Token kinds are the five disjoint counts defined in :mod:`systemprompt_analytics.pricing`;
``total = input + output + cache_read + cache_write + reasoning``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.sql import FromClause

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.reports.compare import (
    Aggregate,
    ratio,
    sum_of,
)
from systemprompt_analytics.storage.schema import ai_requests

MICRODOLLARS_PER_USD = 1_000_000
MAX_LIMIT = 10_000
TOKEN_KINDS = ("input", "output", "cache_read", "cache_write", "reasoning", "total")
PERCENTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
PERCENTILE_METHOD = (
    "continuous: linear interpolation between the two nearest values "
    "(PostgreSQL percentile_cont; the same function on SQLite)"
)
UNPRICED_NOTE = (
    "Unpriced requests (models without a known price) have no cost: they are counted "
    "separately and never added as 0."
)


def token_column(kind: str) -> Any:
    return ai_requests.c[f"{kind}_tokens"]


def _total_of(column: Any) -> Aggregate:
    """The sum of ``column`` over a period's rows, NULL (not 0) when every value is NULL:
    the cost of requests none of which is priced is unknown."""

    def build(period_filter: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(column).filter(period_filter)

    return build


def cost_aggregates(facts: FromClause) -> dict[str, Aggregate]:
    """Requests, priced and unpriced requests, tokens and the cost of the priced ones, over
    rows of the AI request rollups (:mod:`systemprompt_analytics.reports.rollup_facts`)."""
    c = facts.c
    return {
        "requests": sum_of(c.requests),
        "priced_requests": sum_of(c.priced_requests),
        "unpriced_requests": sum_of(c.unpriced_requests),
        "tokens": sum_of(c.total_tokens),
        "unpriced_tokens": sum_of(c.unpriced_total_tokens),
        "cost_microdollars": _total_of(c.cost_microdollars),
    }


COST_COUNTS = ("requests", "priced_requests", "unpriced_requests", "tokens", "unpriced_tokens")


def finish_costs(raw: Mapping[Any, Any]) -> dict[str, Any]:
    """Plain ints from one row of :func:`cost_aggregates`, plus ``cost_usd``.

    Cost is 0 where there are no requests, and None (unknown) where every request is unpriced.
    """
    row: dict[str, Any] = {name: int(raw[name] or 0) for name in COST_COUNTS}
    cost = raw["cost_microdollars"]
    row["cost_microdollars"] = (0 if row["requests"] == 0 else None) if cost is None else int(cost)
    row["cost_usd"] = usd(row["cost_microdollars"])
    return row


def settle_rest_cost(rest: dict[str, Any]) -> dict[str, Any]:
    """The cost of the rows not shown is unknown (None), like any group's, when they hold
    requests and none of them is priced; ``cost_usd`` follows."""
    if rest["requests"] and not rest["priced_requests"]:
        rest["cost_microdollars"] = None
    rest["cost_usd"] = usd(rest["cost_microdollars"])
    return rest


def request_aggregates(facts: FromClause) -> dict[str, Aggregate]:
    """Counts, tokens by kind, cache hits and what the average latency is made of, over rows
    of the AI request rollup; percentiles come from :func:`request_percentiles`."""
    c = facts.c
    aggregates: dict[str, Aggregate] = {
        name: sum_of(c[name]) for name in ("requests", "failed", "streaming", "cache_hits")
    }
    for kind in TOKEN_KINDS:
        aggregates[f"{kind}_tokens"] = sum_of(c[f"{kind}_tokens"])
    aggregates["latency_ms_sum"] = sum_of(c.latency_ms_sum)
    aggregates["latency_ms_count"] = sum_of(c.latency_ms_count)
    return aggregates


# Percentile figures: (name, value list of the latency rollup, fraction).
PERCENTILE_FIGURES = (
    *((f"latency_{name}", "latency_ms_values", share) for name, share in PERCENTILES.items()),
    *(
        (f"ttft_{name}", "time_to_first_token_ms_values", PERCENTILES[name])
        for name in ("p50", "p95")
    ),
)


LATENCY_FIGURES = ("avg", *PERCENTILES)
TTFT_FIGURES = ("p50", "p95")


def finish_requests(raw: Mapping[Any, Any]) -> dict[str, Any]:
    """Plain numbers from one row of :func:`request_aggregates`, with the derived rates.

    Error rate = failed / requests. Cache-hit rate = requests that read from the prompt cache
    / successful requests (a failed request processed no prompt). Cached prompt share =
    cache-read tokens / prompt tokens (input + cache read + cache write).
    """
    row: dict[str, Any] = {
        name: int(raw[name] or 0) for name in ("requests", "failed", "streaming", "cache_hits")
    }
    row["succeeded"] = row["requests"] - row["failed"]
    for kind in TOKEN_KINDS:
        row[f"{kind}_tokens"] = int(raw[f"{kind}_tokens"] or 0)
    latency_count = int(raw["latency_ms_count"] or 0)
    average = int(raw["latency_ms_sum"] or 0) / latency_count if latency_count else None
    row["latency_avg_ms"] = rounded(average)
    for name in PERCENTILES:
        row[f"latency_{name}_ms"] = rounded(raw.get(f"latency_{name}"))
    for name in TTFT_FIGURES:
        row[f"ttft_{name}_ms"] = rounded(raw.get(f"ttft_{name}"))
    row["error_rate"] = ratio(row["failed"], row["requests"])
    row["cache_hit_rate"] = ratio(row["cache_hits"], row["succeeded"])
    prompt = row["input_tokens"] + row["cache_read_tokens"] + row["cache_write_tokens"]
    row["cached_prompt_share"] = ratio(row["cache_read_tokens"], prompt)
    return row


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError("limit", f"must be an integer from 1 to {MAX_LIMIT}")
    return limit


def usd(microdollars: int | None) -> float | None:
    """Integer microdollars as USD for display (JSON keeps the microdollars)."""
    return None if microdollars is None else round(microdollars / MICRODOLLARS_PER_USD, 6)


def rounded(value: Any, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def remainder(
    total: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], fields: Sequence[str]
) -> dict[str, Any]:
    """What the shown rows leave of the total, per field: rows + remainder = total.

    A row's None counts as 0 (an unknown cost adds nothing to a sum of known costs); a None
    total stays None.
    """
    rest: dict[str, Any] = {}
    for name in fields:
        whole = total[name]
        rest[name] = None if whole is None else whole - sum(row[name] or 0 for row in rows)
    return rest


def labelled(period_filter: ColumnElement[bool], aggregates: Mapping[str, Aggregate]) -> list[Any]:
    """Every aggregate built for ``period_filter`` and labelled with its name."""
    return [build(period_filter).label(name) for name, build in aggregates.items()]
