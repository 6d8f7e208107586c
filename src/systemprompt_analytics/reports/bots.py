"""Bot reports: how much traffic is automated, of which kind and why — shares of the true total."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.definitions import (
    bot_category,
    bot_session,
    engaged_session,
    ghost_session,
    in_period,
)
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


def bot_traffic(conn: Connection, period: Period, limit: int = 20) -> BotTraffic:
    """Human, engaged, ghost and bot sessions started in the period; bots by category and by
    reason. Every share is of all sessions in the period; reasons beyond ``limit`` are summed
    into one row so the rows always add up to the bot total."""
    window = in_period(sessions.c.started_at, period)
    engaged, ghosts, bots, total = conn.execute(
        select(
            func.count().filter(engaged_session()),
            func.count().filter(ghost_session()),
            func.count().filter(bot_session()),
            func.count(),
        ).where(window)
    ).one()
    humans = engaged + ghosts
    totals = {
        "sessions": total,
        "human_sessions": humans,
        "engaged_sessions": engaged,
        "ghost_sessions": ghosts,
        "bot_sessions": bots,
        "bot_share": ratio(bots, total),
        "ai_crawler_sessions": conn.execute(
            select(func.count()).where(window, sessions.c.is_ai_crawler)
        ).scalar_one(),
        "throttled_sessions": conn.execute(
            select(func.count()).where(window, sessions.c.throttle_level > 0)
        ).scalar_one(),
    }
    category = bot_category().label("category")
    by_category = [
        {"category": name, "sessions": count, "share_of_all": ratio(count, total)}
        for name, count in conn.execute(
            select(category, func.count())
            .where(window, bot_session())
            .group_by(category)
            .order_by(func.count().desc(), category)
        )
    ]
    reason = func.coalesce(sessions.c.bot_reason, "(no reason recorded)").label("reason")
    reasons = conn.execute(
        select(reason, func.count())
        .where(window, bot_session())
        .group_by(reason)
        .order_by(func.count().desc(), reason)
    ).all()
    shown, rest = reasons[:limit], reasons[limit:]
    by_reason = [
        {"reason": name, "sessions": count, "share_of_all": ratio(count, total)}
        for name, count in shown
    ]
    if rest:
        count = sum(row[1] for row in rest)
        by_reason.append(
            {"reason": OTHER_REASONS, "sessions": count, "share_of_all": ratio(count, total)}
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
