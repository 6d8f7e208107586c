"""FingerprintRepository: per-fingerprint activity in batch form, reputation rows, high risk.

Everything is gathered with a few set-based queries grouped by fingerprint (never one query
per fingerprint) and turned into the pure types of :mod:`detection.reputation`.

**Counted once.** A reputation row's ``updated_at`` is the ``now`` of the run that last
counted it. A run over ``[start, end)`` counts, for each fingerprint, only activity at or
after its row's ``updated_at`` and skips rows already updated at or after ``end``; so
re-running the same hour counts nothing twice, and a catch-up run with a wider window after
missed runs is safe.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from systemprompt_analytics.detection.reputation import (
    DEFAULT_POLICY,
    PeriodActivity,
    Reputation,
    ReputationPolicy,
    Velocity,
    velocity_from_minutes,
)
from systemprompt_analytics.storage.dialect import excluded, upsert
from systemprompt_analytics.storage.schema import (
    fingerprint_reputation,
    request_events,
    sessions,
)

__all__ = [
    "FingerprintRepository",
    "PeriodBatch",
    "high_risk",
    "idle_rows",
    "last_hour_velocity",
    "load_rows",
    "period_activity",
    "save_rows",
]

HOUR = timedelta(hours=1)
_CHUNK = 500
_ROW_COLUMNS = tuple(column.name for column in fingerprint_reputation.columns)


def _minute_bucket(dialect_name: str, column: Any) -> ColumnElement[Any]:
    """The UTC minute ``column`` falls in (dialect.time_bucket stops at hours).

    Both are exact: PostgreSQL truncates the UTC wall time, SQLite formats the stored UTC
    text. Only used as a GROUP BY key.
    """
    if dialect_name == "postgresql":
        return func.date_trunc(literal_column("'minute'"), func.timezone("UTC", column))
    return func.strftime("%Y-%m-%d %H:%M:00", column)


def _counted(column: Any, reputation: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    """``column`` lies in ``[start, end)`` and after what the fingerprint's row already counted."""
    updated = reputation.c.updated_at
    return and_(
        column >= start,
        column < end,
        or_(updated.is_(None), and_(updated < end, column >= updated)),
    )


def _active_sessions(start: datetime, end: datetime) -> Subquery:
    """Ids of sessions that started or made a request in the period (per fingerprint bounds)."""
    s = sessions.alias("s")
    r = request_events.alias("r")
    fr = fingerprint_reputation.alias("fr")
    on_fr = fr.c.fingerprint_hash == s.c.fingerprint_hash
    started = (
        select(s.c.id.label("session_id"))
        .select_from(s.outerjoin(fr, on_fr))
        .where(s.c.fingerprint_hash.is_not(None), _counted(s.c.started_at, fr, start, end))
    )
    requested = (
        select(r.c.session_id.label("session_id"))
        .select_from(r.join(s, s.c.id == r.c.session_id).outerjoin(fr, on_fr))
        .where(s.c.fingerprint_hash.is_not(None), _counted(r.c.occurred_at, fr, start, end))
    )
    return union(started, requested).subquery("active")


def _session_totals(conn: Connection, active: Subquery, start: datetime, end: datetime) -> Any:
    s = sessions.alias("s2")
    fr = fingerprint_reputation.alias("fr2")
    statement = (
        select(
            s.c.fingerprint_hash,
            func.count().label("active"),
            func.sum(case((_counted(s.c.started_at, fr, start, end), 1), else_=0)).label("new"),
            func.sum(case((s.c.is_scanner, 1), else_=0)).label("scanner"),
            func.sum(case((s.c.is_behavioral_bot, 1), else_=0)).label("behavioral"),
            func.min(s.c.started_at).label("first_started"),
            func.max(s.c.started_at).label("last_started"),
        )
        .select_from(
            active.join(s, s.c.id == active.c.session_id).outerjoin(
                fr, fr.c.fingerprint_hash == s.c.fingerprint_hash
            )
        )
        .group_by(s.c.fingerprint_hash)
    )
    return conn.execute(statement).all()


def _session_attributes(conn: Connection, active: Subquery) -> Any:
    """(fingerprint, user_id, user_agent, latest start) of the active sessions."""
    s = sessions.alias("s3")
    statement = (
        select(
            s.c.fingerprint_hash, s.c.user_id, s.c.user_agent, func.max(s.c.started_at).label("at")
        )
        .select_from(active.join(s, s.c.id == active.c.session_id))
        .group_by(s.c.fingerprint_hash, s.c.user_id, s.c.user_agent)
    )
    return conn.execute(statement).all()


def _request_totals(conn: Connection, start: datetime, end: datetime) -> Any:
    s = sessions.alias("s")
    r = request_events.alias("r")
    fr = fingerprint_reputation.alias("fr")
    statement = (
        select(
            s.c.fingerprint_hash,
            func.count().label("requests"),
            func.min(r.c.occurred_at).label("first_at"),
            func.max(r.c.occurred_at).label("last_at"),
        )
        .select_from(
            r.join(s, s.c.id == r.c.session_id).outerjoin(
                fr, fr.c.fingerprint_hash == s.c.fingerprint_hash
            )
        )
        .where(s.c.fingerprint_hash.is_not(None), _counted(r.c.occurred_at, fr, start, end))
        .group_by(s.c.fingerprint_hash)
    )
    return conn.execute(statement).all()


def last_hour_velocity(
    conn: Connection, now: datetime, policy: ReputationPolicy = DEFAULT_POLICY
) -> dict[str, Velocity]:
    """Velocity of every fingerprint with requests in ``[now - 1h, now)``.

    One GROUP BY (fingerprint, UTC minute); peak and high-velocity minutes are taken in
    Python from those counts, so both databases give the same answer.
    """
    s = sessions.alias("s")
    r = request_events.alias("r")
    minute = _minute_bucket(conn.dialect.name, r.c.occurred_at).label("minute")
    statement = (
        select(s.c.fingerprint_hash, minute, func.count().label("n"))
        .select_from(r.join(s, s.c.id == r.c.session_id))
        .where(
            s.c.fingerprint_hash.is_not(None),
            r.c.occurred_at >= now - HOUR,
            r.c.occurred_at < now,
        )
        .group_by(s.c.fingerprint_hash, minute)
    )
    per_minute: dict[str, list[int]] = defaultdict(list)
    for fingerprint, _minute, count in conn.execute(statement):
        per_minute[fingerprint].append(int(count))
    return {key: velocity_from_minutes(counts, policy) for key, counts in per_minute.items()}


@dataclass(frozen=True, slots=True)
class PeriodBatch:
    """One period's activity per fingerprint, the stored rows of those fingerprints, and the
    last-hour velocity of every fingerprint with requests in the last hour."""

    activities: list[PeriodActivity]
    rows: dict[str, Reputation]
    velocity: dict[str, Velocity]


def period_activity(
    conn: Connection,
    start: datetime,
    end: datetime,
    policy: ReputationPolicy = DEFAULT_POLICY,
) -> PeriodBatch:
    """What every fingerprint active in ``[start, end)`` did there, not yet counted.

    Fingerprints whose row was updated at or after ``end`` are left out. A fingerprint
    without a row adds every session active in the period; one with a row adds the sessions
    that started in it (a session is counted once, in the period it started).
    """
    active = _active_sessions(start, end)
    totals = {row.fingerprint_hash: row for row in _session_totals(conn, active, start, end)}
    requests = {row.fingerprint_hash: row for row in _request_totals(conn, start, end)}
    users, agents = _users_and_agents(_session_attributes(conn, active))
    rows = load_rows(conn, sorted(totals))
    speeds = last_hour_velocity(conn, end, policy)
    activities = [
        _activity(key, start, end, totals[key], requests.get(key), key in rows, speeds)
        for key in sorted(totals)
    ]
    for index, item in enumerate(activities):
        key = item.fingerprint_hash
        activities[index] = replace(
            item, user_ids=frozenset(users.get(key, ())), last_user_agent=agents.get(key)
        )
    return PeriodBatch(activities, rows, speeds)


def _activity(
    key: str,
    start: datetime,
    end: datetime,
    total: Any,
    request: Any,
    known: bool,
    speeds: dict[str, Velocity],
) -> PeriodActivity:
    first = [total.first_started] + ([request.first_at] if request else [])
    last = [min(total.last_started, end)] + ([request.last_at] if request else [])
    return PeriodActivity(
        fingerprint_hash=key,
        start=start,
        end=end,
        first_seen_at=min(first),
        last_seen_at=max(last),
        sessions=int(total.new if known else total.active),
        requests=int(request.requests) if request else 0,
        velocity=speeds.get(key, Velocity()),
        scanner_sessions=int(total.scanner),
        behavioral_sessions=int(total.behavioral),
    )


def _users_and_agents(rows: Iterable[Any]) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Users per fingerprint, and the user agent of its latest session."""
    users: dict[str, set[str]] = defaultdict(set)
    latest: dict[str, tuple[datetime, str]] = {}
    for fingerprint, user_id, user_agent, at in rows:
        if user_id is not None:
            users[fingerprint].add(user_id)
        if user_agent is not None and (
            fingerprint not in latest or (at, user_agent) > latest[fingerprint]
        ):
            latest[fingerprint] = (at, user_agent)
    return users, {key: agent for key, (_at, agent) in latest.items()}


def load_rows(conn: Connection, fingerprints: Sequence[str]) -> dict[str, Reputation]:
    """The stored rows of ``fingerprints`` (in chunks of a few hundred keys)."""
    table = fingerprint_reputation
    found: dict[str, Reputation] = {}
    for index in range(0, len(fingerprints), _CHUNK):
        chunk = list(fingerprints[index : index + _CHUNK])
        statement = select(table).where(table.c.fingerprint_hash.in_(chunk))
        for row in conn.execute(statement):
            found[row.fingerprint_hash] = _to_reputation(row)
    return found


def idle_rows(
    conn: Connection, now: datetime, policy: ReputationPolicy = DEFAULT_POLICY
) -> list[Reputation]:
    """Rows not updated as of ``now`` that still need attention while their fingerprint is idle.

    That is rows that can recover (an incident and a score below the ceiling), flagged rows,
    and rows whose last-hour velocity must be brought back to what the last hour holds.
    """
    c = fingerprint_reputation.c
    statement = (
        select(fingerprint_reputation)
        .where(
            c.updated_at < now,
            or_(
                and_(
                    c.last_incident_at.is_not(None),
                    c.reputation_score < policy.recovery_ceiling,
                ),
                c.is_flagged,
                c.requests_last_hour > 0,
                c.sustained_high_velocity_minutes > 0,
            ),
        )
        .order_by(c.fingerprint_hash)
    )
    return [_to_reputation(row) for row in conn.execute(statement)]


def save_rows(conn: Connection, rows: Sequence[Reputation]) -> int:
    """Insert or replace reputation rows (one upsert, executemany). Returns how many."""
    if not rows:
        return 0
    table = fingerprint_reputation
    update = {name: excluded(table, name) for name in _ROW_COLUMNS if name != "fingerprint_hash"}
    statement = upsert(conn.dialect.name, table, ["fingerprint_hash"], update)
    conn.execute(statement, [_to_params(row) for row in rows])
    return len(rows)


def high_risk(conn: Connection, limit: int = 50) -> list[Reputation]:
    """The worst reputations: flagged first, then by score ascending, most recent first."""
    c = fingerprint_reputation.c
    statement = (
        select(fingerprint_reputation)
        .where(or_(c.is_flagged, c.reputation_score < DEFAULT_POLICY.initial_score))
        .order_by(c.reputation_score, c.last_seen_at.desc(), c.fingerprint_hash)
        .limit(limit)
    )
    return [_to_reputation(row) for row in conn.execute(statement)]


def _to_reputation(row: Row[Any]) -> Reputation:
    values = row._mapping
    users = values["associated_user_ids"] or []
    return Reputation(
        fingerprint_hash=values["fingerprint_hash"],
        first_seen_at=values["first_seen_at"],
        last_seen_at=values["last_seen_at"],
        updated_at=values["updated_at"],
        session_count=int(values["session_count"]),
        request_count=int(values["request_count"]),
        requests_last_hour=int(values["requests_last_hour"]),
        peak_requests_per_minute=int(values["peak_requests_per_minute"]),
        sustained_high_velocity_minutes=int(values["sustained_high_velocity_minutes"]),
        is_flagged=bool(values["is_flagged"]),
        flag_reason=values["flag_reason"],
        reputation_score=int(values["reputation_score"]),
        abuse_incidents=int(values["abuse_incidents"]),
        last_incident_at=values["last_incident_at"],
        associated_user_ids=tuple(str(user) for user in users),
        last_user_agent=values["last_user_agent"],
    )


def _to_params(row: Reputation) -> dict[str, Any]:
    params = {name: getattr(row, name) for name in _ROW_COLUMNS}
    params["associated_user_ids"] = list(row.associated_user_ids) or None
    return params


class FingerprintRepository:
    """The functions of this module bound to one connection (the original crate's name)."""

    def __init__(self, conn: Connection, policy: ReputationPolicy = DEFAULT_POLICY) -> None:
        self.conn = conn
        self.policy = policy

    def period_activity(self, start: datetime, end: datetime) -> PeriodBatch:
        return period_activity(self.conn, start, end, self.policy)

    def last_hour_velocity(self, now: datetime) -> dict[str, Velocity]:
        return last_hour_velocity(self.conn, now, self.policy)

    def load(self, fingerprints: Sequence[str]) -> dict[str, Reputation]:
        return load_rows(self.conn, fingerprints)

    def idle(self, now: datetime) -> list[Reputation]:
        return idle_rows(self.conn, now, self.policy)

    def save(self, rows: Sequence[Reputation]) -> int:
        return save_rows(self.conn, rows)

    def high_risk(self, limit: int = 50) -> list[Reputation]:
        return high_risk(self.conn, limit)
