"""What each rollup holds: its raw source, group keys, measures and value lists.

Every measure is a per-row SQL expression built from the metric definitions in
:mod:`systemprompt_analytics.reports.definitions`; a bucket holds its sum (or min/max) over
the bucket's rows. The same expressions serve three uses, so a rollup can never say something
its raw rows do not: computing buckets, merging hours into days, and standing in for raw rows
at the edges of a report's window (:mod:`.source`).

Two kinds of rollup, by how long their rows keep changing:

- **facts** (AI requests, tool executions): rows are written once; a bucket is rolled up a
  few minutes after its hour ends, and a row that arrives later marks its hour dirty;
- **session-bound** (sessions, page views by human/bot session): a session's attributes and
  bot flags keep changing while it lasts (up to ``session_max_hours``) and until the
  behavioural detector has scored it, so these wait for that long.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Table, case, literal
from sqlalchemy.sql import FromClause

from systemprompt_analytics.reports.definitions import (
    bot_category,
    bot_session,
    cache_hit_ai_request,
    capped_duration_seconds,
    engaged_session,
    failed_ai_request,
    human_session,
    page_view,
    priced_ai_request,
    unpriced_ai_request,
)
from systemprompt_analytics.storage import schema
from systemprompt_analytics.storage.schema import (
    ai_requests,
    request_events,
    sessions,
    tool_executions,
)

Tier = Literal["hourly", "daily"]
TIERS: tuple[Tier, ...] = ("hourly", "daily")
Merge = Literal["sum", "min", "max"]
Settling = Literal["facts", "sessions"]

# How long after its hour a facts bucket is rolled up (late rows mark it dirty instead).
FACTS_DELAY = timedelta(minutes=10)
# The ``kind`` of a session in the sessions rollup: the two human kinds, or a bot.
ENGAGED, GHOST, BOT = "engaged", "ghost", "bot"


@dataclass(frozen=True)
class Measure:
    name: str
    expression: ColumnElement[Any]  # per raw row
    merge: Merge = "sum"


@dataclass(frozen=True, eq=False)  # hashed by identity: one instance per rollup
class RollupSpec:
    name: str
    hourly: Table
    daily: Table
    source: FromClause  # the raw rows
    time: Any  # their time column: which bucket a row belongs to
    keys: Mapping[str, ColumnElement[Any]]
    measures: tuple[Measure, ...] = ()
    # Value-list columns (sorted values, for percentiles) and the raw column they list.
    values: Mapping[str, Any] = field(default_factory=dict)
    # Key-set columns (distinct keys, for distinct counts) and the raw column they collect.
    sets: Mapping[str, Any] = field(default_factory=dict)
    where: ColumnElement[bool] | None = None  # which raw rows count
    settling: Settling = "facts"
    # Raw tables whose written rows (``time_column`` names the time) feed this rollup.
    fed_by: Mapping[str, str] = field(default_factory=dict)

    @property
    def collected(self) -> dict[str, Any]:
        """Every column computed in Python from raw values: value lists and key sets."""
        return {**self.values, **self.sets}

    def table(self, tier: Tier) -> Table:
        return self.hourly if tier == "hourly" else self.daily


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return case((condition, 1), else_=0)


def _when(condition: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
    return case((condition, value), else_=None)


_TOKEN_KINDS = ("input", "output", "cache_read", "cache_write", "reasoning", "total")


def _ai_requests() -> RollupSpec:
    a = ai_requests.c
    unpriced = unpriced_ai_request()
    return RollupSpec(
        name="ai_requests",
        hourly=schema.rollup_ai_requests_hourly,
        daily=schema.rollup_ai_requests_daily,
        source=ai_requests,
        time=a.requested_at,
        keys={
            "provider": a.provider,
            "model": a.model,
            "agent_name": a.agent_name,
            "is_synthetic": a.is_synthetic,
        },
        measures=(
            Measure("requests", literal(1)),
            Measure("failed", _flag(failed_ai_request())),
            Measure("streaming", _flag(a.is_streaming)),
            Measure("cache_hits", _flag(cache_hit_ai_request())),
            *(Measure(f"{kind}_tokens", a[f"{kind}_tokens"]) for kind in _TOKEN_KINDS),
            Measure("priced_requests", _flag(priced_ai_request())),
            Measure("unpriced_requests", _flag(unpriced)),
            *(
                Measure(f"unpriced_{kind}_tokens", case((unpriced, a[f"{kind}_tokens"]), else_=0))
                for kind in _TOKEN_KINDS
            ),
            Measure("cost_microdollars", a.cost_microdollars),
            Measure("latency_ms_sum", a.latency_ms),
            Measure("latency_ms_count", _flag(a.latency_ms.is_not(None))),
            Measure("unpriced_first_at", _when(unpriced, a.requested_at), "min"),
            Measure("unpriced_last_at", _when(unpriced, a.requested_at), "max"),
        ),
        fed_by={ai_requests.name: "requested_at"},
    )


def _ai_latencies() -> RollupSpec:
    a = ai_requests.c
    return RollupSpec(
        name="ai_latencies",
        hourly=schema.rollup_ai_latencies_hourly,
        daily=schema.rollup_ai_latencies_daily,
        source=ai_requests,
        time=a.requested_at,
        keys={"provider": a.provider, "model": a.model, "is_synthetic": a.is_synthetic},
        values={
            "latency_ms_values": a.latency_ms,
            "time_to_first_token_ms_values": a.time_to_first_token_ms,
        },
        fed_by={ai_requests.name: "requested_at"},
    )


def _ai_users() -> RollupSpec:
    a = ai_requests.c
    unpriced = unpriced_ai_request()
    return RollupSpec(
        name="ai_users",
        hourly=schema.rollup_ai_users_hourly,
        daily=schema.rollup_ai_users_daily,
        source=ai_requests,
        time=a.requested_at,
        keys={"user_id": a.user_id, "is_synthetic": a.is_synthetic},
        measures=(
            Measure("requests", literal(1)),
            Measure("priced_requests", _flag(priced_ai_request())),
            Measure("unpriced_requests", _flag(unpriced)),
            Measure("total_tokens", a.total_tokens),
            Measure("unpriced_total_tokens", case((unpriced, a.total_tokens), else_=0)),
            Measure("cost_microdollars", a.cost_microdollars),
        ),
        fed_by={ai_requests.name: "requested_at"},
    )


def _tool_executions() -> RollupSpec:
    t = tool_executions.c
    return RollupSpec(
        name="tool_executions",
        hourly=schema.rollup_tool_executions_hourly,
        daily=schema.rollup_tool_executions_daily,
        source=tool_executions,
        time=t.started_at,
        keys={
            "tool_name": t.tool_name,
            "server_name": t.server_name,
            "agent_name": t.agent_name,
            "status": t.status,
        },
        measures=(
            Measure("executions", literal(1)),
            Measure("duration_ms_sum", t.duration_ms),
            Measure("duration_ms_count", _flag(t.duration_ms.is_not(None))),
        ),
        fed_by={tool_executions.name: "started_at"},
    )


def _tool_durations() -> RollupSpec:
    t = tool_executions.c
    return RollupSpec(
        name="tool_durations",
        hourly=schema.rollup_tool_durations_hourly,
        daily=schema.rollup_tool_durations_daily,
        source=tool_executions,
        time=t.started_at,
        keys={"tool_name": t.tool_name, "server_name": t.server_name},
        values={"duration_ms_values": t.duration_ms},
        fed_by={tool_executions.name: "started_at"},
    )


def _sessions(dialect_name: str) -> RollupSpec:
    s = sessions.c
    bot = bot_session()
    return RollupSpec(
        name="sessions",
        hourly=schema.rollup_sessions_hourly,
        daily=schema.rollup_sessions_daily,
        source=sessions,
        time=s.started_at,
        keys={
            "kind": case((bot, BOT), (engaged_session(), ENGAGED), else_=GHOST),
            "bot_category": _when(bot, bot_category()),
            "bot_reason": _when(bot, s.bot_reason),
            "is_ai_crawler": s.is_ai_crawler,
            "is_throttled": s.throttle_level > 0,
            "is_converted": s.converted_at.is_not(None),
        },
        measures=(
            Measure("sessions", literal(1)),
            Measure("request_count", s.request_count),
            Measure("duration_seconds_sum", capped_duration_seconds(dialect_name)),
        ),
        settling="sessions",
    )


def _page_views() -> RollupSpec:
    return RollupSpec(
        name="page_views",
        hourly=schema.rollup_page_views_hourly,
        daily=schema.rollup_page_views_daily,
        source=request_events.join(sessions, request_events.c.session_id == sessions.c.id),
        time=request_events.c.occurred_at,
        keys={"is_human": human_session()},
        measures=(Measure("page_views", literal(1)),),
        where=page_view(),
        settling="sessions",
        fed_by={request_events.name: "occurred_at"},
    )


@cache
def rollup_specs(dialect_name: str) -> dict[str, RollupSpec]:
    """Every rollup, by name (some expressions differ per dialect)."""
    specs = (
        _ai_requests(),
        _ai_latencies(),
        _ai_users(),
        _tool_executions(),
        _tool_durations(),
        _sessions(dialect_name),
        _page_views(),
    )
    return {spec.name: spec for spec in specs}


ROLLUP_NAMES = tuple(rollup_specs("sqlite"))
