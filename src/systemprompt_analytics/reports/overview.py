"""The overview report: the platform at a glance, each figure against the previous period."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.agents import agent_overview, top_agents
from systemprompt_analytics.reports.compare import (
    Comparison,
    MetricKind,
    aggregate_both_periods,
    ratio,
    sum_of,
)
from systemprompt_analytics.reports.conversations import conversation_overview
from systemprompt_analytics.reports.definitions import (
    active_session,
    human_session,
    successful_tool_execution,
)
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.rollup_facts import (
    ai_facts,
    bot_row,
    count_of_rows,
    cuts,
    human_row,
    reader,
    request_filter_on,
    sessions_of,
)
from systemprompt_analytics.reports.tools import top_tools
from systemprompt_analytics.reports.users import UserRanking, user_leaderboard, user_overview
from systemprompt_analytics.storage.rollups import RollupReader

MICRODOLLARS_PER_USD = 1_000_000
LEADERBOARD_SIZE = 5

Section = dict[str, Comparison | int | float | None]


@dataclass(frozen=True)
class OverviewReport:
    period: Period
    generated_at: datetime
    sections: dict[str, Section]
    # The period's top agents, tools and users (rows as in ``agents list``, ``tools list``
    # and ``users top``).
    leaderboards: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    include_synthetic: bool = False

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "period": self.period.to_dict(),
            "generated_at": self.generated_at.isoformat(),
            "include_synthetic": self.include_synthetic,
        }
        for name, section in self.sections.items():
            result[name] = {
                key: value.to_dict() if isinstance(value, Comparison) else value
                for key, value in section.items()
            }
        result["leaderboards"] = self.leaderboards
        return result

    def rows(self) -> list[dict[str, Any]]:
        """Flat rows (section, metric, current, previous, change) for CSV."""
        rows = []
        for section_name, section in self.sections.items():
            for metric, value in section.items():
                if isinstance(value, Comparison):
                    change = value.change_pts if value.kind == "rate" else value.change_pct
                    unit = "pts" if value.kind == "rate" else "pct"
                    rows.append(
                        {
                            "section": section_name,
                            "metric": metric,
                            "current": value.current,
                            "previous": value.previous,
                            "change": change,
                            "change_unit": unit,
                        }
                    )
                else:
                    rows.append(
                        {
                            "section": section_name,
                            "metric": metric,
                            "current": value,
                            "previous": None,
                            "change": None,
                            "change_unit": None,
                        }
                    )
        return rows


def _compare(
    current: dict[str, Any], previous: dict[str, Any], name: str, kind: MetricKind = "count"
) -> Comparison:
    def clean(value: Any) -> float | int | None:
        if value is None:
            return None
        if kind == "mean":
            return round(float(value), 2)
        return int(value)

    return Comparison(clean(current[name]), clean(previous[name]), kind)


def _rate(
    current: dict[str, Any], previous: dict[str, Any], numerator: str, denominator: str
) -> Comparison:
    return Comparison(
        ratio(current[numerator], current[denominator]),
        ratio(previous[numerator], previous[denominator]),
        "rate",
    )


def session_section(
    conn: Connection, period: Period, now: datetime, source: RollupReader | None = None
) -> tuple[Section, Section]:
    source = source or reader(conn, True)
    boundaries = cuts(period, previous=True)
    facts = source.facts("sessions", boundaries)
    cur, prev = aggregate_both_periods(
        conn,
        facts,
        facts.c.bucket_at,
        period,
        {
            "created": sessions_of(facts, human_row(facts)),
            "bot_sessions": sessions_of(facts, bot_row(facts)),
            "total": sessions_of(facts),
        },
    )
    # Exact distinct visitors of both periods from the human visitor key sets (stretch 0 =
    # previous), counted without building either set (as ``sessions stats`` counts them).
    visitors = source.distinct_counts(
        "session_visitors", "visitor_keys", boundaries, where=lambda columns: columns["is_human"]
    )
    prev["visitors"] = visitors.get((0, None), 0)
    cur["visitors"] = visitors.get((1, None), 0)
    active_now = conn.execute(
        select(func.count()).where(active_session(now), human_session())
    ).scalar_one()
    sessions_section: Section = {
        "created": _compare(cur, prev, "created"),
        "active_now": int(active_now),
        "bot_sessions": _compare(cur, prev, "bot_sessions"),
        "total": _compare(cur, prev, "total"),
    }
    views = source.facts("page_views", boundaries)
    page_cur, page_prev = aggregate_both_periods(
        conn,
        views,
        views.c.bucket_at,
        period,
        {"page_views": sum_of(views.c.page_views, views.c.is_human)},
    )
    traffic: Section = {
        "visitors": _compare(cur, prev, "visitors"),
        "page_views": _compare(page_cur, page_prev, "page_views"),
        "bot_share": _rate(cur, prev, "bot_sessions", "total"),
    }
    return sessions_section, traffic


def ai_sections(
    conn: Connection,
    period: Period,
    include_synthetic: bool = False,
    source: RollupReader | None = None,
) -> tuple[Section, Section]:
    facts = ai_facts(
        source or reader(conn, True), cuts(period, previous=True), RequestFilter(include_synthetic)
    )
    c = facts.c
    cur, prev = aggregate_both_periods(
        conn,
        facts,
        c.bucket_at,
        period,
        {
            "count": sum_of(c.requests),
            "tokens": sum_of(c.total_tokens),
            "latency_ms_sum": sum_of(c.latency_ms_sum),
            "latency_ms_count": sum_of(c.latency_ms_count),
            "cost_microdollars": sum_of(c.cost_microdollars),
            "unpriced": sum_of(c.unpriced_requests),
        },
        where=request_filter_on(RequestFilter(include_synthetic), c),
    )
    for figures in (cur, prev):
        counted = int(figures["latency_ms_count"])
        figures["avg_latency_ms"] = int(figures["latency_ms_sum"]) / counted if counted else None
    requests: Section = {
        "count": _compare(cur, prev, "count"),
        "tokens": _compare(cur, prev, "tokens"),
        "avg_latency_ms": _compare(cur, prev, "avg_latency_ms", "mean"),
    }
    usd_cur = {"usd": int(cur["cost_microdollars"]) / MICRODOLLARS_PER_USD}
    usd_prev = {"usd": int(prev["cost_microdollars"]) / MICRODOLLARS_PER_USD}
    costs: Section = {
        "total_usd": Comparison(round(usd_cur["usd"], 6), round(usd_prev["usd"], 6), "amount"),
        "total_microdollars": _compare(cur, prev, "cost_microdollars"),
        "unpriced_requests": _compare(cur, prev, "unpriced"),
    }
    return requests, costs


def tool_section(conn: Connection, period: Period, source: RollupReader | None = None) -> Section:
    facts = (source or reader(conn, True)).facts("tool_executions", cuts(period, previous=True))
    c = facts.c
    cur, prev = aggregate_both_periods(
        conn,
        facts,
        c.bucket_at,
        period,
        {
            "executions": count_of_rows(c.executions),
            "succeeded": count_of_rows(c.executions, successful_tool_execution(c.status)),
        },
    )
    return {
        "executions": _compare(cur, prev, "executions"),
        "success_rate": _rate(cur, prev, "succeeded", "executions"),
    }


def agent_section(conn: Connection, period: Period, source: RollupReader) -> Section:
    return dict(agent_overview(conn, period, source))


def conversation_section(conn: Connection, period: Period, source: RollupReader) -> Section:
    return dict(conversation_overview(conn, period, source))


def _can_share_load(conn: Connection) -> bool:
    """Whether another connection of ``conn``'s engine sees the same database (not so for an
    in-memory SQLite database, one per connection)."""
    database = conn.engine.url.database
    return conn.dialect.name == "postgresql" or database not in (None, "", ":memory:")


Part = Callable[[Connection, RollupReader], Any]


def _read_parts(
    conn: Connection, use_rollups: bool, parts: dict[str, Part], concurrent: bool
) -> dict[str, Any]:
    """Each part's result; with ``concurrent`` every part but the last on a connection of
    its own (all at once), the last on ``conn``."""
    if not (concurrent and _can_share_load(conn)):
        source = reader(conn, use_rollups)
        return {name: part(conn, source) for name, part in parts.items()}
    engine = conn.engine

    def on_own_connection(part: Part) -> Any:
        with engine.connect() as other:
            return part(other, reader(other, use_rollups))

    *elsewhere, (last_name, last) = parts.items()
    pending = {name: _PARTS_POOL.submit(on_own_connection, part) for name, part in elsewhere}
    found = {last_name: last(conn, reader(conn, use_rollups))}
    return {**{name: future.result() for name, future in pending.items()}, **found}


def overview(
    conn: Connection,
    period: Period,
    now: datetime,
    include_synthetic: bool = False,
    *,
    use_rollups: bool = True,
    concurrent: bool = False,
) -> OverviewReport:
    """Every overview figure for ``period`` and the previous period of equal length.

    Synthetic (evaluation) AI requests are left out unless ``include_synthetic``. With
    ``concurrent`` (the CLI, the stats API and the dashboard), the report is read in three
    parts at once — sessions, traffic and users; the users leaderboard; the AI, tool, agent and
    conversation sections with their leaderboards — two of them on connections of their own
    from ``conn``'s engine, so the database works on all three. Each part is then read in its
    own snapshot: pass False to read everything inside ``conn``'s transaction (e.g. rows it
    wrote and has not committed).
    """
    size = LEADERBOARD_SIZE

    def people(c: Connection, source: RollupReader) -> tuple[Section, Section, Section]:
        sessions_section, traffic = session_section(c, period, now, source)
        return sessions_section, traffic, user_overview(c, period, source)

    def top_users(c: Connection, source: RollupReader) -> list[dict[str, Any]]:
        return user_leaderboard(c, period, size, UserRanking.cost, include_synthetic, source)

    def platform(c: Connection, source: RollupReader) -> dict[str, Any]:
        requests, costs = ai_sections(c, period, include_synthetic, source)
        return {
            "requests": requests,
            "costs": costs,
            "tools": tool_section(c, period, source),
            "agents": agent_section(c, period, source),
            "conversations": conversation_section(c, period, source),
            "top_agents": top_agents(c, period, size, include_synthetic, source),
            "top_tools": top_tools(c, period, size, source),
        }

    parts: dict[str, Part] = {"people": people, "top_users": top_users, "platform": platform}
    found = _read_parts(conn, use_rollups, parts, concurrent)
    sessions_section, traffic, users_section = found["people"]
    rest = found["platform"]
    return OverviewReport(
        period=period,
        generated_at=now,
        sections={
            "sessions": sessions_section,
            "traffic": traffic,
            "requests": rest["requests"],
            "costs": rest["costs"],
            "tools": rest["tools"],
            "agents": rest["agents"],
            "conversations": rest["conversations"],
            "users": users_section,
        },
        leaderboards={
            "agents": rest["top_agents"],
            "tools": rest["top_tools"],
            "users": found["top_users"],
        },
        include_synthetic=include_synthetic,
    )


# Threads for the parts of concurrent overviews read on connections of their own.
_PARTS_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sp-overview")
