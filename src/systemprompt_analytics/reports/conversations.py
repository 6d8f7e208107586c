"""Conversation reports: conversations started, messages, length, by agent, the longest ones.

Conversations are placed in the window by ``started_at``, messages by ``created_at``. The
length of a conversation is the number of its messages in ``conversation_messages`` (all of
them, also those after the window end), counted per conversation before any join.

``conversations stats`` reads the ``conversations`` and ``conversation_messages`` rollups
(users from the conversations' user key sets, exact); the longest conversations are ranked
among the long ones the rollup keeps by id (storage/rollups/platform_specs.py) when the window
holds at least ``limit`` of them, else over every conversation of the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, distinct, func, select
from sqlalchemy.sql import FromClause

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.ai_figures import rounded
from systemprompt_analytics.reports.buckets import zero_filled
from systemprompt_analytics.reports.compare import (
    Comparison,
    aggregate_both_periods,
    ratio,
    sum_of,
)
from systemprompt_analytics.reports.definitions import in_period
from systemprompt_analytics.reports.figures import comparison_rows, figure, listed_rows
from systemprompt_analytics.reports.ranking import RankedRows
from systemprompt_analytics.reports.rollup_facts import count_of_rows, cuts, reader
from systemprompt_analytics.reports.trend_series import TrendSeries
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket
from systemprompt_analytics.storage.rollups import RollupReader
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
    among: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The window's conversations (only those of ids ``among``, if given) in ``order``."""
    c, m = conversations.c, conversation_messages.c
    messages = func.count(m.id)
    window = in_period(c.started_at, period)
    if among is not None:
        window = and_(window, c.id.in_(among))
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


def conversation_stats(
    conn: Connection, period: Period, limit: int = 10, *, use_rollups: bool = True
) -> ConversationStats:
    """Conversations started, messages, average messages per conversation and users against
    the previous period; conversations by agent and the ``limit`` longest ones."""
    source = reader(conn, use_rollups)
    boundaries = cuts(period, previous=True)
    facts = source.facts("conversations", boundaries)
    c = facts.c
    cur, prev = aggregate_both_periods(
        conn,
        facts,
        c.bucket_at,
        period,
        {
            "conversations": count_of_rows(c.conversations),
            "their_messages": count_of_rows(c.messages),
        },
    )
    users = source.distinct("conversations", "user_keys", boundaries)
    for index, figures_of in enumerate((prev, cur)):
        figures_of["users"] = len(users.get((index, None), ()))
        figures_of["avg_messages"] = _average(
            int(figures_of["their_messages"]), int(figures_of["conversations"])
        )
    message_cur, message_prev = _message_figures(conn, source, period)
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
        _by_agent(conn, facts, period, started, limit),
        _longest(conn, source, period, limit),
    )


def _message_figures(
    conn: Connection, source: RollupReader, period: Period
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Messages created and their tokens, in the period and the previous one."""
    facts = source.facts("conversation_messages", cuts(period, previous=True))
    return aggregate_both_periods(
        conn,
        facts,
        facts.c.bucket_at,
        period,
        {"messages": count_of_rows(facts.c.messages), "tokens": sum_of(facts.c.tokens)},
    )


def conversation_overview(
    conn: Connection, period: Period, source: RollupReader
) -> dict[str, Comparison]:
    """The overview's conversations: started and messages, against the previous period."""
    facts = source.facts("conversations", cuts(period, previous=True))
    cur, prev = aggregate_both_periods(
        conn,
        facts,
        facts.c.bucket_at,
        period,
        {"started": count_of_rows(facts.c.conversations)},
    )
    message_cur, message_prev = _message_figures(conn, source, period)
    return {
        "started": figure(cur, prev, "started"),
        "messages": figure(message_cur, message_prev, "messages"),
    }


def _average(messages: int, conversations_started: int) -> float | None:
    """Average messages per conversation (the empty ones count as 0 messages)."""
    return rounded(messages / conversations_started) if conversations_started else None


def _by_agent(
    conn: Connection, facts: FromClause, period: Period, started: int, limit: int
) -> RankedRows:
    c = facts.c
    agent = func.coalesce(c.agent_name, NO_AGENT).label("agent")
    window = in_period(c.bucket_at, period)
    count = func.sum(c.conversations)
    statement = (
        select(agent, count.label("conversations"), func.sum(c.messages).label("messages"))
        .where(window)
        .group_by(agent)
        .order_by(count.desc(), agent)
        .limit(limit)
    )
    rows = []
    for found in conn.execute(statement):
        row = dict(found._mapping)
        row["conversations"], row["messages"] = int(row["conversations"]), int(row["messages"])
        row["share_of_all"] = ratio(row["conversations"], started)
        row["avg_messages"] = _average(row["messages"], row["conversations"])
        rows.append({name: row[name] for name in BY_AGENT_COLUMNS})
    groups = conn.execute(select(func.count(distinct(agent))).where(window)).scalar_one()
    return RankedRows(rows, int(groups))


def _longest(
    conn: Connection, source: RollupReader, period: Period, limit: int
) -> list[dict[str, Any]]:
    """The ``limit`` longest conversations started in the window.

    When the window holds at least ``limit`` long conversations (each kept by id in the
    rollup), the longest are among them — a shorter one ranks below every long one — so only
    those are counted again; otherwise every conversation of the window is."""
    order = ConversationOrder.messages
    if not source.enabled:
        return _conversation_rows(conn, period, order, limit)
    facts = source.facts("conversations", cuts(period))
    c = facts.c
    statement = (
        select(c.long_id, func.sum(c.messages))
        .where(in_period(c.bucket_at, period), c.long_id.is_not(None))
        .group_by(c.long_id)
    )
    lengths = {str(found[0]): int(found[1]) for found in conn.execute(statement)}
    if len(lengths) < limit:
        return _conversation_rows(conn, period, order, limit)
    # The limit-th longest length: shorter ones cannot be shown (ties are ranked in SQL).
    shortest_shown = sorted(lengths.values(), reverse=True)[limit - 1]
    among = sorted(key for key, length in lengths.items() if length >= shortest_shown)
    return _conversation_rows(conn, period, order, limit, among)


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


def conversation_trends(
    conn: Connection, period: Period, granularity: Granularity, *, use_rollups: bool = True
) -> TrendSeries:
    """Per bucket (UTC, zero-filled): conversations started and messages created."""
    dialect_name = conn.dialect.name
    source = reader(conn, use_rollups)
    rows: dict[Any, dict[str, Any]] = {}
    for name, rollup in (("conversations", "conversations"), ("messages", "conversation_messages")):
        facts = source.facts(rollup, cuts(period), days=granularity != "hour")
        bucket = time_bucket(dialect_name, facts.c.bucket_at, granularity).label("bucket")
        statement = (
            select(bucket, func.sum(facts.c[name]).label(name))
            .where(in_period(facts.c.bucket_at, period))
            .group_by(bucket)
        )
        for found in conn.execute(statement):
            rows.setdefault(bucket_start(found.bucket), {})[name] = int(found[1])
    series = zero_filled(period, granularity, rows, TREND_METRICS)
    return TrendSeries(period, granularity, TREND_METRICS, series)
