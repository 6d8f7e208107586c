"""Bot reports: how much traffic is automated, of which kind and why — shares of the true total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, true

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.definitions import (
    bot_category,
    bot_session,
    in_period,
)
from systemprompt_analytics.reports.rollup_facts import bot_row, cuts, reader, sessions_of
from systemprompt_analytics.storage.rollups.specs import ENGAGED, GHOST
from systemprompt_analytics.storage.schema import sessions

OTHER_REASONS = "(other reasons)"


@dataclass(frozen=True)
class BotTraffic:
    period: Period
    totals: dict[str, Any]
    by_category: list[dict[str, Any]]
    by_reason: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "totals": self.totals,
            "by_category": self.by_category,
            "by_reason": self.by_reason,
        }


def bot_traffic(
    conn: Connection, period: Period, limit: int = 20, *, use_rollups: bool = True
) -> BotTraffic:
    """Human, engaged, ghost and bot sessions started in the period; bots by category and by
    reason. Every share is of all sessions in the period; reasons beyond ``limit`` are summed
    into one row so the rows always add up to the bot total."""
    facts = reader(conn, use_rollups).facts("sessions", cuts(period))
    c = facts.c
    window = in_period(c.bucket_at, period)
    bot = bot_row(facts)

    def count(condition: ColumnElement[bool] | None = None) -> Any:
        return sessions_of(facts, condition)(true())

    engaged, ghosts, bots, total, crawlers, throttled = conn.execute(
        select(
            count(c.kind == ENGAGED),
            count(c.kind == GHOST),
            count(bot),
            count(),
            count(c.is_ai_crawler),
            count(c.is_throttled),
        ).where(window)
    ).one()
    humans = engaged + ghosts
    totals = {
        "sessions": int(total),
        "human_sessions": int(humans),
        "engaged_sessions": int(engaged),
        "ghost_sessions": int(ghosts),
        "bot_sessions": int(bots),
        "bot_share": ratio(bots, total),
        "ai_crawler_sessions": int(crawlers),
        "throttled_sessions": int(throttled),
    }
    category = c.bot_category.label("category")
    by_category = [
        {"category": name, "sessions": int(found), "share_of_all": ratio(found, total)}
        for name, found in conn.execute(
            select(category, count())
            .where(window, bot)
            .group_by(category)
            .order_by(count().desc(), category)
        )
    ]
    reason = func.coalesce(c.bot_reason, "(no reason recorded)").label("reason")
    reasons = conn.execute(
        select(reason, count()).where(window, bot).group_by(reason).order_by(count().desc(), reason)
    ).all()
    shown, rest = reasons[:limit], reasons[limit:]
    by_reason = [
        {"reason": name, "sessions": int(found), "share_of_all": ratio(found, total)}
        for name, found in shown
    ]
    if rest:
        found = sum(int(row[1]) for row in rest)
        by_reason.append(
            {"reason": OTHER_REASONS, "sessions": found, "share_of_all": ratio(found, total)}
        )
    return BotTraffic(period, totals, by_category, by_reason)


BOT_SESSION_COLUMNS = (
    "id",
    "started_at",
    "category",
    "bot_name",
    "reason",
    "behavioral_score",
    "throttle_level",
    "signals",
    "request_count",
    "page_view_count",
    "ip",
    "user_agent",
)


def flagged_sessions(conn: Connection, period: Period, limit: int = 50) -> list[dict[str, Any]]:
    """Bot sessions of the period, highest behavioural score first, with their signals."""
    c = sessions.c
    rows = conn.execute(
        select(
            c.id,
            c.started_at,
            bot_category().label("category"),
            c.bot_name,
            c.bot_reason.label("reason"),
            c.behavioral_score,
            c.throttle_level,
            c.behavioral_signals.label("signals"),
            c.request_count,
            c.page_view_count,
            c.ip,
            c.user_agent,
        )
        .where(in_period(c.started_at, period), bot_session())
        .order_by(c.behavioral_score.desc(), c.request_count.desc(), c.id)
        .limit(limit)
    )
    result = []
    for row in rows:
        item = dict(row._mapping)
        item["started_at"] = item["started_at"].isoformat()
        result.append(item)
    return result
