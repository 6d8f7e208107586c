"""FunnelRepository: funnel definitions, progress rows and the history a rebuild replays.

Concurrency protocol for progress (see docs/funnels.md): a transaction that changes a funnel's
progress first locks the funnel row (shared for ingestion, exclusive for a rebuild or a
change of definition), then claims a row for every unit it may touch (INSERT ... ON CONFLICT
DO NOTHING: a unit being inserted by another transaction makes this one wait for it), then
locks those rows (SELECT ... FOR UPDATE, in key order) and writes the new progress. The
UNIQUE (funnel_id, unit_key) constraint makes a second row impossible. SQLite has one writer
at a time: the first statement takes the write lock, so nothing read afterwards goes stale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    delete,
    func,
    or_,
    select,
    union,
    update,
)

from systemprompt_analytics.funnels.activities import (
    CLIENT_EVENT_TYPES,
    PAGE_REQUEST_KIND,
    from_client_event,
    from_request_event,
)
from systemprompt_analytics.funnels.definition import Funnel, Mode, Unit, build_step
from systemprompt_analytics.funnels.matcher import NOT_STARTED, Activity, Progress
from systemprompt_analytics.storage.dialect import bucket_start, insert, time_bucket
from systemprompt_analytics.storage.rollups.marking import mark_late
from systemprompt_analytics.storage.schema import (
    client_events,
    funnel_progress,
    funnel_steps,
    funnels,
    request_events,
    sessions,
)
from systemprompt_analytics.storage.types import UTCDateTime
from systemprompt_analytics.storage.write_lock import begin_writing

# A claimed row that no step has been reached in yet; never committed (deleted or filled in).
PLACEHOLDER_STEP = -1


@dataclass(frozen=True)
class StoredFunnel:
    """A funnel as stored; ``updated_at`` changes with every change of the definition."""

    id: int
    funnel: Funnel
    created_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------------------------
# Definitions
# --------------------------------------------------------------------------------------
def load_funnels(
    conn: Connection, *, active_only: bool = False, funnel_id: int | None = None
) -> list[StoredFunnel]:
    """Stored funnels with their steps, by id."""
    query = select(funnels).order_by(funnels.c.id)
    if active_only:
        query = query.where(funnels.c.is_active)
    if funnel_id is not None:
        query = query.where(funnels.c.id == funnel_id)
    heads = conn.execute(query).all()
    if not heads:
        return []
    step_rows: dict[int, list[Any]] = defaultdict(list)
    steps_query = (
        select(funnel_steps)
        .where(funnel_steps.c.funnel_id.in_([head.id for head in heads]))
        .order_by(funnel_steps.c.funnel_id, funnel_steps.c.step_order)
    )
    for row in conn.execute(steps_query):
        step_rows[row.funnel_id].append(row)
    stored: list[StoredFunnel] = []
    for head in heads:
        steps = tuple(
            build_step(
                row.name,
                row.matcher_type,
                row.matcher_value,
                row.event_filters,
                f"funnel {head.name!r} step {row.step_order + 1} ({row.name})",
            )
            for row in step_rows[head.id]
        )
        funnel = Funnel(
            name=head.name,
            steps=steps,
            mode=Mode(head.mode),
            unit=Unit(head.unit),
            window_seconds=head.window_seconds,
            description=head.description,
            active=head.is_active,
        )
        stored.append(StoredFunnel(head.id, funnel, head.created_at, head.updated_at))
    return stored


def find_funnel(conn: Connection, name: str) -> StoredFunnel | None:
    funnel_id = conn.execute(select(funnels.c.id).where(funnels.c.name == name)).scalar()
    if funnel_id is None:
        return None
    found = load_funnels(conn, funnel_id=funnel_id)
    return found[0] if found else None


def _head_values(funnel: Funnel) -> dict[str, Any]:
    return {
        "name": funnel.name,
        "description": funnel.description,
        "mode": funnel.mode.value,
        "unit": funnel.unit.value,
        "window_seconds": funnel.window_seconds,
        "is_active": funnel.active,
    }


def _insert_steps(conn: Connection, funnel_id: int, funnel: Funnel) -> None:
    conn.execute(
        funnel_steps.insert(),
        [
            {
                "funnel_id": funnel_id,
                "step_order": order,
                "name": step.name,
                "matcher_type": step.matcher.value,
                "matcher_value": step.value,
                "event_filters": dict(step.properties) or None,
            }
            for order, step in enumerate(funnel.steps)
        ],
    )


def insert_funnel(conn: Connection, funnel: Funnel, now: datetime) -> StoredFunnel:
    values = {**_head_values(funnel), "created_at": now, "updated_at": now}
    funnel_id = conn.execute(funnels.insert().values(values).returning(funnels.c.id)).scalar_one()
    _insert_steps(conn, funnel_id, funnel)
    return StoredFunnel(funnel_id, funnel, now, now)


def update_funnel(
    conn: Connection, stored: StoredFunnel, funnel: Funnel, now: datetime
) -> StoredFunnel:
    """Replace the definition (the caller holds the funnel's exclusive lock)."""
    conn.execute(
        update(funnels)
        .where(funnels.c.id == stored.id)
        .values({**_head_values(funnel), "updated_at": now})
    )
    if funnel.steps != stored.funnel.steps:
        conn.execute(delete(funnel_steps).where(funnel_steps.c.funnel_id == stored.id))
        _insert_steps(conn, stored.id, funnel)
    return StoredFunnel(stored.id, funnel, stored.created_at, now)


def delete_funnel(conn: Connection, funnel_id: int) -> None:
    """The funnel, its steps and its progress (explicitly, whatever the FK settings)."""
    delete_progress(conn, funnel_id)
    conn.execute(delete(funnel_steps).where(funnel_steps.c.funnel_id == funnel_id))
    conn.execute(delete(funnels).where(funnels.c.id == funnel_id))


def lock_funnel(conn: Connection, funnel_id: int, *, exclusive: bool) -> datetime | None:
    """Lock the funnel row for this transaction; returns its ``updated_at`` (None if gone).

    PostgreSQL: ``FOR SHARE`` lets ingesting transactions run side by side while a rebuild
    or a change of definition (``FOR UPDATE``) waits for them, and they for it. SQLite: the
    database write lock (:func:`begin_writing`) serialises everything.
    """
    begin_writing(conn)
    query = select(funnels.c.updated_at).where(funnels.c.id == funnel_id)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update(read=not exclusive)
    return conn.execute(query).scalar()


def progress_totals(conn: Connection) -> dict[int, tuple[int, int]]:
    """Per funnel id: units with progress, and how many of them completed."""
    query = select(
        funnel_progress.c.funnel_id,
        func.count(),
        func.count(funnel_progress.c.completed_at),
    ).group_by(funnel_progress.c.funnel_id)
    return {row[0]: (int(row[1]), int(row[2])) for row in conn.execute(query)}


# --------------------------------------------------------------------------------------
# Progress rows
# --------------------------------------------------------------------------------------
def _iso(times: Iterable[datetime]) -> list[str]:
    return [moment.isoformat() for moment in times]


def _times(values: Any) -> tuple[datetime, ...]:
    return tuple(datetime.fromisoformat(value) for value in values or ())


def progress_values(funnel: Funnel, progress: Progress) -> dict[str, Any]:
    """The stored columns of a started progress (``updated_at`` = when the last recorded
    step was reached, so the row depends on activity only, never on when it was written)."""
    reached = progress.reached
    return {
        "session_id": progress.session_id,
        "current_step": progress.current_step,
        "step_timestamps": _iso(reached),
        "started_at": reached[0],
        "updated_at": reached[-1],
        "completed_at": reached[-1] if progress.is_complete(funnel) else None,
        "attempt_timestamps": None if progress.attempt == reached else _iso(progress.attempt),
    }


def progress_from_row(row: Any) -> Progress:
    if row.current_step == PLACEHOLDER_STEP:
        return NOT_STARTED
    reached = _times(row.step_timestamps)
    attempt = reached if row.attempt_timestamps is None else _times(row.attempt_timestamps)
    return Progress(reached, attempt, row.session_id)


def claim_progress(conn: Connection, funnel_id: int, keys: Sequence[str], at: datetime) -> None:
    """Make sure a row exists for each unit (placeholders for new ones), in key order."""
    if not keys:
        return
    rows = [
        {
            "funnel_id": funnel_id,
            "unit_key": key,
            "current_step": PLACEHOLDER_STEP,
            "step_timestamps": [],
            "started_at": at,
            "updated_at": at,
        }
        for key in sorted(keys)
    ]
    statement = insert(conn.dialect.name, funnel_progress).on_conflict_do_nothing(
        index_elements=["funnel_id", "unit_key"]
    )
    conn.execute(statement, rows)


def lock_progress(
    conn: Connection, funnel_id: int, keys: Sequence[str]
) -> dict[str, tuple[int, Progress]]:
    """Lock and read the units' rows (row id and progress), in key order."""
    found: dict[str, tuple[int, Progress]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        query = (
            select(funnel_progress)
            .where(funnel_progress.c.funnel_id == funnel_id, funnel_progress.c.unit_key.in_(chunk))
            .order_by(funnel_progress.c.unit_key)
            .with_for_update()
        )
        for row in conn.execute(query):
            found[row.unit_key] = (row.id, progress_from_row(row))
    return found


def _mark_changed(conn: Connection, starts: Iterable[datetime]) -> None:
    """Mark the rolled-up hours of progress rows that started at ``starts`` and changed
    (storage/rollups/platform_specs.py): in the caller's transaction, at the shortest settling
    delay, since a rebuild rewrites rows of any age."""
    mark_late(conn, funnel_progress.name, starts, datetime.now(UTC), session_max_hours=0)


def save_progress(conn: Connection, funnel: Funnel, changes: Mapping[int, Progress]) -> None:
    """Write new progress by row id; rows still not started (placeholders) are deleted."""
    empty = [row_id for row_id, progress in changes.items() if not progress.started]
    started = [
        {"row_id": row_id, **progress_values(funnel, progress)}
        for row_id, progress in changes.items()
        if progress.started
    ]
    if changes:
        p = funnel_progress.c
        before = conn.execute(
            select(p.started_at).where(p.id.in_(list(changes)), p.current_step >= 0)
        ).scalars()
        _mark_changed(conn, [*before, *(row["started_at"] for row in started)])
    if empty:
        conn.execute(delete(funnel_progress).where(funnel_progress.c.id.in_(empty)))
    if started:
        conn.execute(
            update(funnel_progress).where(funnel_progress.c.id == bindparam("row_id")), started
        )


def insert_progress(
    conn: Connection, funnel_id: int, funnel: Funnel, progress: Mapping[str, Progress]
) -> None:
    rows = [
        {"funnel_id": funnel_id, "unit_key": key, **progress_values(funnel, item)}
        for key, item in progress.items()
        if item.started
    ]
    if rows:
        conn.execute(funnel_progress.insert(), rows)
        _mark_changed(conn, [row["started_at"] for row in rows])


def delete_progress(conn: Connection, funnel_id: int) -> None:
    p = funnel_progress.c
    hour = time_bucket(conn.dialect.name, p.started_at, "hour")
    hours = conn.execute(select(hour).where(p.funnel_id == funnel_id).distinct()).scalars()
    _mark_changed(conn, [bucket_start(value) for value in hours])
    conn.execute(delete(funnel_progress).where(p.funnel_id == funnel_id))


def mark_converted(conn: Connection, conversions: Iterable[tuple[str, datetime]]) -> None:
    """Sessions that completed a funnel converted: ``converted_at`` keeps the earliest time."""
    params = [{"b_session": session_id, "b_at": at} for session_id, at in conversions]
    if not params:
        return
    at = bindparam("b_at", type_=UTCDateTime())
    conn.execute(
        update(sessions)
        .where(
            sessions.c.id == bindparam("b_session"),
            or_(sessions.c.converted_at.is_(None), sessions.c.converted_at > at),
        )
        .values(converted_at=at),
        params,
    )


# --------------------------------------------------------------------------------------
# Sessions and history
# --------------------------------------------------------------------------------------
def visitor_hashes(conn: Connection, session_ids: Iterable[str]) -> dict[str, str]:
    """Session id -> visitor hash, for the sessions that have one."""
    ids = sorted(set(session_ids))
    found: dict[str, str] = {}
    for start in range(0, len(ids), 1000):
        query = select(sessions.c.id, sessions.c.visitor_hash).where(
            sessions.c.id.in_(ids[start : start + 1000]), sessions.c.visitor_hash.is_not(None)
        )
        found.update({row.id: row.visitor_hash for row in conn.execute(query)})
    return found


def _activity_sessions() -> Any:
    return union(
        select(request_events.c.session_id).where(request_events.c.kind == PAGE_REQUEST_KIND),
        select(client_events.c.session_id).where(
            client_events.c.event_type.in_(CLIENT_EVENT_TYPES)
        ),
    ).subquery()


def activity_session_ids(conn: Connection) -> list[str]:
    """Every session with funnel activity in the stored history."""
    subquery = _activity_sessions()
    return [row[0] for row in conn.execute(select(subquery.c.session_id))]


def sessions_by_visitor(conn: Connection) -> dict[str, list[str]]:
    """Visitor hash -> its sessions with funnel activity."""
    subquery = _activity_sessions()
    query = select(sessions.c.visitor_hash, sessions.c.id).where(
        sessions.c.visitor_hash.is_not(None),
        sessions.c.id.in_(select(subquery.c.session_id)),
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in conn.execute(query):
        grouped[row.visitor_hash].append(row.id)
    return grouped


def session_activities(conn: Connection, session_ids: Sequence[str]) -> list[Activity]:
    """The stored funnel activities of these sessions (unordered)."""
    found: list[Activity | None] = []
    requests = select(
        request_events.c.session_id,
        request_events.c.occurred_at,
        request_events.c.kind,
        request_events.c.path,
    ).where(
        request_events.c.session_id.in_(session_ids),
        request_events.c.kind == PAGE_REQUEST_KIND,
    )
    found += [from_request_event(row._mapping) for row in conn.execute(requests)]
    events = select(
        client_events.c.session_id,
        client_events.c.occurred_at,
        client_events.c.event_type,
        client_events.c.name,
        client_events.c.path,
        client_events.c.properties,
    ).where(
        client_events.c.session_id.in_(session_ids),
        client_events.c.event_type.in_(CLIENT_EVENT_TYPES),
    )
    found += [from_client_event(row._mapping) for row in conn.execute(events)]
    return [activity for activity in found if activity is not None]
