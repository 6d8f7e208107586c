"""What each rollup holds: its raw source, group keys, measures and value lists.

Every measure is a per-row SQL expression built from the metric definitions in
:mod:`systemprompt_analytics.reports.definitions`; a bucket holds its sum (or min/max) over
the bucket's rows. The same expressions serve three uses, so a rollup can never say something
its raw rows do not: computing buckets, merging hours into days, and standing in for raw rows
at the edges of a report's window (:mod:`.source`).

Two kinds of rollup, by how long their rows keep changing:

- **facts** (AI requests, tool executions): rows are written once; a bucket is rolled up a
  few minutes after its hour ends, and a row that arrives later marks its hour dirty;
- **session-bound** (sessions, page views by human/bot session, traffic by source, landing
  page, location and device): a session's attributes, bot flags and bounce (its engagement
  and client events) keep changing while it lasts (up to ``session_max_hours``) and until the
  behavioural detector has scored it, so these wait for that long.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    true,
)
from sqlalchemy.sql import FromClause

from systemprompt_analytics.reports.definitions import (
    READING_PATTERNS,
    bot_category,
    bot_session,
    bounce_session,
    cache_hit_ai_request,
    capped_duration_seconds,
    content_path,
    engaged_session,
    failed_ai_request,
    human_session,
    page_view,
    page_view_session,
    previous_page_path,
    previous_page_view,
    priced_ai_request,
    time_on_page_ms,
    unpriced_ai_request,
)
from systemprompt_analytics.storage import schema
from systemprompt_analytics.storage.rollups.values import VALUE_TYPECODE, WIDE_TYPECODE
from systemprompt_analytics.storage.schema import (
    ai_requests,
    engagement_events,
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

    def value_typecode(self, name: str) -> str:
        """How value-list column ``name`` is packed: 64-bit for a BIGINT raw column."""
        wide = isinstance(self.values[name].type, BigInteger)
        return WIDE_TYPECODE if wide else VALUE_TYPECODE

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


def _session_visitors() -> RollupSpec:
    """One key set of visitors per bucket and human/bot: the fewest keys a window's distinct
    visitors can be counted from (a visitor once per day, not once per group)."""
    s = sessions.c
    return RollupSpec(
        name="session_visitors",
        hourly=schema.rollup_session_visitors_hourly,
        daily=schema.rollup_session_visitors_daily,
        source=sessions,
        time=s.started_at,
        keys={"is_human": human_session()},
        sets={"visitor_keys": s.visitor_hash},
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


def _traffic(
    name: str,
    tables: tuple[Table, ...],
    keys: Mapping[str, ColumnElement[Any]],
    dialect_name: str,
) -> RollupSpec:
    """Sessions by a traffic dimension (``keys``), human or bot, with the traffic reports'
    measures; bounces and durations only ever count human sessions (the report sums them
    over human rows)."""
    s = sessions.c
    return RollupSpec(
        name=name,
        hourly=tables[0],
        daily=tables[1],
        source=sessions,
        time=s.started_at,
        keys={**keys, "is_human": human_session()},
        measures=(
            Measure("sessions", literal(1)),
            Measure("page_views", s.page_view_count),
            Measure("page_view_sessions", _flag(page_view_session())),
            Measure("bounces", _flag(bounce_session(dialect_name))),
            Measure("duration_seconds_sum", capped_duration_seconds(dialect_name)),
        ),
        sets={"visitor_keys": s.visitor_hash},
        settling="sessions",
    )


def _traffic_specs(dialect_name: str) -> tuple[RollupSpec, ...]:
    s = sessions.c
    dimensions: dict[str, tuple[tuple[Table, ...], dict[str, ColumnElement[Any]]]] = {
        "traffic_sources": (
            (schema.rollup_traffic_sources_hourly, schema.rollup_traffic_sources_daily),
            {"channel": s.channel, "source": s.referrer_source},
        ),
        "traffic_landing": (
            (schema.rollup_traffic_landing_hourly, schema.rollup_traffic_landing_daily),
            {"path": content_path(s.landing_page)},
        ),
        "traffic_geo": (
            (schema.rollup_traffic_geo_hourly, schema.rollup_traffic_geo_daily),
            {"country": s.country, "region": s.region, "city": s.city},
        ),
        "traffic_devices": (
            (schema.rollup_traffic_devices_hourly, schema.rollup_traffic_devices_daily),
            {"device_type": s.device_type, "browser": s.browser, "os": s.os},
        ),
    }
    return tuple(
        _traffic(name, tables, keys, dialect_name) for name, (tables, keys) in dimensions.items()
    )


def _page_views_with_sessions() -> FromClause:
    return request_events.join(sessions, request_events.c.session_id == sessions.c.id)


def _with_previous_page(dialect_name: str) -> tuple[FromClause, ColumnElement[Any]]:
    """Page views with their session and the path of the session's previous page view.

    On PostgreSQL a lateral join computes that path once per row, however many conditions
    use it (a scalar subquery would run again for each); SQLite has no lateral joins."""
    if dialect_name != "postgresql":
        return _page_views_with_sessions(), previous_page_path()
    previous = previous_page_view().lateral("previous_page_view")
    return _page_views_with_sessions().outerjoin(previous, true()), previous.c.from_path


def _page_view_rollup(
    name: str,
    keys: Mapping[str, ColumnElement[Any]],
    *,
    measures: tuple[Measure, ...] = (),
    sets: Mapping[str, Any] | None = None,
    where: ColumnElement[bool] | None = None,
    source: FromClause | None = None,
) -> RollupSpec:
    """A rollup of page views (``request_events`` of kind page with their session, or
    ``source`` built on them), by ``keys`` and human or bot session."""
    r = request_events.c
    condition = page_view() if where is None else and_(page_view(), where)
    return RollupSpec(
        name=name,
        hourly=schema.metadata.tables[f"rollup_{name}_hourly"],
        daily=schema.metadata.tables[f"rollup_{name}_daily"],
        source=_page_views_with_sessions() if source is None else source,
        time=r.occurred_at,
        keys={**keys, "is_human": human_session()},
        measures=measures,
        sets=sets or {},
        where=condition,
        settling="sessions",
        fed_by={request_events.name: "occurred_at"},
    )


def _engagement_rollup(
    name: str,
    keys: Mapping[str, ColumnElement[Any]],
    dialect_name: str,
    sets: Mapping[str, Any] | None = None,
) -> RollupSpec:
    """Engagement rows by ``keys`` and human or bot session: the counts and sums that the
    engagement figures add up or divide (an average is a sum over its count)."""
    e = engagement_events.c
    return RollupSpec(
        name=name,
        hourly=schema.metadata.tables[f"rollup_{name}_hourly"],
        daily=schema.metadata.tables[f"rollup_{name}_daily"],
        source=engagement_events.join(sessions, e.session_id == sessions.c.id),
        time=e.occurred_at,
        keys={**keys, "is_human": human_session()},
        measures=(
            Measure("engaged_views", literal(1)),
            Measure("time_on_page_ms_sum", time_on_page_ms(dialect_name)),
            Measure("scroll_depth_sum", e.max_scroll_depth),
            Measure("clicks", e.click_count),
            Measure("rage_clicks", e.rage_click_count),
            Measure("dead_clicks", e.dead_click_count),
            Measure("views_with_rage_clicks", _flag(e.rage_click_count > 0)),
            Measure("views_with_dead_clicks", _flag(e.dead_click_count > 0)),
            *(
                Measure(f"pattern_{pattern}", _flag(e.reading_pattern == pattern))
                for pattern in READING_PATTERNS
            ),
        ),
        sets=sets or {},
        settling="sessions",
        fed_by={engagement_events.name: "occurred_at"},
    )


def _content_specs(dialect_name: str) -> tuple[RollupSpec, ...]:
    """The content and navigation reports' rollups. Page views and visitors (a key set) per
    page; the same over all pages, with the pages viewed; engagement per page and over all
    pages, with the pages engaged; page views by the page viewed before them in the session
    (a transition when it exists and differs: entries and reloads are kept, the report leaves
    them out) with the sessions making them; and, over all transitions, their count, sessions
    and distinct pairs."""
    r = request_events.c
    navigated, previous = _with_previous_page(dialect_name)
    path = content_path(r.path)
    engaged_path = content_path(engagement_events.c.path)
    page = {"path": path}
    ends = {"from_path": previous, "to_path": path}
    moved = and_(previous.is_not(None), previous != path)
    # A pair's key: the previous page's length first, so that no two pairs read alike.
    pair = cast(func.length(previous), String) + ":" + previous + path
    return (
        _page_view_rollup(
            "content_views",
            page,
            measures=(Measure("page_views", literal(1)),),
            sets={"visitor_keys": sessions.c.visitor_hash},
        ),
        _page_view_rollup(
            "content_totals",
            {},
            measures=(Measure("page_views", literal(1)),),
            sets={"visitor_keys": sessions.c.visitor_hash, "page_keys": path},
        ),
        _engagement_rollup("content_engagement", {"path": engaged_path}, dialect_name),
        _engagement_rollup(
            "content_engagement_totals", {}, dialect_name, sets={"page_keys": engaged_path}
        ),
        _page_view_rollup(
            "navigation",
            ends,
            measures=(Measure("page_views", literal(1)),),
            sets={"session_keys": r.session_id},
            source=navigated,
        ),
        _page_view_rollup(
            "navigation_totals",
            {},
            measures=(Measure("transitions", literal(1)),),
            sets={"session_keys": r.session_id, "pair_keys": pair},
            where=moved,
            source=navigated,
        ),
    )


@cache
def rollup_specs(dialect_name: str) -> dict[str, RollupSpec]:
    """Every rollup, by name (some expressions differ per dialect)."""
    # Imported here: the platform specs are built from this module's classes.
    from systemprompt_analytics.storage.rollups.platform_specs import platform_specs

    specs = (
        _ai_requests(),
        _ai_latencies(),
        _ai_users(),
        _tool_executions(),
        _tool_durations(),
        _sessions(dialect_name),
        _session_visitors(),
        _page_views(),
        *_traffic_specs(dialect_name),
        *_content_specs(dialect_name),
        *platform_specs(dialect_name),
    )
    return {spec.name: spec for spec in specs}


ROLLUP_NAMES = tuple(rollup_specs("sqlite"))
