"""Session reports: stats against the previous period, trends, the live list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, distinct, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.buckets import zero_filled
from systemprompt_analytics.reports.compare import (
    Comparison,
    aggregate_both_periods,
    avg_of,
    count_distinct_of,
    count_of,
    ratio,
)
from systemprompt_analytics.reports.definitions import (
    SESSION_DURATION_CAP,
    active_session,
    bot_session,
    capped_duration_seconds,
    human_session,
    in_period,
)
from systemprompt_analytics.storage.dialect import Granularity, time_bucket
from systemprompt_analytics.storage.schema import sessions

DURATION_CAP = SESSION_DURATION_CAP


@dataclass(frozen=True)
class SessionStats:
    period: Period
    figures: dict[str, Comparison | int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            **{
                name: value.to_dict() if isinstance(value, Comparison) else value
                for name, value in self.figures.items()
            },
        }


def session_stats(conn: Connection, period: Period, now: datetime) -> SessionStats:
    c = sessions.c
    human = human_session()
    duration = capped_duration_seconds(conn.dialect.name)

    current, previous = aggregate_both_periods(
        conn,
        sessions,
        c.started_at,
        period,
        {
            "created": count_of(human),
            "visitors": count_distinct_of(c.visitor_hash, human),
            "avg_duration_seconds": avg_of(duration, human),
            "avg_requests": avg_of(c.request_count, human),
            "converted": count_of(and_(human, c.converted_at.is_not(None))),
            "bot_sessions": count_of(bot_session()),
        },
    )
    active_now = conn.execute(
        select(func.count()).select_from(sessions).where(active_session(now), human)
    ).scalar_one()

    def mean(name: str) -> Comparison:
        def clean(value: Any) -> float | None:
            return None if value is None else round(float(value), 2)

        return Comparison(clean(current[name]), clean(previous[name]), "mean")

    return SessionStats(
        period,
        {
            "created": Comparison(int(current["created"]), int(previous["created"])),
            "active_now": int(active_now),
            "unique_visitors": Comparison(int(current["visitors"]), int(previous["visitors"])),
            "avg_duration_seconds": mean("avg_duration_seconds"),
            "avg_requests_per_session": mean("avg_requests"),
            "conversion_rate": Comparison(
                ratio(current["converted"], current["created"]),
                ratio(previous["converted"], previous["created"]),
                "rate",
            ),
            "bot_sessions": Comparison(int(current["bot_sessions"]), int(previous["bot_sessions"])),
        },
    )


TREND_METRICS = ("sessions", "visitors", "bot_sessions", "converted")


def session_trends(
    conn: Connection, period: Period, granularity: Granularity
) -> list[dict[str, Any]]:
    """Per bucket (UTC, zero-filled): human sessions, visitors, bot sessions, conversions."""
    c = sessions.c
    bucket = time_bucket(conn.dialect.name, c.started_at, granularity).label("bucket")
    human = human_session()
    statement = (
        select(
            bucket,
            func.count().filter(human).label("sessions"),
            func.count(distinct(c.visitor_hash)).filter(human).label("visitors"),
            func.count().filter(bot_session()).label("bot_sessions"),
            func.count().filter(and_(human, c.converted_at.is_not(None))).label("converted"),
        )
        .where(in_period(c.started_at, period))
        .group_by(bucket)
    )
    rows = {row.bucket: dict(row._mapping) for row in conn.execute(statement)}
    return zero_filled(period, granularity, rows, TREND_METRICS)


LIVE_COLUMNS = (
    "id",
    "started_at",
    "last_activity_at",
    "duration_seconds",
    "request_count",
    "page_view_count",
    "landing_page",
    "referrer_source",
    "channel",
    "country",
    "device_type",
    "browser",
    "user_id",
    "is_bot",
    "bot_name",
)


def live_sessions(
    conn: Connection, now: datetime, limit: int = 50, include_bots: bool = False
) -> list[dict[str, Any]]:
    """Active sessions, most recently active first (human only unless ``include_bots``)."""
    c = sessions.c
    statement = select(
        c.id,
        c.started_at,
        c.last_activity_at,
        c.request_count,
        c.page_view_count,
        c.landing_page,
        c.referrer_source,
        c.channel,
        c.country,
        c.device_type,
        c.browser,
        c.user_id,
        bot_session().label("is_bot"),
        c.bot_name,
    ).where(active_session(now))
    if not include_bots:
        statement = statement.where(human_session())
    statement = statement.order_by(c.last_activity_at.desc()).limit(limit)
    rows = []
    for row in conn.execute(statement):
        item = dict(row._mapping)
        item["duration_seconds"] = int((now - item["started_at"]).total_seconds())
        item["started_at"] = item["started_at"].isoformat()
        item["last_activity_at"] = item["last_activity_at"].isoformat()
        item["is_bot"] = bool(item["is_bot"])
        rows.append({name: item.get(name) for name in LIVE_COLUMNS})
    return rows
