"""The overview report: the platform at a glance, each figure against the previous period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.agents import agent_list
from systemprompt_analytics.reports.compare import (
    Comparison,
    MetricKind,
    aggregate_both_periods,
    avg_of,
    count_distinct_of,
    count_of,
    ratio,
    sum_of,
)
from systemprompt_analytics.reports.definitions import (
    active_session,
    billable_ai_request,
    bot_session,
    completed_agent_task,
    finished_agent_task,
    human_session,
    page_view,
    successful_tool_execution,
)
from systemprompt_analytics.reports.tools import tool_list
from systemprompt_analytics.reports.users import UserRanking, top_users, user_overview
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    ai_requests,
    conversation_messages,
    conversations,
    request_events,
    sessions,
    tool_executions,
)

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


def session_section(conn: Connection, period: Period, now: datetime) -> tuple[Section, Section]:
    cur, prev = aggregate_both_periods(
        conn,
        sessions,
        sessions.c.started_at,
        period,
        {
            "created": count_of(human_session()),
            "bot_sessions": count_of(bot_session()),
            "total": count_of(),
            "visitors": count_distinct_of(sessions.c.visitor_hash, human_session()),
        },
    )
    active_now = conn.execute(
        select(func.count()).where(active_session(now), human_session())
    ).scalar_one()
    sessions_section: Section = {
        "created": _compare(cur, prev, "created"),
        "active_now": int(active_now),
        "bot_sessions": _compare(cur, prev, "bot_sessions"),
        "total": _compare(cur, prev, "total"),
    }
    page_cur, page_prev = aggregate_both_periods(
        conn,
        request_events.join(sessions, request_events.c.session_id == sessions.c.id),
        request_events.c.occurred_at,
        period,
        {"page_views": count_of(and_(page_view(), human_session()))},
    )
    traffic: Section = {
        "visitors": _compare(cur, prev, "visitors"),
        "page_views": _compare(page_cur, page_prev, "page_views"),
        "bot_share": _rate(cur, prev, "bot_sessions", "total"),
    }
    return sessions_section, traffic


def ai_sections(
    conn: Connection, period: Period, include_synthetic: bool = False
) -> tuple[Section, Section]:
    cur, prev = aggregate_both_periods(
        conn,
        ai_requests,
        ai_requests.c.requested_at,
        period,
        {
            "count": count_of(),
            "tokens": sum_of(ai_requests.c.total_tokens),
            "avg_latency_ms": avg_of(ai_requests.c.latency_ms),
            "cost_microdollars": sum_of(ai_requests.c.cost_microdollars),
            "unpriced": count_of(ai_requests.c.cost_microdollars.is_(None)),
        },
        where=billable_ai_request(include_synthetic),
    )
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


def tool_section(conn: Connection, period: Period) -> Section:
    cur, prev = aggregate_both_periods(
        conn,
        tool_executions,
        tool_executions.c.started_at,
        period,
        {"executions": count_of(), "succeeded": count_of(successful_tool_execution())},
    )
    return {
        "executions": _compare(cur, prev, "executions"),
        "success_rate": _rate(cur, prev, "succeeded", "executions"),
    }


def agent_section(conn: Connection, period: Period) -> Section:
    cur, prev = aggregate_both_periods(
        conn,
        agent_tasks,
        agent_tasks.c.started_at,
        period,
        {
            "tasks": count_of(),
            "finished": count_of(finished_agent_task()),
            "completed": count_of(completed_agent_task()),
        },
    )
    return {
        "tasks": _compare(cur, prev, "tasks"),
        "success_rate": _rate(cur, prev, "completed", "finished"),
    }


def conversation_section(conn: Connection, period: Period) -> Section:
    cur, prev = aggregate_both_periods(
        conn, conversations, conversations.c.started_at, period, {"started": count_of()}
    )
    msg_cur, msg_prev = aggregate_both_periods(
        conn,
        conversation_messages,
        conversation_messages.c.created_at,
        period,
        {"messages": count_of()},
    )
    return {
        "started": _compare(cur, prev, "started"),
        "messages": _compare(msg_cur, msg_prev, "messages"),
    }


def leaderboards(
    conn: Connection, period: Period, include_synthetic: bool = False
) -> dict[str, list[dict[str, Any]]]:
    """The period's top agents (by tasks), tools (by executions) and users (by AI cost)."""
    return {
        "agents": agent_list(conn, period, LEADERBOARD_SIZE, include_synthetic).agents.rows,
        "tools": tool_list(conn, period, LEADERBOARD_SIZE).tools.rows,
        "users": top_users(
            conn, period, LEADERBOARD_SIZE, UserRanking.cost, include_synthetic
        ).users.rows,
    }


def overview(
    conn: Connection, period: Period, now: datetime, include_synthetic: bool = False
) -> OverviewReport:
    """Every overview figure for ``period`` and the previous period of equal length.

    Synthetic (evaluation) AI requests are left out unless ``include_synthetic``.
    """
    sessions_section, traffic = session_section(conn, period, now)
    requests, costs = ai_sections(conn, period, include_synthetic)
    return OverviewReport(
        period=period,
        generated_at=now,
        sections={
            "sessions": sessions_section,
            "traffic": traffic,
            "requests": requests,
            "costs": costs,
            "tools": tool_section(conn, period),
            "agents": agent_section(conn, period),
            "conversations": conversation_section(conn, period),
            "users": user_overview(conn, period),
        },
        leaderboards=leaderboards(conn, period, include_synthetic),
        include_synthetic=include_synthetic,
    )
