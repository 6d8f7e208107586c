"""Conversation reports on both databases: started, messages, average length, by agent, the
longest ones, the list and zero-filled trends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.conversations import (
    NO_AGENT,
    ConversationOrder,
    conversation_list,
    conversation_stats,
    conversation_trends,
)
from tests.factories import add_conversation, add_message

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(hours=24), NOW)
IN = NOW - timedelta(hours=3)
BEFORE = NOW - timedelta(hours=30)


def test_stats_count_conversations_messages_and_average_length(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        long_one = add_conversation(conn, at=IN, messages=6, user_id="u1", agent_name=None)
        add_conversation(conn, at=IN, messages=2, user_id="u1", agent_name="support")
        add_conversation(conn, at=IN, messages=0, user_id="u2", agent_name="support")
        add_message(conn, long_one, at=IN + timedelta(minutes=5), role="assistant", token_count=40)
        # Started before the window: its new message counts as a message of the window, the
        # conversation itself does not.
        earlier = add_conversation(conn, at=BEFORE, messages=3)
        add_message(conn, earlier, at=IN)
        stats = conversation_stats(conn, PERIOD)
    figures = stats.figures
    assert (figures["started"].current, figures["started"].previous) == (3, 1)
    assert (figures["messages"].current, figures["messages"].previous) == (10, 3)
    assert figures["message_tokens"].current == 40
    # Lengths 7, 2 and 0: the empty conversation counts as 0 messages, not as missing.
    assert figures["avg_messages_per_conversation"].current == 3.0
    assert figures["avg_messages_per_conversation"].previous == 4.0  # 3 + the late one
    assert figures["users"].current == 2


def test_by_agent_shares_of_every_conversation_and_the_longest(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for messages in (4, 2, 2):
            add_conversation(conn, at=IN, messages=messages, agent_name="support")
        add_conversation(conn, at=IN, messages=10, agent_name=None, title="Long chat")
        stats = conversation_stats(conn, PERIOD, limit=1)
    (row,) = stats.by_agent.rows
    assert row == {
        "agent": "support",
        "conversations": 3,
        "share_of_all": 0.75,
        "messages": 8,
        "avg_messages": 2.67,
    }
    assert stats.by_agent.total_rows == 2
    (longest,) = stats.longest
    assert (longest["title"], longest["messages"], longest["agent"]) == ("Long chat", 10, None)
    with db_engine.connect() as conn:
        agents = {row["agent"] for row in conversation_stats(conn, PERIOD).by_agent.rows}
    assert agents == {"support", NO_AGENT}


def test_list_orders_by_start_or_length_and_counts_every_conversation(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        first = add_conversation(conn, at=IN, messages=5)
        second = add_conversation(conn, at=IN + timedelta(minutes=10), messages=1)
        third = add_conversation(conn, at=IN + timedelta(minutes=20), messages=3)
        add_message(conn, first, at=IN + timedelta(minutes=30), token_count=7)
        add_conversation(conn, at=BEFORE, messages=50)
        recent = conversation_list(conn, PERIOD, limit=2)
        longest = conversation_list(conn, PERIOD, order=ConversationOrder.messages)
    assert [row["id"] for row in recent.conversations.rows] == [third, second]
    assert recent.conversations.total_rows == 3
    assert [row["id"] for row in longest.conversations.rows] == [first, third, second]
    top = longest.conversations.rows[0]
    assert (top["messages"], top["tokens"]) == (6, 7)
    assert top["started_at"] == IN.isoformat()
    assert longest.to_dict()["order"] == "messages"


def test_trends_are_zero_filled(db_engine: Engine) -> None:
    period = Period(datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
    with db_engine.begin() as conn:
        conversation = add_conversation(conn, at=datetime(2026, 11, 24, 10, tzinfo=UTC))
        add_message(conn, conversation, at=datetime(2026, 11, 24, 10, tzinfo=UTC))
        add_message(conn, conversation, at=datetime(2026, 11, 26, 1, tzinfo=UTC))
        add_conversation(conn, at=datetime(2026, 11, 27, tzinfo=UTC))  # the end: outside
        series = conversation_trends(conn, period, "day").series
    assert [(row["conversations"], row["messages"]) for row in series] == [(1, 1), (0, 0), (0, 1)]
