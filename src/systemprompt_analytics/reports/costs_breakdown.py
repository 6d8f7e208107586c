"""Cost breakdowns: cost by model, provider, agent or user, and the unpriced models.

Shares are of the true total (every request the report counts in the window), never of the
rows shown; ``rest`` holds what the rows beyond ``limit`` add up to, so rows + rest = total.
Requests without an agent or user are grouped in one ``unattributed`` row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, false, func, or_, select, true
from sqlalchemy.sql import Subquery

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import (
    TOKEN_KINDS,
    UNPRICED_NOTE,
    check_limit,
    cost_aggregates,
    finish_costs,
    labelled,
    remainder,
    settle_rest_cost,
)
from systemprompt_analytics.reports.compare import Comparison, ratio
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.definitions import in_period
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.rollup_facts import (
    AI_USER_KEYS,
    ai_facts,
    cuts,
    raw_request_condition,
    reader,
    request_filter_on,
)
from systemprompt_analytics.reports.top_groups import bounded_groups, candidates_for

BreakdownBy = Literal["model", "provider", "agent", "user"]
UNATTRIBUTED = "unattributed"

# The columns that name a group, per breakdown (a model is priced per provider): (label,
# rollup column); users come from the per-user rollup.
DIMENSIONS: dict[BreakdownBy, tuple[tuple[str, str], ...]] = {
    "model": (("provider", "provider"), ("model", "model")),
    "provider": (("provider", "provider"),),
    "agent": (("agent", "agent_name"),),
    "user": (("user_id", "user_id"),),
}
BREAKDOWN_METRICS = (
    "requests",
    "share_of_requests",
    "priced_requests",
    "unpriced_requests",
    "tokens",
    "unpriced_tokens",
    "cost_microdollars",
    "cost_usd",
    "share_of_cost",
)
ROW_METRICS = (
    *BREAKDOWN_METRICS,
    "previous_requests",
    "previous_cost_microdollars",
    "cost_change_pct",
)
_SUMMED = (
    "requests",
    "priced_requests",
    "unpriced_requests",
    "tokens",
    "unpriced_tokens",
    "cost_microdollars",
)


def _shares(row: dict[str, Any], total: dict[str, Any]) -> dict[str, Any]:
    row["share_of_requests"] = ratio(row["requests"], total["requests"])
    row["share_of_cost"] = ratio(row["cost_microdollars"], total["cost_microdollars"])
    return row


@dataclass(frozen=True)
class CostBreakdown:
    window: CostWindow
    filters: RequestFilter
    by: BreakdownBy
    limit: int
    total: dict[str, Any]  # every counted request, with ``groups``: how many rows in all
    rows: list[dict[str, Any]]
    rest: dict[str, Any]  # the groups beyond ``limit``

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(name for name, _ in DIMENSIONS[self.by])

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.window.period.to_dict(),
            "window": self.window.to_dict(),
            "filters": self.filters.to_dict(),
            "by": self.by,
            "limit": self.limit,
            "total": self.total,
            "rows": self.rows,
            "rest": self.rest,
            "unpriced_note": UNPRICED_NOTE,
        }

    def csv_columns(self) -> tuple[str, ...]:
        return ("row_type", *self.labels, "unattributed", "groups", *ROW_METRICS)

    def csv_rows(self) -> list[dict[str, Any]]:
        """The groups, then ``rest`` (the groups not shown), then ``total``."""
        return [
            *({"row_type": "group", **row} for row in self.rows),
            {"row_type": "rest", **self.rest},
            {"row_type": "total", **self.total},
        ]


def cost_totals(
    conn: Connection, window: CostWindow, filters: RequestFilter, *, use_rollups: bool = True
) -> dict[str, Any]:
    """Cost figures over every request the report counts: the total shares are taken of."""
    period = window.period
    facts = ai_facts(reader(conn, use_rollups), cuts(period), filters)
    return _totals(conn, facts, period, filters)


def _totals(
    conn: Connection, facts: Subquery, period: Period, filters: RequestFilter
) -> dict[str, Any]:
    in_window = in_period(facts.c.bucket_at, period)
    row = conn.execute(
        select(*labelled(in_window, cost_aggregates(facts))).where(
            in_window, request_filter_on(filters, facts.c)
        )
    ).one()
    return finish_costs(row._mapping)


def _name_groups(row: dict[str, Any], labels: tuple[str, ...]) -> dict[str, Any]:
    """NULL agent or user: the ``unattributed`` group."""
    row["unattributed"] = any(row[label] is None for label in labels)
    for label in labels:
        if row[label] is None:
            row[label] = UNATTRIBUTED
    return row


def _one_of(keys: list[Any], groups: list[tuple[Any, ...]]) -> ColumnElement[bool]:
    """Rows of any of ``groups`` (values of ``keys``; NULL matches NULL). One key: an ``IN``
    list (hashed by PostgreSQL, where a chain of ``OR`` is tested term by term on every row)."""

    def matches(key: Any, value: Any) -> ColumnElement[bool]:
        return key.is_(None) if value is None else key == value  # type: ignore[no-any-return]

    if len(keys) == 1:
        values = [group[0] for group in groups if group[0] is not None]
        terms = [keys[0].in_(values)] if values else []
        if len(values) < len(groups):
            terms.append(keys[0].is_(None))
        return or_(false(), *terms)
    return or_(*(and_(*(map(matches, keys, group))) for group in groups))


def cost_breakdown(
    conn: Connection,
    window: CostWindow,
    filters: RequestFilter,
    by: BreakdownBy,
    limit: int = 20,
    *,
    use_rollups: bool = True,
) -> CostBreakdown:
    """Groups by cost (then requests) descending, each with its share of the true totals and
    its cost in the previous period of equal length.

    The groups are ranked over the period alone (with how many there are, in the same
    query); the previous period is read for the groups shown only."""
    check_limit(limit)
    if by not in DIMENSIONS:
        raise InvalidInputError("by", f"must be one of {', '.join(DIMENSIONS)}")
    period = window.period
    source = reader(conn, use_rollups)
    facts = ai_facts(source, cuts(period, previous=True), filters, by_user=by == "user")
    bucket_at = facts.c.bucket_at
    matching = request_filter_on(filters, facts.c)
    labels = tuple(name for name, _ in DIMENSIONS[by])
    keys = [facts.c[column] for _, column in DIMENSIONS[by]]
    aggregates = cost_aggregates(facts)
    cost, requests = aggregates["cost_microdollars"], aggregates["requests"]
    in_window = and_(in_period(bucket_at, period), matching)

    def ranked(among: ColumnElement[bool]) -> list[Row[Any]]:
        everything = true()
        statement: Select[Any] = (
            select(
                *(facts.c[column].label(name) for name, column in DIMENSIONS[by]),
                *labelled(everything, aggregates),
                func.count().over().label("groups"),
            )
            .where(in_window, among)
            .group_by(*keys)
            .having(requests(everything) > 0)
            .order_by(
                func.coalesce(cost(everything), 0).desc(),
                requests(everything).desc(),
                *(column.asc().nulls_last() for column in keys),
            )
            .limit(limit)
        )
        return list(conn.execute(statement).all())

    # Users are many: bounded, unless a filter the per-user rollup cannot apply makes the
    # report read raw rows (bounding them would read every one twice).
    many = by == "user" and raw_request_condition(filters, AI_USER_KEYS) is None
    found_rows, groups = _ranked_groups(
        conn, keys, facts.c.cost_microdollars, in_window, limit, ranked, many
    )
    shown = [tuple(found._mapping[label] for label in labels) for found in found_rows]
    earlier = _previous(conn, facts, keys, shown, period, matching)
    # From the request rollup (far fewer rows than the per-user one): the same sums.
    total = _totals(conn, ai_facts(source, cuts(period), filters), period, filters)
    rows = []
    for group, found in zip(shown, found_rows, strict=True):
        raw = found._mapping
        before = earlier.get(group) or finish_costs(dict.fromkeys(aggregates))
        row = {label: raw[label] for label in labels} | finish_costs(raw)
        row["previous_requests"] = before["requests"]
        row["previous_cost_microdollars"] = before["cost_microdollars"]
        row["cost_change_pct"] = Comparison(
            row["cost_microdollars"], row["previous_cost_microdollars"], "amount"
        ).change_pct
        rows.append(_shares(_name_groups(row, labels), total))
    total["groups"] = groups
    rest = remainder(total, rows, _SUMMED)
    rest["groups"] = total["groups"] - len(rows)
    settle_rest_cost(rest)
    return CostBreakdown(window, filters, by, limit, total, rows, _shares(rest, total))


def _ranked_groups(
    conn: Connection,
    keys: list[Any],
    cost: Any,
    in_window: ColumnElement[bool],
    limit: int,
    ranked: Callable[[ColumnElement[bool]], list[Row[Any]]],
    many: bool,
) -> tuple[list[Row[Any]], int]:
    """The ``limit`` groups by cost (``ranked`` among the rows meeting a condition) and how
    many groups there are. With ``many`` groups (users), only those whose bound on their cost
    is among the largest are ranked (reports/top_groups.py: :func:`bounded_groups`); when their
    k-th cost does not settle the ranking, every group is. Each group's rows hold at least
    one request (a rollup row counts its requests), so the ``requests > 0`` condition keeps
    every group and the bound's count of groups is the ranking's."""
    wanted = candidates_for(conn, limit) if many else None
    if wanted is None:
        found = ranked(true())
        return found, int(found[0].groups) if found else 0
    # Groups without a known cost rank as cost 0 (``empty``).
    bounded = bounded_groups(conn, keys[0], cost, in_window, wanted, empty=0)
    found = ranked(bounded.among(keys[0]))
    kth = None
    if len(found) == limit:
        kth = found[-1].cost_microdollars or 0
    if not bounded.proves(kth):
        found = ranked(true())
    return found, int(bounded.groups or 0)


def _previous(
    conn: Connection,
    facts: Subquery,
    keys: list[Any],
    shown: list[tuple[Any, ...]],
    period: Period,
    matching: ColumnElement[bool],
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The cost figures of the groups ``shown`` in the previous period."""
    if not shown:
        return {}
    statement = (
        select(*keys, *labelled(true(), cost_aggregates(facts)))
        .where(in_period(facts.c.bucket_at, period.previous), matching, _one_of(keys, shown))
        .group_by(*keys)
    )
    return {
        tuple(found[: len(keys)]): finish_costs(found._mapping) for found in conn.execute(statement)
    }


UNPRICED_TOKENS = tuple(f"{kind}_tokens" for kind in TOKEN_KINDS)
UNPRICED_COLUMNS = (
    "provider",
    "model",
    "requests",
    "share_of_requests",
    *UNPRICED_TOKENS,
    "first_seen_at",
    "last_seen_at",
)


@dataclass(frozen=True)
class UnpricedModels:
    window: CostWindow
    filters: RequestFilter
    limit: int
    total: dict[str, Any]  # ``requests``: every counted request; ``unpriced_*``; ``models``
    rows: list[dict[str, Any]]
    rest: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.window.period.to_dict(),
            "window": self.window.to_dict(),
            "filters": self.filters.to_dict(),
            "limit": self.limit,
            "total": self.total,
            "rows": self.rows,
            "rest": self.rest,
            "unpriced_note": UNPRICED_NOTE,
        }


def unpriced_models(
    conn: Connection,
    window: CostWindow,
    filters: RequestFilter,
    limit: int = 20,
    *,
    use_rollups: bool = True,
) -> UnpricedModels:
    """Requests without a price, by provider and model, most requests first, with their
    tokens by kind: what ``costs reprice`` would price once the models are known."""
    check_limit(limit)
    facts = ai_facts(reader(conn, use_rollups), cuts(window.period), filters)
    c = facts.c
    where = and_(in_period(c.bucket_at, window.period), request_filter_on(filters, c))
    unpriced = func.coalesce(func.sum(c.unpriced_requests), 0)
    sums = [func.coalesce(func.sum(c[f"unpriced_{kind}_tokens"]), 0).label(f"{kind}_tokens")
            for kind in TOKEN_KINDS]  # fmt: skip
    statement = (
        select(
            c.provider,
            c.model,
            unpriced.label("requests"),
            *sums,
            func.min(c.unpriced_first_at).label("first_seen_at"),
            func.max(c.unpriced_last_at).label("last_seen_at"),
        )
        .where(where)
        .group_by(c.provider, c.model)
        .having(unpriced > 0)
        .order_by(unpriced.desc(), c.provider, c.model)
        .limit(limit)
    )
    everything = func.coalesce(func.sum(c.requests), 0).label("everything")
    totals = conn.execute(select(everything, unpriced.label("requests"), *sums).where(where))
    only_unpriced = totals.one()._mapping
    models = (
        select(c.provider, c.model).where(where).group_by(c.provider, c.model).having(unpriced > 0)
    )
    total: dict[str, Any] = {
        "requests": int(only_unpriced["everything"]),
        "unpriced_requests": int(only_unpriced["requests"]),
        **{f"unpriced_{name}": int(only_unpriced[name]) for name in UNPRICED_TOKENS},
        "models": int(
            conn.execute(select(func.count()).select_from(models.subquery())).scalar_one()
        ),
    }
    total["share_of_requests"] = ratio(total["unpriced_requests"], total["requests"])
    rows = []
    for found in conn.execute(statement):
        row = dict(found._mapping)
        for name in ("requests", *UNPRICED_TOKENS):
            row[name] = int(row[name])
        row["share_of_requests"] = ratio(row["requests"], total["requests"])
        row["first_seen_at"] = row["first_seen_at"].isoformat()
        row["last_seen_at"] = row["last_seen_at"].isoformat()
        rows.append({name: row[name] for name in UNPRICED_COLUMNS})
    shown = {"requests": total["unpriced_requests"]} | {
        name: total[f"unpriced_{name}"] for name in UNPRICED_TOKENS
    }
    rest = remainder(shown, rows, ("requests", *UNPRICED_TOKENS))
    rest["models"] = total["models"] - len(rows)
    rest["share_of_requests"] = ratio(rest["requests"], total["requests"])
    return UnpricedModels(window, filters, limit, total, rows, rest)
