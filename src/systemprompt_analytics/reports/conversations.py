"""Conversation reports: conversations started, messages, length, by agent, the longest ones.

Conversations are placed in the window by ``started_at``, messages by ``created_at``. The
length of a conversation is the number of its messages in ``conversation_messages`` (all of
them, also those after the window end), counted per conversation before any join.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, distinct, func, select, true

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import rounded
from systemprompt_analytics.reports.buckets import zero_filled
from systemprompt_analytics.reports.compare import (
    Comparison,
    aggregate_both_periods,
    count_distinct_of,
    count_of,
    ratio,
    sum_of,
)
from systemprompt_analytics.reports.definitions import in_period
from systemprompt_analytics.reports.figures import comparison_rows, figure, listed_rows
from systemprompt_analytics.reports.ranking import RankedRows
from systemprompt_analytics.reports.trend_series import TrendSeries
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket
from systemprompt_analytics.storage.schema import conversation_messages, conversations

NO_AGENT = "(chat)"  # a conversation with a person, not an agent task's thread

CONVERSATION_COLUMNS = (
    "id",
    "title",
    "agent",
    "user_id",
    "session_id",
    "started_at",
    "last_message_at",
    "duration_seconds",
    "messages",
    "tokens",
)
BY_AGENT_COLUMNS = ("agent", "conversations", "share_of_all", "messages", "avg_messages")
TREND_METRICS = ("conversations", "messages")


class ConversationOrder(StrEnum):
    recent = "recent"  # latest started first
    messages = "messages"  # longest first


# Each conversation with its messages: grouped per conversation (or counted with DISTINCT
# conversation ids), so a conversation counts once however many messages it has.
WITH_MESSAGES = conversations.outerjoin(
    conversation_messages, conversation_messages.c.conversation_id == conversations.c.id
)


def _conversation_rows(
    conn: Connection,
    period: Period,
    order: ConversationOrder,
    limit: int,
) -> list[dict[str, Any]]:
    c, m = conversations.c, conversation_messages.c
    messages = func.count(m.id)
    window = in_period(c.started_at, period)
    source: Any = WITH_MESSAGES
    if order is ConversationOrder.messages:
        ordering: tuple[Any, ...] = (messages.desc(), c.started_at.desc(), c.id)
    else:
        # Latest first needs no message counts to rank: count those of the rows shown only.
        ordering = (c.started_at.desc(), c.id)
        latest = select(c.id).where(window).order_by(*ordering).limit(limit).subquery()
        source = WITH_MESSAGES.join(latest, latest.c.id == c.id)
    statement = (
        select(
            c.id,
            c.title,
            c.agent_name.label("agent"),
            c.user_id,
            c.session_id,
            c.started_at,
            c.last_message_at,
            messages.label("messages"),
            func.coalesce(func.sum(m.token_count), 0).label("tokens"),
        )
        .select_from(source)
        .where(window)
        .group_by(
            c.id, c.title, c.agent_name, c.user_id, c.session_id, c.started_at, c.last_message_at
        )
        .order_by(*ordering)
        .limit(limit)
    )
    rows = []
    for found in conn.execute(statement):
        row = dict(found._mapping)
        started, last = row["started_at"], row["last_message_at"]
        row["duration_seconds"] = None if last is None else int((last - started).total_seconds())
        row["started_at"] = started.isoformat()
        row["last_message_at"] = None if last is None else last.isoformat()
        row["messages"], row["tokens"] = int(row["messages"]), int(row["tokens"])
        rows.append({name: row[name] for name in CONVERSATION_COLUMNS})
    return rows


# ------------------------------------------------------------------------------------------
# Stats
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConversationStats:
    """Figures against the previous period; conversations by agent and the longest ones."""

    period: Period
    figures: dict[str, Comparison]
    by_agent: RankedRows
    longest: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "figures": {name: value.to_dict() for name, value in self.figures.items()},
            "by_agent": self.by_agent.to_dict(),
            "longest": self.longest,
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        """One long table: figures, then agent rows and the longest conversations (their
        message count in ``current``)."""
        return [
            *comparison_rows(self.figures),
            *listed_rows("by_agent", "agent", "conversations", self.by_agent.rows),
            *listed_rows("longest", "id", "messages", self.longest),
        ]


def conversation_stats(conn: Connection, period: Period, limit: int = 10) -> ConversationStats:
    """Conversations started, messages, average messages per conversation and users against
    the previous period; conversations by agent and the ``limit`` longest ones."""
    c, m = conversations.c, conversation_messages.c
    cur, prev = aggregate_both_periods(
        conn,
        WITH_MESSAGES,
        c.started_at,
        period,
        {
            "conversations": count_distinct_of(c.id, true()),
            "their_messages": count_of(m.id.is_not(None)),
            "users": count_distinct_of(c.user_id, true()),
        },
    )
    for figures_of in (cur, prev):
        figures_of["avg_messages"] = _average(
            figures_of["their_messages"], figures_of["conversations"]
        )
    message_cur, message_prev = aggregate_both_periods(
        conn,
        conversation_messages,
        m.created_at,
        period,
        {"messages": count_of(), "tokens": sum_of(m.token_count)},
    )
    figures = {
        "started": figure(cur, prev, "conversations"),
        "messages": figure(message_cur, message_prev, "messages"),
        "message_tokens": figure(message_cur, message_prev, "tokens"),
        "avg_messages_per_conversation": figure(cur, prev, "avg_messages", "mean"),
        "users": figure(cur, prev, "users"),
    }
    started = int(cur["conversations"])
    return ConversationStats(
        period,
        figures,
        _by_agent(conn, period, started, limit),
        _conversation_rows(conn, period, ConversationOrder.messages, limit),
    )


def _average(messages: int, conversations_started: int) -> float | None:
    """Average messages per conversation (the empty ones count as 0 messages)."""
    return rounded(messages / conversations_started) if conversations_started else None


def _by_agent(conn: Connection, period: Period, started: int, limit: int) -> RankedRows:
    c, m = conversations.c, conversation_messages.c
    agent = func.coalesce(c.agent_name, NO_AGENT).label("agent")
    window = in_period(c.started_at, period)
    count = func.count(distinct(c.id))
    statement = (
        select(agent, count.label("conversations"), func.count(m.id).label("messages"))
        .select_from(WITH_MESSAGES)
        .where(window)
        .group_by(agent)
        .order_by(count.desc(), agent)
        .limit(limit)
    )
    rows = []
    for found in conn.execute(statement):
        row = dict(found._mapping)
        row["share_of_all"] = ratio(row["conversations"], started)
        row["avg_messages"] = _average(row["messages"], row["conversations"])
        rows.append({name: row[name] for name in BY_AGENT_COLUMNS})
    groups = conn.execute(select(func.count(distinct(agent))).where(window)).scalar_one()
    return RankedRows(rows, int(groups))


# ------------------------------------------------------------------------------------------
# List and trends
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConversationList:
    period: Period
    order: ConversationOrder
    conversations: RankedRows

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "order": self.order.value,
            "conversations": self.conversations.to_dict(),
        }


def conversation_list(
    conn: Connection,
    period: Period,
    limit: int = 50,
    order: ConversationOrder = ConversationOrder.recent,
) -> ConversationList:
    """Conversations started in the window, latest (or longest) first; ``total_rows`` is
    how many started in all."""
    started = conn.execute(
        select(func.count()).where(in_period(conversations.c.started_at, period))
    ).scalar_one()
    rows = _conversation_rows(conn, period, order, limit)
    return ConversationList(period, order, RankedRows(rows, int(started)))


def conversation_trends(conn: Connection, period: Period, granularity: Granularity) -> TrendSeries:
    """Per bucket (UTC, zero-filled): conversations started and messages created."""
    c, m = conversations.c, conversation_messages.c
    dialect_name = conn.dialect.name
    rows: dict[Any, dict[str, Any]] = {}
    for name, column in (("conversations", c.started_at), ("messages", m.created_at)):
        bucket = time_bucket(dialect_name, column, granularity).label("bucket")
        statement = (
            select(bucket, func.count().label(name))
            .select_from(column.table)
            .where(in_period(column, period))
            .group_by(bucket)
        )
        for found in conn.execute(statement):
            rows.setdefault(bucket_start(found.bucket), {})[name] = found[1]
    series = zero_filled(period, granularity, rows, TREND_METRICS)
    return TrendSeries(period, granularity, TREND_METRICS, series)
