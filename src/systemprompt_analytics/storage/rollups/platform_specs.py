"""The rollups of the platform reports: people in sessions, conversations, agent tasks,
funnel units.

- ``session_people``: human sessions by start hour, grouped by how many hour boundaries each
  lasts across (``hours_active``), with the key sets of their users and visitors. Active users
  of a window are the users of sessions started in it plus those of sessions still active at
  its start; ``hours_active`` tells which buckets hold the latter (reports/user_activity.py).
- ``conversations`` by start (agent; the conversation's id when it is long) with their
  messages, all of them, and users; ``conversation_messages`` by creation time.
- ``agent_tasks`` by start (agent, status) and ``agent_durations`` (sorted durations per
  agent, 64-bit: a task may last longer than a 32-bit count of milliseconds).
- ``funnel_units``: funnel progress rows by start, funnel and step reached, of human sessions
  (the session that last advanced the unit). Session-bound: that session's flags keep
  changing while it lasts. Read for funnels counted per session only, whose progress lies
  within its session's hours (which the writer marks when the session changes late); a
  visitor's progress may have started in an earlier session, so those funnels are read raw.
  ``funnel_times``: the same units' times from each step to the next and to convert, in
  microseconds (64-bit sorted lists: exact medians and means).

Conversations, messages and agent tasks are written directly (platform/store.py), not
through the writer, and change after they start (a message raises its conversation's
length, a task finishes): the store marks the rolled-up hours such a change touches, as the
funnel repository does for progress rows (storage/repositories/funnels.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    SmallInteger,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)

from systemprompt_analytics.reports.definitions import conversation_length, human_session
from systemprompt_analytics.storage import schema
from systemprompt_analytics.storage.dialect import json_time_gap_us, seconds_between, time_bucket
from systemprompt_analytics.storage.rollups.specs import Measure, RollupSpec
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    conversation_messages,
    conversations,
    funnel_progress,
    funnel_steps,
    sessions,
)

# A conversation this long keeps its own rollup row (``long_id``): the longest ones of any
# window are found among those rows whenever the window holds enough of them.
LONG_CONVERSATION_MESSAGES = 100
# The ``step`` of a funnel unit's time from step 1 to the last (``funnel_times``).
TO_CONVERT = -1


def hours_active(dialect_name: str) -> ColumnElement[Any]:
    """Hour boundaries a session lasts across: from its start hour to its last activity's."""
    s = sessions.c
    seconds = seconds_between(
        dialect_name,
        time_bucket(dialect_name, s.started_at, "hour"),
        time_bucket(dialect_name, s.last_activity_at, "hour"),
    )
    return cast(func.round(seconds / 3600), Integer)


def _session_people(dialect_name: str) -> RollupSpec:
    s = sessions.c
    return RollupSpec(
        name="session_people",
        hourly=schema.rollup_session_people_hourly,
        daily=schema.rollup_session_people_daily,
        source=sessions,
        time=s.started_at,
        keys={"hours_active": hours_active(dialect_name)},
        sets={"user_keys": s.user_id, "visitor_keys": s.visitor_hash},
        where=human_session(),
        settling="sessions",
    )


def _conversations() -> RollupSpec:
    c = conversations.c
    length = conversation_length()
    return RollupSpec(
        name="conversations",
        hourly=schema.rollup_conversations_hourly,
        daily=schema.rollup_conversations_daily,
        source=conversations,
        time=c.started_at,
        keys={
            "agent_name": c.agent_name,
            "long_id": case((length >= LONG_CONVERSATION_MESSAGES, c.id), else_=None),
        },
        measures=(Measure("conversations", literal(1)), Measure("messages", length)),
        sets={"user_keys": c.user_id},
        fed_by={conversations.name: "started_at"},
    )


def _conversation_messages() -> RollupSpec:
    m = conversation_messages.c
    return RollupSpec(
        name="conversation_messages",
        hourly=schema.rollup_conversation_messages_hourly,
        daily=schema.rollup_conversation_messages_daily,
        source=conversation_messages,
        time=m.created_at,
        keys={},
        measures=(Measure("messages", literal(1)), Measure("tokens", m.token_count)),
        fed_by={conversation_messages.name: "created_at"},
    )


def _agent_tasks() -> RollupSpec:
    t = agent_tasks.c
    return RollupSpec(
        name="agent_tasks",
        hourly=schema.rollup_agent_tasks_hourly,
        daily=schema.rollup_agent_tasks_daily,
        source=agent_tasks,
        time=t.started_at,
        keys={"agent_name": t.agent_name, "status": t.status},
        measures=(
            Measure("tasks", literal(1)),
            Measure("duration_ms_sum", t.duration_ms),
            Measure("duration_ms_count", case((t.duration_ms.is_not(None), 1), else_=0)),
        ),
        fed_by={agent_tasks.name: "started_at"},
    )


def _agent_durations() -> RollupSpec:
    t = agent_tasks.c
    return RollupSpec(
        name="agent_durations",
        hourly=schema.rollup_agent_durations_hourly,
        daily=schema.rollup_agent_durations_daily,
        source=agent_tasks,
        time=t.started_at,
        keys={"agent_name": t.agent_name},
        values={"duration_ms_values": t.duration_ms},
        fed_by={agent_tasks.name: "started_at"},
    )


def _funnel_units() -> RollupSpec:
    p = funnel_progress.c
    return RollupSpec(
        name="funnel_units",
        hourly=schema.rollup_funnel_units_hourly,
        daily=schema.rollup_funnel_units_daily,
        source=funnel_progress.join(sessions, sessions.c.id == p.session_id),
        time=p.started_at,
        keys={"funnel_id": p.funnel_id, "current_step": p.current_step},
        measures=(Measure("units", literal(1)),),
        where=and_(p.current_step >= 0, human_session()),
        settling="sessions",
        fed_by={funnel_progress.name: "started_at"},
    )


def _funnel_times(dialect_name: str) -> RollupSpec:
    """Times between steps of the human units: per step ``n`` reached after step ``n + 1``
    (one row per progress row and step continued, through the funnel's steps), and ``-1``
    from step 1 to the last for the completed ones."""
    p, step = funnel_progress.c, funnel_steps.c
    units = funnel_progress.join(sessions, sessions.c.id == p.session_id)
    continued = (
        select(
            p.started_at.label("started_at"),
            p.funnel_id.label("funnel_id"),
            step.step_order.label("step"),
            json_time_gap_us(
                dialect_name, p.step_timestamps, step.step_order, step.step_order + 1
            ).label("gap_us"),
        )
        .select_from(
            units.join(
                funnel_steps,
                and_(step.funnel_id == p.funnel_id, step.step_order < p.current_step),
            )
        )
        .where(human_session())
    )
    converted = (
        select(
            p.started_at,
            p.funnel_id,
            literal(TO_CONVERT, SmallInteger).label("step"),
            json_time_gap_us(dialect_name, p.step_timestamps, literal(0), p.current_step),
        )
        .select_from(units)
        .where(human_session(), p.completed_at.is_not(None), p.current_step >= 1)
    )
    rows = union_all(continued, converted).subquery("funnel_times")
    return RollupSpec(
        name="funnel_times",
        hourly=schema.rollup_funnel_times_hourly,
        daily=schema.rollup_funnel_times_daily,
        source=rows,
        time=rows.c.started_at,
        keys={"funnel_id": rows.c.funnel_id, "step": rows.c.step},
        values={"gap_us_values": rows.c.gap_us},
        settling="sessions",
        fed_by={funnel_progress.name: "started_at"},
    )


def platform_specs(dialect_name: str) -> tuple[RollupSpec, ...]:
    return (
        _session_people(dialect_name),
        _conversations(),
        _conversation_messages(),
        _agent_tasks(),
        _agent_durations(),
        _funnel_units(),
        _funnel_times(dialect_name),
    )
