"""Session reports: stats against the previous period, trends, the live list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, and_, func, select, true

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.buckets import floor_to_bucket, zero_filled
from systemprompt_analytics.reports.compare import (
    Comparison,
    aggregate_both_periods,
    ratio,
    sum_of,
)
from systemprompt_analytics.reports.definitions import (
    SESSION_DURATION_CAP,
    active_session,
    bot_session,
    human_session,
    in_period,
)
from systemprompt_analytics.reports.rollup_facts import (
    bot_row,
    cuts,
    human_row,
    reader,
    sessions_of,
)
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket
from systemprompt_analytics.storage.rollups import RollupReader
from systemprompt_analytics.storage.schema import sessions

DURATION_CAP = SESSION_DURATION_CAP


def human_visitors(
    source: RollupReader,
    boundaries: Sequence[datetime],
    granularity: Granularity | None = None,
    *,
    days: bool = True,
) -> dict[tuple[int, Any], int]:
    """Distinct visitors of the human sessions started in each stretch between ``boundaries``
    (and each trend bucket of ``granularity``), exactly, from the session visitors rollup's
    key sets: ``(stretch index, bucket start or None) → visitors``."""
    when = None if granularity is None else partial(floor_to_bucket, granularity=granularity)
    found = source.distinct(
        "session_visitors",
        "visitor_keys",
        boundaries,
        where=lambda columns: columns["is_human"],
        days=days,
        when=when,
    )
    return {(group[0], group[1]): len(keys) for group, keys in found.items()}


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


def session_stats(
    conn: Connection, period: Period, now: datetime, *, use_rollups: bool = True
) -> SessionStats:
    human = human_session()
    source = reader(conn, use_rollups)
    boundaries = cuts(period, previous=True)
    facts = source.facts("sessions", boundaries)
    rows = facts.c
    humans = human_row(facts)
    current, previous = aggregate_both_periods(
        conn,
        facts,
        rows.bucket_at,
        period,
        {
            "created": sessions_of(facts, humans),
            "duration_seconds_sum": sum_of(rows.duration_seconds_sum, humans),
            "request_count": sum_of(rows.request_count, humans),
            "converted": sessions_of(facts, and_(humans, rows.is_converted)),
            "bot_sessions": sessions_of(facts, bot_row(facts)),
        },
    )
    visitors = human_visitors(source, boundaries)
    active_now = conn.execute(
        select(func.count()).select_from(sessions).where(active_session(now), human)
    ).scalar_one()

    def mean(name: str) -> Comparison:
        def average(figures: dict[str, Any]) -> float | None:
            created = int(figures["created"])
            return round(float(figures[name]) / created, 2) if created else None

        return Comparison(average(current), average(previous), "mean")

    return SessionStats(
        period,
        {
            "created": Comparison(int(current["created"]), int(previous["created"])),
            "active_now": int(active_now),
            "unique_visitors": Comparison(visitors.get((1, None), 0), visitors.get((0, None), 0)),
            "avg_duration_seconds": mean("duration_seconds_sum"),
            "avg_requests_per_session": mean("request_count"),
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
    conn: Connection, period: Period, granularity: Granularity, *, use_rollups: bool = True
) -> list[dict[str, Any]]:
    """Per bucket (UTC, zero-filled): human sessions, visitors, bot sessions, conversions."""
    dialect = conn.dialect.name
    source = reader(conn, use_rollups)
    facts = source.facts("sessions", cuts(period), days=granularity != "hour")
    humans = human_row(facts)
    bucket = time_bucket(dialect, facts.c.bucket_at, granularity).label("bucket")
    counted = (
        select(
            bucket,
            sessions_of(facts, humans)(true()).label("sessions"),
            sessions_of(facts, bot_row(facts))(true()).label("bot_sessions"),
            sessions_of(facts, and_(humans, facts.c.is_converted))(true()).label("converted"),
        )
        .where(in_period(facts.c.bucket_at, period))
        .group_by(bucket)
    )
    rows = {row.bucket: dict(row._mapping) for row in conn.execute(counted)}
    by_start = {bucket_start(key): value for key, value in rows.items()}
    visitors = human_visitors(source, cuts(period), granularity, days=granularity != "hour")
    for (_, start), count in visitors.items():
        by_start.setdefault(start, {})["visitors"] = count
    return zero_filled(period, granularity, by_start, TREND_METRICS)


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
