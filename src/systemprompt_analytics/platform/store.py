"""Platform facts that change after they are first reported, written directly in the
caller's (short) transaction: agent tasks, conversations and their messages, users, CLI
sessions.

These are upserts whose result depends on the stored row — a finished task stays finished,
a message raises its conversation's count once, traits merge, a CLI session's source and end
are set — so they cannot be blind appends merged commutatively like the writer's batches.
They are also rare next to AI requests and tool executions (one task or message per many
model calls), so a transaction each (or one per HTTP batch) costs little, and the caller
learns at once whether the fact was stored. Every function is idempotent: reporting the same
record again leaves the same rows.

They also feed report rollups (tasks, conversations, messages): a change to a row whose hour
may already be rolled up marks that hour dirty in the same transaction
(:func:`~systemprompt_analytics.storage.rollups.marking.mark_late`), so reports read it raw
until the next refresh recomputes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    update,
)

from systemprompt_analytics.detection.user_agents import classify_user_agent
from systemprompt_analytics.ingest.activity import SessionActivity, SessionDelta
from systemprompt_analytics.platform.fields import MAX_INT32, utc_now
from systemprompt_analytics.platform.records import (
    TERMINAL_TASK_STATUSES,
    AgentTask,
    CliSession,
    Conversation,
    Message,
    UserIdentity,
)
from systemprompt_analytics.platform.rows import agent_task_row
from systemprompt_analytics.storage.dialect import greatest, insert, least, seconds_between
from systemprompt_analytics.storage.repositories.sessions import merge_rows
from systemprompt_analytics.storage.rollups.marking import mark_late
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    conversation_messages,
    conversations,
    sessions,
    users,
)
from systemprompt_analytics.storage.types import UTCDateTime


class Stored(NamedTuple):
    """Whether a report stored something new, and the session it counts towards."""

    new: bool
    session_id: str | None


# "Was it inserted?" is asked with RETURNING: rowcount is -1 on PostgreSQL when SQLAlchemy adds
# its own RETURNING for an autoincrement key.


def _at(moment: datetime) -> ColumnElement[Any]:
    """A timestamp parameter for SQL expressions (stored like every UTC timestamp column)."""
    return literal(moment, UTCDateTime())


# --------------------------------------------------------------------------------------
# Agent tasks
# --------------------------------------------------------------------------------------


def store_agent_task(conn: Connection, task: AgentTask) -> Stored:
    """Insert the task, or move the stored one to the reported status when that is a step
    forward: a finished task stays as it is, and a report of an unfinished status older
    than the stored one changes nothing. Ids (user, session, …) fill in blanks either way,
    and the start is the earliest reported."""
    dialect = conn.dialect.name
    created = conn.execute(
        insert(dialect, agent_tasks)
        .values(agent_task_row(task))
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(agent_tasks.c.id)
    ).first()
    c = agent_tasks.c
    if created is not None:
        mark_late(conn, agent_tasks.name, [task.first_started_at], utc_now())
        return Stored(True, task.session_id)
    stored_start = conn.execute(select(c.started_at).where(c.id == task.id)).scalar_one()
    unfinished = c.status.not_in(sorted(TERMINAL_TASK_STATUSES))
    advances = (
        unfinished
        if task.finished
        else and_(unfinished, or_(c.updated_at.is_(None), c.updated_at <= _at(task.updated_at)))
    )
    started: ColumnElement[Any] = c.started_at
    if task.started_at is not None:
        started = least(dialect, c.started_at, _at(task.started_at))
    finished_at = task.finished_at
    duration: ColumnElement[Any]
    if task.duration_ms is not None:
        duration = literal(task.duration_ms, BigInteger())
    elif finished_at is not None:
        # Rounded: SQLite's julianday arithmetic is a float a few microseconds off.
        seconds = seconds_between(dialect, started, _at(finished_at))
        duration = cast(func.round(seconds * 1000), BigInteger)
    else:
        duration = null()

    def on_advance(value: Any, column: Any) -> ColumnElement[Any]:
        return case((advances, value), else_=column)

    values: dict[str, Any] = {
        "status": on_advance(literal(task.status), c.status),
        "updated_at": on_advance(_at(task.updated_at), c.updated_at),
        "completed_at": on_advance(
            null() if finished_at is None else _at(finished_at), c.completed_at
        ),
        "duration_ms": on_advance(duration, c.duration_ms),
        "started_at": started,
    }
    if task.error_message:
        values["error_message"] = on_advance(literal(task.error_message), c.error_message)
    for name in ("user_id", "session_id", "context_id", "conversation_id"):
        given = getattr(task, name)
        if given is not None:
            values[name] = func.coalesce(c[name], literal(given))
    conn.execute(update(agent_tasks).where(c.id == task.id).values(values))
    # The task's bucket is that of its start, which a report may move earlier.
    starts = [stored_start] if task.started_at is None else [stored_start, task.started_at]
    mark_late(conn, agent_tasks.name, starts, utc_now())
    return Stored(False, task.session_id)


# --------------------------------------------------------------------------------------
# Conversations and messages
# --------------------------------------------------------------------------------------


def store_conversation(conn: Connection, conversation: Conversation) -> None:
    """Insert the conversation or update its details (a detail given now replaces the
    stored one; the start is the earliest reported). Counts are left to the messages."""
    dialect = conn.dialect.name
    c = conversations.c
    row = {
        "id": conversation.id,
        "user_id": conversation.user_id,
        "session_id": conversation.session_id,
        "agent_name": conversation.agent_name,
        "title": conversation.title or None,
        "started_at": conversation.started_at,
        "message_count": 0,
    }
    statement = insert(dialect, conversations).values(row)
    updates: dict[str, Any] = {
        name: func.coalesce(statement.excluded[name], c[name])
        for name in ("user_id", "session_id", "agent_name", "title")
    }
    updates["started_at"] = least(dialect, c.started_at, statement.excluded.started_at)
    stored_start = conn.execute(select(c.started_at).where(c.id == conversation.id)).scalar()
    conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=updates))
    starts = [conversation.started_at] if stored_start is None else [stored_start]
    if stored_start is not None and conversation.started_at < stored_start:
        starts.append(conversation.started_at)
    mark_late(conn, conversations.name, starts, utc_now())


def store_message(conn: Connection, message: Message) -> Stored:
    """Insert the message (creating its conversation if it was never reported) and, when it
    is new, raise the conversation's message count and last message time."""
    dialect = conn.dialect.name
    c = conversations.c
    conn.execute(
        insert(dialect, conversations)
        .values(
            id=message.conversation_id,
            session_id=message.session_id,
            started_at=message.created_at,
            message_count=0,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    created = conn.execute(
        insert(dialect, conversation_messages)
        .values(
            message_id=message.id,
            conversation_id=message.conversation_id,
            role=message.role,
            created_at=message.created_at,
            token_count=message.token_count,
            content=message.content,
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(conversation_messages.c.id)
    ).first()
    if created is None:
        return Stored(False, message.session_id)
    at = _at(message.created_at)
    stored_start = conn.execute(
        select(c.started_at).where(c.id == message.conversation_id)
    ).scalar_one()
    counted = conn.execute(
        update(conversations)
        .where(c.id == message.conversation_id)
        .values(
            message_count=c.message_count + 1,
            last_message_at=greatest(dialect, func.coalesce(c.last_message_at, at), at),
            started_at=least(dialect, c.started_at, at),
        )
        .returning(c.session_id)
    ).scalar_one()
    # A message lengthens its conversation, whose bucket is that of its (earliest) start.
    now = utc_now()
    mark_late(conn, conversations.name, {stored_start, min(stored_start, message.created_at)}, now)
    mark_late(conn, conversation_messages.name, [message.created_at], now)
    return Stored(True, message.session_id or counted)


# --------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------


def store_identity(conn: Connection, identity: UserIdentity) -> None:
    """Insert the user or update them: traits merge (a given trait replaces its value),
    given names replace stored ones, anonymous → registered happens once and never back,
    first/last seen widen."""
    dialect = conn.dialect.name
    c = users.c
    seen = identity.seen_at
    registered_at = None if identity.anonymous else identity.registered_at or seen
    created = conn.execute(
        insert(dialect, users)
        .values(
            id=identity.id,
            is_anonymous=identity.anonymous,
            display_name=identity.display_name,
            email=identity.email,
            traits=identity.traits,
            created_at=seen,
            registered_at=registered_at,
            last_seen_at=seen,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(c.id)
    ).first()
    if created is not None:
        return
    values: dict[str, Any] = {
        "created_at": least(dialect, c.created_at, _at(seen)),
        "last_seen_at": greatest(dialect, func.coalesce(c.last_seen_at, _at(seen)), _at(seen)),
    }
    if registered_at is not None:
        values["is_anonymous"] = False
        values["registered_at"] = func.coalesce(c.registered_at, _at(registered_at))
    if identity.display_name is not None:
        values["display_name"] = identity.display_name
    if identity.email is not None:
        values["email"] = identity.email
    if identity.traits is not None:
        # Locked: two identify calls for one user must not each merge into the old traits.
        stored = conn.execute(
            select(c.traits).where(c.id == identity.id).with_for_update()
        ).scalar_one()
        values["traits"] = {**(stored or {}), **identity.traits}
    conn.execute(update(users).where(c.id == identity.id).values(values))


# --------------------------------------------------------------------------------------
# CLI sessions
# --------------------------------------------------------------------------------------


def _clip(value: str | None, column: Any) -> str | None:
    length = getattr(column.type, "length", None)
    return value if value is None or length is None else value[:length]


def cli_session_attributes(session: CliSession) -> dict[str, Any]:
    """The descriptive session columns a CLI session sets."""
    attributes: dict[str, Any] = {
        "source": "cli",
        "user_id": session.user_id,
        "user_agent": session.user_agent,
        "locale": session.locale,
        "country": session.country,
    }
    if session.user_agent is not None:
        agent = classify_user_agent(session.user_agent)
        attributes["device_type"] = agent.device_type
        for name in ("browser", "browser_version", "os", "os_version"):
            attributes[name] = _clip(getattr(agent, name), sessions.c[name])
    return attributes


def store_cli_session(conn: Connection, session: CliSession) -> None:
    """Merge the session like the writer merges activity (attributes fill blanks, times
    widen, counters untouched), then mark it a CLI session and set its end when reported
    (a later end wins)."""
    moments = session.moments
    activity = SessionActivity(
        session.id, min(moments), max(moments), cli_session_attributes(session)
    )
    merge_rows(conn, [SessionDelta.from_activity(activity).row()])
    c = sessions.c
    # The source is kept from the first writer on merge; the host says this one is a CLI's.
    conn.execute(update(sessions).where(c.id == session.id).values(source="cli"))
    if session.ended_at is None:
        return
    started_at = conn.execute(select(c.started_at).where(c.id == session.id)).scalar_one()
    seconds = (session.ended_at - started_at).total_seconds()
    conn.execute(
        update(sessions)
        .where(c.id == session.id, or_(c.ended_at.is_(None), c.ended_at <= _at(session.ended_at)))
        .values(ended_at=session.ended_at, duration_seconds=min(max(0, int(seconds)), MAX_INT32))
    )
