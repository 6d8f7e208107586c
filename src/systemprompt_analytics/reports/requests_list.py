"""The AI request list: single requests, newest first, narrowed by a request filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import check_limit, usd
from systemprompt_analytics.reports.definitions import (
    cache_hit_ai_request,
    in_period,
    priced_ai_request,
)
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.rollup_facts import ai_facts, cuts, reader, request_filter_on
from systemprompt_analytics.storage.schema import ai_requests

LIST_COLUMNS = (
    "id",
    "requested_at",
    "provider",
    "model",
    "status",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "total_tokens",
    "priced",
    "cost_microdollars",
    "cost_usd",
    "latency_ms",
    "time_to_first_token_ms",
    "is_streaming",
    "cache_hit",
    "is_synthetic",
    "user_id",
    "session_id",
    "agent_name",
    "task_id",
    "conversation_id",
    "error_message",
)
_STORED = tuple(name for name in LIST_COLUMNS if name not in {"priced", "cost_usd", "cache_hit"})


@dataclass(frozen=True)
class RequestList:
    period: Period
    filters: RequestFilter
    limit: int
    matching: int  # every request that matches, of which ``rows`` are the newest
    rows: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": self.filters.to_dict(),
            "limit": self.limit,
            "matching": self.matching,
            "rows": self.rows,
        }


def request_list(
    conn: Connection,
    period: Period,
    filters: RequestFilter,
    limit: int = 50,
    *,
    use_rollups: bool = True,
) -> RequestList:
    """The newest ``limit`` requests of the window that match ``filters``. ``priced`` is
    false for a request without a known cost, whose ``cost_microdollars`` is then null."""
    check_limit(limit)
    c = ai_requests.c
    where = and_(in_period(c.requested_at, period), filters.condition())
    statement = (
        select(
            *(c[name] for name in _STORED),
            priced_ai_request().label("priced"),
            cache_hit_ai_request().label("cache_hit"),
        )
        .where(where)
        .order_by(c.requested_at.desc(), c.id.desc())
        .limit(limit)
    )
    rows = []
    for found in conn.execute(statement):
        row = dict(found._mapping)
        row["requested_at"] = row["requested_at"].isoformat()
        row["cost_usd"] = usd(row["cost_microdollars"])
        for flag in ("priced", "cache_hit", "is_streaming", "is_synthetic"):
            row[flag] = bool(row[flag])
        rows.append({name: row[name] for name in LIST_COLUMNS})
    facts = ai_facts(reader(conn, use_rollups), cuts(period), filters)
    counted = func.coalesce(func.sum(facts.c.requests), 0)
    matching = conn.execute(
        select(counted).where(
            in_period(facts.c.bucket_at, period), request_filter_on(filters, facts.c)
        )
    ).scalar_one()
    return RequestList(period, filters, limit, int(matching), rows)
