"""The SQL behind the anomaly metrics: per-minute totals and per-fingerprint counts.

Definitions follow docs/metrics.md through :mod:`reports.definitions`: an error is a tracked
request answered with a status ≥ 400 (the error rate leaves out requests flagged as bots, AI
crawlers or scanners); a bot session is any flagged session; AI cost and AI requests exclude
synthetic (evaluation) requests; a tool failure is any status but ``success``. Health checks
are not requests here, as in every report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    func,
    literal_column,
    not_,
    or_,
    select,
)

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.definitions import (
    billable_ai_request,
    bot_session,
    in_period,
    successful_tool_execution,
)
from systemprompt_analytics.storage.dialect import bucket_start
from systemprompt_analytics.storage.schema import (
    ai_requests,
    request_events,
    sessions,
    tool_executions,
)

MINUTE = timedelta(minutes=1)


def minute_bucket(dialect_name: str, column: Any) -> ColumnElement[Any]:
    """The start of the UTC minute ``column`` falls in (read back through ``bucket_start``).

    The one dialect difference in this module; it mirrors ``storage.dialect.time_bucket``,
    which stops at hours.
    """
    if dialect_name == "postgresql":
        return func.date_trunc(literal_column("'minute'"), func.timezone("UTC", column))
    return func.strftime("%Y-%m-%d %H:%M:00", column)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def minute_totals(conn: Connection, period: Period) -> dict[datetime, dict[str, float]]:
    """Per-minute totals over ``period`` (minutes without activity are absent)."""
    dialect = conn.dialect.name
    totals: dict[datetime, dict[str, float]] = {}
    r = request_events.c
    # Scanners probing for /.env are not the platform failing: the error rate counts the
    # requests not flagged (at request time) as bots, AI crawlers or scanners.
    human = not_(or_(r.is_bot, r.is_ai_crawler, r.is_scanner))
    requests = _grouped(
        dialect,
        r.occurred_at,
        [
            func.count().label("requests"),
            _count_if(human).label("human_requests"),
            _count_if(and_(human, r.status_code >= 400)).label("human_errors"),
            func.sum(r.latency_ms).label("latency_sum"),
            func.count(r.latency_ms).label("latency_count"),
        ],
    ).where(in_period(r.occurred_at, period), r.kind != "health")
    s = sessions.c
    started = _grouped(
        dialect,
        s.started_at,
        [func.count().label("sessions"), _count_if(bot_session()).label("bot_sessions")],
    ).where(in_period(s.started_at, period))
    a = ai_requests.c
    ai = _grouped(
        dialect,
        a.requested_at,
        [
            func.count().label("ai_requests"),
            _count_if(a.status != "success").label("ai_errors"),
            func.sum(a.cost_microdollars).label("ai_cost_microdollars"),
        ],
    ).where(in_period(a.requested_at, period), billable_ai_request())
    t = tool_executions.c
    tools = _grouped(
        dialect,
        t.started_at,
        [
            func.count().label("tools"),
            _count_if(~successful_tool_execution()).label("tool_failures"),
        ],
    ).where(in_period(t.started_at, period))
    for statement in (requests, started, ai, tools):
        for row in conn.execute(statement).mappings():
            minute = bucket_start(row["minute"])
            values = totals.setdefault(minute, {})
            for key, value in row.items():
                if key != "minute":
                    values[key] = float(value or 0)
    return totals


def _grouped(dialect: str, column: Any, aggregates: list[Any]) -> Select[Any]:
    bucket = minute_bucket(dialect, column).label("minute")
    return select(bucket, *aggregates).group_by(bucket)


def requests_per_fingerprint(conn: Connection, period: Period, at_least: float) -> dict[str, float]:
    """Tracked requests per fingerprint in ``period``, for fingerprints with ``at_least``."""
    count = func.count()
    statement = (
        select(sessions.c.fingerprint_hash, count)
        .select_from(request_events.join(sessions, sessions.c.id == request_events.c.session_id))
        .where(
            in_period(request_events.c.occurred_at, period),
            request_events.c.kind != "health",
            sessions.c.fingerprint_hash.is_not(None),
        )
        .group_by(sessions.c.fingerprint_hash)
        .having(count >= at_least)
    )
    return _pairs(conn.execute(statement))


def sessions_per_fingerprint(conn: Connection, period: Period, at_least: float) -> dict[str, float]:
    """Sessions started in ``period`` per fingerprint, for fingerprints with ``at_least``."""
    count = func.count()
    statement = (
        select(sessions.c.fingerprint_hash, count)
        .where(in_period(sessions.c.started_at, period), sessions.c.fingerprint_hash.is_not(None))
        .group_by(sessions.c.fingerprint_hash)
        .having(count >= at_least)
    )
    return _pairs(conn.execute(statement))


def ips_per_fingerprint(conn: Connection, period: Period, at_least: float) -> dict[str, float]:
    """Distinct IPs of the sessions started in ``period`` per fingerprint (``at_least``)."""
    count = func.count(sessions.c.ip.distinct())
    statement = (
        select(sessions.c.fingerprint_hash, count)
        .where(
            in_period(sessions.c.started_at, period),
            sessions.c.fingerprint_hash.is_not(None),
            sessions.c.ip.is_not(None),
        )
        .group_by(sessions.c.fingerprint_hash)
        .having(count >= at_least)
    )
    return _pairs(conn.execute(statement))


def _pairs(rows: Iterable[Any]) -> dict[str, float]:
    return {str(key): float(value) for key, value in rows}
