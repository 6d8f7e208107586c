"""The platform reports read from rollups give exactly what the raw rows give, on the demo
dataset (both databases): users stats and the overview's users (active users and visitors from
key sets, with the sessions carried over a window's start), conversations (their lengths,
users and the longest ones), agents (task figures and duration percentiles) and the costs by
user — for windows aligned to days, ragged windows, hourly windows, and with dirty hours: rows
changed after they were rolled up, marked by the platform store (tasks, conversations,
messages) or by the writer (sessions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, distinct, func, literal, select, update

from systemprompt_analytics.funnels.definition import Unit
from systemprompt_analytics.funnels.matcher import Progress
from systemprompt_analytics.funnels.service import FunnelService
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.platform.records import AgentTask, Conversation, Message
from systemprompt_analytics.platform.store import (
    store_agent_task,
    store_conversation,
    store_message,
)
from systemprompt_analytics.reports.agents import agent_list, agent_show, agent_stats
from systemprompt_analytics.reports.conversations import conversation_stats, conversation_trends
from systemprompt_analytics.reports.costs_breakdown import cost_breakdown
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.definitions import active_user_session, human_session, in_period
from systemprompt_analytics.reports.funnels import funnel_report
from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.users import user_overview, user_stats
from systemprompt_analytics.storage.dialect import json_time_gap_us
from systemprompt_analytics.storage.repositories.funnels import (
    load_funnels,
    progress_from_row,
    save_progress,
)
from systemprompt_analytics.storage.rollups import RollupReader, rebuild_rollups, refresh_rollups
from systemprompt_analytics.storage.rollups.platform_specs import LONG_CONVERSATION_MESSAGES
from systemprompt_analytics.storage.rollups.specs import rollup_specs
from systemprompt_analytics.storage.rollups.state import mark_dirty, read_coverage
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    conversations,
    funnel_progress,
    funnels,
    rollup_conversations_daily,
    rollup_funnel_units_daily,
    rollup_session_people_hourly,
    sessions,
)
from tests.factories import add_conversation
from tests.rollup_equality import END, WINDOWS, Report, differences, rollup_rows
from tests.test_rollups_equal_raw import demo  # noqa: F401

PLATFORM_ROLLUPS = ("session_people", "conversations", "conversation_messages", "agent_tasks",
                    "agent_durations")  # fmt: skip
# Long conversations (kept by id in the rollup) started in every window, some of equal length
# and start (ties), so the longest ones are found among them.
LONG_STARTS = (
    datetime(2026, 10, 30, 13, 30, tzinfo=UTC),
    END - timedelta(hours=28),
    END - timedelta(hours=20),
    END - timedelta(hours=4),
)


def _window(period: Period) -> CostWindow:
    return CostWindow(period, default=False)


REPORTS: dict[str, Report] = {
    "users stats": lambda c, p, r: user_stats(c, p.until, use_rollups=r),
    "users stats at a day's start": lambda c, p, r: user_stats(c, p.since, use_rollups=r),
    "users overview": lambda c, p, r: user_overview(c, p, RollupReader(c, enabled=r)),
    "conversations stats": lambda c, p, r: conversation_stats(c, p, 3, use_rollups=r),
    "conversations stats, longest of all": lambda c, p, r: conversation_stats(
        c, p, 50, use_rollups=r
    ),
    "conversations trends by hour": lambda c, p, r: conversation_trends(
        c, p, "hour", use_rollups=r
    ),
    "conversations trends by week": lambda c, p, r: conversation_trends(
        c, p, "week", use_rollups=r
    ),
    "agents list": lambda c, p, r: agent_list(c, p, 2, use_rollups=r),
    "agents list, synthetic": lambda c, p, r: agent_list(c, p, 20, True, use_rollups=r),
    "agents stats": lambda c, p, r: agent_stats(c, p, 3, use_rollups=r),
    "agents show": lambda c, p, r: agent_show(c, p, "research-agent", 2, use_rollups=r),
    "costs breakdown by user": lambda c, p, r: cost_breakdown(
        c, _window(p), RequestFilter(), "user", 4, use_rollups=r
    ),
    "costs breakdown by user, synthetic": lambda c, p, r: cost_breakdown(
        c, _window(p), RequestFilter(include_synthetic=True), "user", 50, use_rollups=r
    ),
    "overview": lambda c, p, r: overview(c, p, p.until, use_rollups=r),
    "funnels stats": lambda c, p, r: [
        funnel_report(c, stored, p, use_rollups=r).to_dict() for stored in load_funnels(c)
    ],
    "funnels stats, bots too": lambda c, p, r: [
        funnel_report(c, stored, p, include_bots=True, use_rollups=r).to_dict()
        for stored in load_funnels(c)
    ],
}


@pytest.fixture
def platform_demo(demo: Engine) -> Engine:  # noqa: F811 - the shared demo fixture
    with demo.begin() as conn:
        for index, start in enumerate(LONG_STARTS):
            for copy in range(3):
                length = LONG_CONVERSATION_MESSAGES + 10 * index + (5 if copy == 2 else 0)
                add_conversation(
                    conn, at=start, messages=length, agent_name="research-agent", user_id="u-long"
                )
    # Written after the rollups were built, not through the store: rebuild theirs.
    rebuild_rollups(demo, datetime.now(UTC), names=["conversations", "conversation_messages"])
    # The demo's funnel counted per visitor too (read raw: a visitor's progress may have
    # started in an earlier session than the one whose flags count).
    with demo.connect() as conn:
        (signup,) = load_funnels(conn)
    FunnelService(demo).create(replace(signup.funnel, name="Signup by visitor", unit=Unit.VISITOR))
    return demo


def test_platform_reports_equal_the_raw_rows(platform_demo: Engine) -> None:
    with platform_demo.connect() as conn:
        coverage = read_coverage(conn, PLATFORM_ROLLUPS)
        plan = RollupReader(conn).plan("session_people", [WINDOWS["ragged"].since, END])
        long_rows = conn.execute(
            select(func.count())
            .select_from(rollup_conversations_daily)
            .where(rollup_conversations_daily.c.long_id.is_not(None))
        ).scalar_one()
        funnel_rows = conn.execute(
            select(func.count()).select_from(rollup_funnel_units_daily)
        ).scalar_one()
        carried = conn.execute(
            select(func.count())
            .select_from(rollup_session_people_hourly)
            .where(rollup_session_people_hourly.c.hours_active > 0)
        ).scalar_one()
    assert all(found.covered_until is not None for found in coverage.values())
    assert plan.daily and plan.hourly and plan.raw  # every tier is really read
    assert long_rows >= len(LONG_STARTS) * 3  # the longest are found among the long ones
    assert carried  # some sessions last across an hour boundary
    assert funnel_rows
    assert differences(platform_demo, REPORTS) == []


def test_the_longest_conversations_come_from_the_long_ones(platform_demo: Engine) -> None:
    period = WINDOWS["hours"]
    with platform_demo.connect() as conn:
        longest = conversation_stats(conn, period, 3).longest
        raw = conversation_stats(conn, period, 3, use_rollups=False).longest
    assert longest == raw
    assert [row["messages"] for row in longest] == [LONG_CONVERSATION_MESSAGES + 35] + [
        LONG_CONVERSATION_MESSAGES + 30
    ] * 2


def test_dirty_hours_are_read_raw_until_a_refresh_recomputes_them(platform_demo: Engine) -> None:
    """Tasks, conversations and messages changed after their hours were rolled up mark those
    hours themselves (platform/store.py); changed sessions are marked by the writer (here by
    hand). Until a refresh, the marked hours are read raw."""
    before = rollup_rows(platform_demo)
    hour = datetime(2026, 10, 31, 10, tzinfo=UTC)
    with platform_demo.begin() as conn:
        old_tasks = conn.execute(
            select(agent_tasks.c.id, agent_tasks.c.agent_name)
            .where(agent_tasks.c.started_at >= hour)
            .order_by(agent_tasks.c.started_at, agent_tasks.c.id)
            .limit(2)
        ).all()
        for old_task, status in zip(old_tasks, ("failed", "working"), strict=True):
            # A late report: an unfinished task fails (or works on), its start moves earlier.
            store_agent_task(
                conn,
                AgentTask(
                    id=old_task.id,
                    agent_name=old_task.agent_name,
                    status=status,
                    started_at=hour - timedelta(hours=5),
                    updated_at=hour + timedelta(days=1),
                    error_message="late failure" if status == "failed" else None,
                ),
            )
        # A new task reported long after it started, earlier than the window's other tasks.
        store_agent_task(
            conn,
            AgentTask(
                id="task-late",
                agent_name="late-agent",
                status="completed",
                started_at=hour + timedelta(minutes=7),
                updated_at=hour + timedelta(hours=2),
                duration_ms=3_000_000_000,  # longer than 32 bits of milliseconds
            ),
        )
        old_conversation = conn.execute(
            select(conversations.c.id)
            .where(conversations.c.started_at >= hour)
            .order_by(conversations.c.started_at)
            .limit(1)
        ).scalar_one()
        for index in range(3):
            store_message(
                conn,
                Message(
                    id=f"late-{index}",
                    conversation_id=old_conversation,
                    role="user",
                    created_at=hour + timedelta(hours=30, minutes=index),
                    token_count=11,
                ),
            )
        # A conversation first reported late, and its start moved earlier by a message.
        store_conversation(
            conn, Conversation(id="conv-late", agent_name="late-agent", started_at=hour)
        )
        store_message(
            conn,
            Message(
                id="late-first",
                conversation_id="conv-late",
                role="user",
                created_at=hour - timedelta(hours=20),
            ),
        )
        # Funnel progress changed late (as a replayed batch would): back to step 1.
        (signup,) = (found for found in load_funnels(conn) if found.funnel.name == "Signup")
        p = funnel_progress.c
        advanced = conn.execute(
            select(funnel_progress)
            .where(
                p.funnel_id == signup.id,
                p.current_step >= 1,
                p.started_at >= hour + timedelta(hours=6),
            )
            .order_by(p.started_at, p.id)
            .limit(2)
        ).all()
        assert advanced
        save_progress(
            conn,
            signup.funnel,
            {
                row.id: Progress(progress_from_row(row).reached[:1], (), row.session_id)
                for row in advanced
            },
        )
        s = sessions.c
        window = (s.started_at >= hour, s.started_at < hour + timedelta(hours=1))
        conn.execute(
            update(sessions)
            .where(*window, s.user_id.is_(None))
            .values(user_id="u-late", last_activity_at=hour + timedelta(hours=3, minutes=30))
        )
        conn.execute(
            update(sessions).where(*window, s.user_id != "u-late").values(is_behavioral_bot=True)
        )
        # What the writer's marker marks for sessions changed late: the hours they last.
        hours = {hour + timedelta(hours=index) for index in range(4)}
        bound = [spec.name for spec in rollup_specs(conn.dialect.name).values()
                 if spec.settling == "sessions"]  # fmt: skip
        mark_dirty(conn, dict.fromkeys(bound, hours), datetime.now(UTC))
    assert rollup_rows(platform_demo) == before  # stale: only the marks save the reports
    assert differences(platform_demo, REPORTS) == []
    refresh_rollups(platform_demo, datetime.now(UTC), settle=timedelta(0))
    with platform_demo.connect() as conn:
        assert all(not found.dirty for found in read_coverage(conn, PLATFORM_ROLLUPS).values())
    assert rollup_rows(platform_demo) != before
    assert differences(platform_demo, REPORTS) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2026-10-03T10:00:00+00:00", "2026-10-03T10:00:07+00:00"),  # whole seconds
        ("2026-10-03T10:00:00.999999+00:00", "2026-10-03T10:00:01.000001+00:00"),  # a borrow
        ("2026-10-03T23:59:59.500000+00:00", "2026-10-05T00:00:00.250000+00:00"),  # days
        ("2026-10-03T10:00:00.000500+00:00", "2026-10-03T10:00:00.000500+00:00"),  # none
    ],
)
def test_times_between_json_timestamps_are_exact_microseconds(
    db_engine: Engine, first: str, second: str
) -> None:
    """The funnel times rollup's gaps (microseconds between two ISO timestamps of a JSON
    array, in SQL) equal Python's, on both databases."""
    expected = datetime.fromisoformat(second) - datetime.fromisoformat(first)
    with db_engine.begin() as conn:
        funnel_id = conn.execute(
            funnels.insert()
            .values(
                name="gaps",
                mode="ordered",
                unit="session",
                window_seconds=60,
                is_active=True,
                created_at=END,
                updated_at=END,
            )
            .returning(funnels.c.id)
        ).scalar_one()
        conn.execute(
            funnel_progress.insert().values(
                funnel_id=funnel_id,
                unit_key="u",
                current_step=1,
                step_timestamps=[first, second],
                started_at=END,
                updated_at=END,
            )
        )
        p = funnel_progress.c
        gap = json_time_gap_us(conn.dialect.name, p.step_timestamps, literal(0), p.current_step)
        found = conn.execute(select(gap).where(p.funnel_id == funnel_id)).scalar_one()
    assert found == expected // timedelta(microseconds=1)


def test_active_users_and_visitors_follow_their_definitions(platform_demo: Engine) -> None:
    """Active users of a window = users of sessions started in it + those carried over its
    start: the same counts as the definitions' distinct counts over the sessions."""
    s = sessions.c
    with platform_demo.connect() as conn:
        for period in WINDOWS.values():
            stats = user_stats(conn, period.until).to_dict()["windows"]
            for name, figures in stats.items():
                since = datetime.fromisoformat(figures["period"]["since"])
                until = datetime.fromisoformat(figures["period"]["until"])
                for current, moment in (("current", since), ("previous", since - (until - since))):
                    span = Period(moment, moment + (until - since))
                    active, visitors = conn.execute(
                        select(
                            func.count(distinct(s.user_id)).filter(active_user_session(span)),
                            func.count(distinct(s.visitor_hash)).filter(
                                human_session(), in_period(s.started_at, span)
                            ),
                        )
                    ).one()
                    assert figures["active_users"][current] == active, (name, current)
                    assert figures["visitors"][current] == visitors, (name, current)


def test_session_funnel_figures_follow_the_progress_rows(platform_demo: Engine) -> None:
    """The rollup-backed counts and times of a funnel counted per session equal the ones
    computed from its progress rows (as for a funnel counted per visitor)."""
    with platform_demo.connect() as conn:
        (signup,) = (found for found in load_funnels(conn) if found.funnel.name == "Signup")
        from_rows = replace(signup, funnel=replace(signup.funnel, unit=Unit.VISITOR))
        for period in WINDOWS.values():
            rolled = funnel_report(conn, signup, period).to_dict()
            counted = funnel_report(conn, from_rows, period).to_dict()
            rolled["funnel"].pop("unit"), counted["funnel"].pop("unit")
            assert rolled == counted
            assert rolled["steps"][0]["median_seconds_to_next"] is not None  # times are compared
