"""The demo data generator: deterministic, complete, and internally consistent on SQLite and
PostgreSQL (every invariant is checked with SQL against the written database)."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, and_, func, not_, or_, select

from systemprompt_analytics.demo.audience import ipv4_in
from systemprompt_analytics.demo.bot_catalog import BOT_KINDS, HEADLESS_CRAWLER, STEALTH_CRAWLER
from systemprompt_analytics.demo.build import build_dataset
from systemprompt_analytics.demo.catalog import BROWSERS, COUNTRIES
from systemprompt_analytics.demo.generator import DemoSummary, generate_demo
from systemprompt_analytics.demo.platform_catalog import CLI_USER_AGENTS
from systemprompt_analytics.demo.rng import DemoRandom
from systemprompt_analytics.demo.timeline import Window
from systemprompt_analytics.detection.user_agents import classify_user_agent
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.ingest.datacenter import DatacenterDetector
from systemprompt_analytics.pricing import TokenUsage, price_usage
from systemprompt_analytics.storage.maintenance import clear_activity, get_meta
from systemprompt_analytics.storage.schema import (
    agent_tasks,
    ai_requests,
    analytics_meta,
    anomaly_alerts,
    anomaly_thresholds,
    client_events,
    content_items,
    conversation_messages,
    conversations,
    engagement_events,
    fingerprint_reputation,
    funnel_progress,
    funnel_steps,
    funnels,
    metadata,
    request_events,
    sessions,
    tool_executions,
    users,
)
from systemprompt_analytics.storage.types import UTCDateTime

END = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
DAYS = 3
SESSIONS = 600
START = END - timedelta(days=DAYS)
BOT = or_(sessions.c.is_bot, sessions.c.is_ai_crawler, sessions.c.is_scanner,
          sessions.c.is_behavioral_bot)  # fmt: skip


def generate(engine: Engine, seed: int = 7, **options: Any) -> DemoSummary:
    return generate_demo(engine, days=DAYS, sessions=SESSIONS, seed=seed, end=END, **options)


@pytest.fixture
def demo(db_engine: Engine) -> Engine:
    generate(db_engine)
    return db_engine


def rows(conn: Connection, *columns: Any, where: Any = None) -> list[Any]:
    query = select(*columns)
    if where is not None:
        query = query.where(where)
    return list(conn.execute(query).all())


# --------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------
def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, minus surrogate ids the database assigns (which differ
    after a clear on PostgreSQL) and the wall-clock time of the demo marker."""
    result: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            surrogate = table.autoincrement_column
            columns = [
                column
                for column in table.columns
                if column is not surrogate
                and column.name != "funnel_id"
                and not (table is analytics_meta and column.name == "updated_at")
            ]
            found = [
                json.dumps(list(row), default=str, sort_keys=True)
                for row in conn.execute(select(*columns)).all()
            ]
            result[table.name] = sorted(found)
    return result


def test_same_seed_and_end_give_identical_rows(db_engine: Engine) -> None:
    generate(db_engine, seed=11)
    first = snapshot(db_engine)
    with db_engine.begin() as conn:
        clear_activity(conn)
    generate(db_engine, seed=11)
    assert snapshot(db_engine) == first
    with db_engine.begin() as conn:
        clear_activity(conn)
    generate(db_engine, seed=12)
    other = snapshot(db_engine)
    assert other["sessions"] != first["sessions"]
    assert other["ai_requests"] != first["ai_requests"]


def test_generation_is_pure_and_seeded() -> None:
    window = Window.ending_at(END, 2)
    first = build_dataset(window, 300, seed=5)
    again = build_dataset(window, 300, seed=5)
    assert first.rows == again.rows
    assert first.funnel_progress == again.funnel_progress
    assert build_dataset(window, 300, seed=6).rows["sessions"] != first.rows["sessions"]


@pytest.mark.parametrize(
    ("seed", "days", "count", "end"),
    [
        (1, 1, 10, datetime(2026, 3, 1, 3, 0, tzinfo=UTC)),
        (2, 1, 150, datetime(2026, 6, 6, 23, 59, tzinfo=UTC)),
        (3, 2, 400, datetime(2026, 1, 4, 0, 0, tzinfo=UTC)),
        (4, 7, 700, datetime(2026, 11, 1, 14, 37, tzinfo=UTC)),
    ],
)
def test_any_size_stays_inside_its_window(seed: int, days: int, count: int, end: datetime) -> None:
    """Pure check over several seeds, sizes and end times (quiet night, midnight, ...)."""
    window = Window.ending_at(end, days)
    data = build_dataset(window, count, seed)
    assert len(data.rows["sessions"]) == count
    historical = {"users", "content_items"}
    for table, table_rows in data.rows.items():
        if table in historical:
            continue
        for row in table_rows:
            for key, value in row.items():
                if isinstance(value, datetime):
                    assert window.start <= value < window.end, (table, key, value)
    for row in data.funnel_progress:
        assert window.start <= row["started_at"] <= row["updated_at"] < window.end


# --------------------------------------------------------------------------------------
# Completeness and the public API
# --------------------------------------------------------------------------------------
def test_every_table_is_filled_and_summarised(db_engine: Engine) -> None:
    phases: list[tuple[str, int, int]] = []
    summary = generate(db_engine, progress=lambda *event: phases.append(event))
    with db_engine.connect() as conn:
        counts = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }
        assert get_meta(conn, "demo_seed") == "7"
    # Rollups are built only on request (``rollups=True``, as ``sp-analytics demo`` does).
    empty = [
        name for name, count in counts.items() if count == 0 and not name.startswith("rollup_")
    ]
    assert empty == []
    for name, count in summary.rows_by_table.items():
        assert counts[name] == count, name
    assert counts["sessions"] == SESSIONS
    assert summary.start == START and summary.end == END
    assert summary.seconds > 0
    labels = {label for label, _, _ in phases}
    assert {"Generating sessions", "Writing rows"} <= labels
    for label in labels:
        final = [event for event in phases if event[0] == label][-1]
        assert final[1] == final[2], label


def test_invalid_arguments_are_refused(db_engine: Engine) -> None:
    with pytest.raises(InvalidInputError, match="days"):
        generate_demo(db_engine, days=0, end=END)
    with pytest.raises(InvalidInputError, match="sessions"):
        generate_demo(db_engine, sessions=5, end=END)
    with pytest.raises(InvalidInputError, match="end"):
        generate_demo(db_engine, end=datetime(2026, 11, 1))


# --------------------------------------------------------------------------------------
# Sessions agree with their events
# --------------------------------------------------------------------------------------
def _per_session(conn: Connection, session_column: Any, *aggregates: Any) -> dict[str, Any]:
    query = select(session_column, *aggregates).group_by(session_column)
    return {row[0]: tuple(row[1:]) for row in conn.execute(query)}


def test_session_counters_match_their_events(demo: Engine) -> None:
    with demo.connect() as conn:
        requests = _per_session(
            conn, request_events.c.session_id,
            func.count(),
            func.count().filter(request_events.c.kind == "page"),
            func.count().filter(request_events.c.status_code >= 400),
        )  # fmt: skip
        events = _per_session(conn, client_events.c.session_id, func.count())
        for row in rows(conn, sessions):
            expected = requests.get(row.id, (0, 0, 0))
            assert (row.request_count, row.page_view_count, row.error_count) == expected
            assert row.event_count == events.get(row.id, (0,))[0]
            assert row.request_count > 0


def test_session_times_follow_their_events(demo: Engine) -> None:
    with demo.connect() as conn:
        spans: dict[str, list[datetime]] = defaultdict(list)
        for table, column in (
            (request_events, request_events.c.occurred_at),
            (client_events, client_events.c.occurred_at),
            (engagement_events, engagement_events.c.occurred_at),
        ):
            found = _per_session(conn, table.c.session_id, func.min(column), func.max(column))
            for session_id, (first, last) in found.items():
                spans[session_id] += [first, last]
        open_sessions = 0
        for row in rows(conn, sessions):
            assert row.started_at == min(spans[row.id])
            assert row.last_activity_at == max(spans[row.id])
            if row.last_activity_at < END - timedelta(minutes=30):
                assert row.ended_at == row.last_activity_at
                expected = int((row.last_activity_at - row.started_at).total_seconds())
                assert row.duration_seconds == min(expected, 86_400)
            else:
                assert row.ended_at is None and row.duration_seconds is None
                open_sessions += 1
            first_page = conn.execute(
                select(request_events.c.path)
                .where(request_events.c.session_id == row.id, request_events.c.kind == "page")
                .order_by(request_events.c.occurred_at, request_events.c.id)
                .limit(1)
            ).scalar_one_or_none()
            assert row.landing_page == first_page
        assert open_sessions > 0, "some sessions must still be active at the end"
        human_open = conn.execute(
            select(func.count()).where(sessions.c.ended_at.is_(None), not_(BOT))
        ).scalar_one()
        assert human_open > 0


def test_session_platform_totals_match_platform_rows(demo: Engine) -> None:
    with demo.connect() as conn:
        ai = _per_session(
            conn, ai_requests.c.session_id,
            func.count(), func.sum(ai_requests.c.total_tokens),
            func.coalesce(func.sum(ai_requests.c.cost_microdollars), 0),
        )  # fmt: skip
        tasks = _per_session(conn, agent_tasks.c.session_id, func.count())
        messages = dict(
            conn.execute(
                select(conversations.c.session_id, func.count())
                .join(
                    conversation_messages,
                    conversation_messages.c.conversation_id == conversations.c.id,
                )
                .group_by(conversations.c.session_id)
            ).all()
        )
        with_ai = 0
        for row in rows(conn, sessions):
            count, tokens, cost = ai.get(row.id, (0, 0, 0))
            assert (row.ai_request_count, row.total_tokens, row.cost_microdollars) == (
                count, tokens or 0, cost,
            )  # fmt: skip
            assert row.task_count == tasks.get(row.id, (0,))[0]
            assert row.message_count == messages.get(row.id, 0)
            with_ai += count > 0
        assert with_ai > 0


def test_timestamps_are_inside_the_window(demo: Engine) -> None:
    historical = {
        (users.name, "created_at"),
        (users.name, "registered_at"),
        (users.name, "last_seen_at"),
        (content_items.name, "published_at"),
        (content_items.name, "updated_at"),
    }
    with demo.connect() as conn:
        for table in metadata.sorted_tables:
            if table in (analytics_meta, anomaly_thresholds):
                continue
            for column in table.columns:
                if not isinstance(column.type, UTCDateTime):
                    continue
                low, high = conn.execute(select(func.min(column), func.max(column))).one()
                if low is None:
                    continue
                if (table.name, column.name) in historical:
                    assert high < END, f"{table.name}.{column.name}"
                else:
                    assert low >= START and high < END, f"{table.name}.{column.name}"
        for row in rows(conn, users):
            assert row.last_seen_at is None or row.last_seen_at >= row.created_at
            if row.registered_at is not None:
                assert row.registered_at >= row.created_at


# --------------------------------------------------------------------------------------
# Humans and bots
# --------------------------------------------------------------------------------------
def test_bot_sessions_are_flagged_and_explained(demo: Engine) -> None:
    with demo.connect() as conn:
        bots = rows(conn, sessions, where=BOT)
        categories = Counter(row.bot_category for row in bots)
        assert set(categories) == {"search", "ai_crawler", "seo", "http_library", "scanner",
                                   "headless"}  # fmt: skip
        for row in bots:
            assert row.is_bot and row.bot_name and row.bot_reason, row.id
            assert row.is_ai_crawler == (row.bot_category == "ai_crawler")
            assert row.is_scanner == (row.bot_category == "scanner")
            assert row.user_id is None
        behavioural = [row for row in bots if row.is_behavioral_bot]
        assert behavioural
        for row in behavioural:
            assert row.behavioral_score >= 50
            fired = {signal["signal"] for signal in row.behavioral_signals}
            assert {"high_request_count", "sequential_navigation"} <= fired
        assert any(row.is_datacenter for row in bots)
        assert any("HeadlessChrome" in (row.user_agent or "") for row in behavioural)
        # Bots run no JavaScript.
        bot_ids = select(sessions.c.id).where(BOT).scalar_subquery()
        for table in (client_events, engagement_events):
            assert not rows(conn, table.c.id, where=table.c.session_id.in_(bot_ids))


def test_request_events_carry_their_session_flags(demo: Engine) -> None:
    joined = request_events.join(sessions, request_events.c.session_id == sessions.c.id)
    with demo.connect() as conn:
        mismatched = conn.execute(
            select(func.count())
            .select_from(joined)
            .where(
                or_(
                    request_events.c.is_bot != sessions.c.is_bot,
                    request_events.c.is_ai_crawler != sessions.c.is_ai_crawler,
                    request_events.c.is_scanner != sessions.c.is_scanner,
                )
            )
        ).scalar_one()
        assert mismatched == 0
        human_flagged = conn.execute(
            select(func.count())
            .select_from(joined)
            .where(not_(BOT), or_(request_events.c.is_bot, request_events.c.is_scanner))
        ).scalar_one()
        assert human_flagged == 0
        humans = rows(conn, sessions, where=not_(BOT))
        assert all(row.bot_name is None and row.bot_category is None for row in humans)
        scanner_404s = conn.execute(
            select(func.count())
            .select_from(joined)
            .where(sessions.c.is_scanner, request_events.c.status_code == 404)
        ).scalar_one()
        assert scanner_404s > 0


def test_human_traffic_looks_human(demo: Engine) -> None:
    with demo.connect() as conn:
        web = rows(conn, sessions, where=and_(not_(BOT), sessions.c.source == "web"))
        channels = {row.channel for row in web}
        assert {"search", "social", "ai_assistant", "direct", "referral"} <= channels
        for row in web:
            assert len(row.visitor_hash) == 64 and len(row.fingerprint_hash) == 64
            assert not row.ip.startswith(("10.", "192.168.", "127."))
            assert row.referrer_source is None or not row.referrer_source.startswith("www.")
        bounces = sum(row.page_view_count == 1 for row in web) / len(web)
        assert 0.3 < bounces < 0.55
        visitors = Counter(row.visitor_hash for row in web)
        assert max(visitors.values()) > 1, "some visitors return"
        assert any(row.user_id for row in web)
        converted = [row for row in web if row.converted_at is not None]
        assert converted
        for row in rows(conn, engagement_events):
            assert 0 <= row.engaged_time_ms <= row.visible_time_ms <= row.time_on_page_ms
            assert 0 <= row.max_scroll_depth <= 100
            assert row.reading_pattern in {"bounce", "skim", "scan", "read", "engaged"}
        signups = rows(conn, client_events.c.session_id,
                       where=and_(client_events.c.event_type == "conversion",
                                  client_events.c.name == "signup"))  # fmt: skip
        assert {row.session_id for row in signups} == {row.id for row in converted}


def test_cli_sessions_belong_to_users_and_use_ai(demo: Engine) -> None:
    with demo.connect() as conn:
        cli = rows(conn, sessions, where=sessions.c.source == "cli")
        assert cli
        for row in cli:
            assert row.user_agent.startswith("sp-cli/")
            assert row.user_id is not None and not row.is_bot
        assert sum(row.ai_request_count for row in cli) > 0


# --------------------------------------------------------------------------------------
# Platform facts
# --------------------------------------------------------------------------------------
def test_ai_requests_are_consistent_and_priced(demo: Engine) -> None:
    with demo.connect() as conn:
        known = {
            "users": {row[0] for row in rows(conn, users.c.id)},
            "sessions": {row[0] for row in rows(conn, sessions.c.id)},
            "tasks": {row[0] for row in rows(conn, agent_tasks.c.id)},
            "conversations": {row[0] for row in rows(conn, conversations.c.id)},
        }
        requests = rows(conn, ai_requests)
    assert {row.model for row in requests} >= {"claude-sonnet-4-5", "gpt-4o-mini", "acme-llm-2"}
    for row in requests:
        usage = TokenUsage(row.input_tokens, row.output_tokens, row.cache_read_tokens,
                           row.cache_write_tokens, row.reasoning_tokens)  # fmt: skip
        assert row.total_tokens == usage.total_tokens
        assert row.cache_hit == (row.cache_read_tokens > 0)
        assert row.completed_at >= row.requested_at
        price = price_usage(row.provider, row.model, usage, row.requested_at)
        if row.model == "acme-llm-2":
            assert price is None
            assert row.cost_microdollars is None and not row.is_priced
        else:
            assert price is not None and row.is_priced
            assert row.cost_microdollars == price.cost_microdollars
            assert row.price_source == "genai-prices"
        assert row.status in {"success", "error"}
        assert (row.error_message is not None) == (row.status == "error")
        for key, value in (
            ("users", row.user_id),
            ("sessions", row.session_id),
            ("tasks", row.task_id),
            ("conversations", row.conversation_id),
        ):
            assert value is None or value in known[key], (key, value)  # fmt: skip
    assert any(row.is_synthetic for row in requests)
    assert any(row.reasoning_tokens > 0 for row in requests)
    assert any(row.status == "error" for row in requests)


def test_tools_tasks_and_conversations_are_consistent(demo: Engine) -> None:
    with demo.connect() as conn:
        tools = rows(conn, tool_executions)
        tasks = rows(conn, agent_tasks)
        convs = rows(conn, conversations)
        messages = rows(conn, conversation_messages)
    assert {row.status for row in tools} >= {"success", "failed"}
    for row in tools:
        assert (row.error_message is not None) == (row.status != "success")
        if row.status == "timeout":
            assert row.duration_ms >= 30_000
        assert row.completed_at - row.started_at == timedelta(milliseconds=row.duration_ms)
    task_ids = {row.id for row in tasks}
    assert all(row.task_id is None or row.task_id in task_ids for row in tools)
    for row in tasks:
        if row.status in {"working", "input_required"}:
            assert row.completed_at is None and row.duration_ms is None
        else:
            assert row.completed_at - row.started_at == timedelta(milliseconds=row.duration_ms)
        assert (row.error_message is not None) == (row.status in {"failed", "canceled"})
    assert any(row.status == "working" for row in tasks), "some tasks run at the end"
    by_conversation: dict[str, list[Any]] = defaultdict(list)
    for message in sorted(messages, key=lambda m: (m.created_at, m.id)):
        by_conversation[message.conversation_id].append(message)
    for row in convs:
        thread = by_conversation[row.id]
        assert row.message_count == len(thread) > 0
        assert row.started_at == thread[0].created_at
        assert row.last_message_at == thread[-1].created_at
        roles = [message.role for message in thread]
        assert roles[::2] == ["user"] * len(roles[::2])
        assert roles[1::2] == ["assistant"] * len(roles[1::2])


# --------------------------------------------------------------------------------------
# Derived tables
# --------------------------------------------------------------------------------------
def test_fingerprint_reputation_matches_sessions(demo: Engine) -> None:
    with demo.connect() as conn:
        expected = {
            row[0]: tuple(row[1:])
            for row in conn.execute(
                select(
                    sessions.c.fingerprint_hash,
                    func.count(),
                    func.sum(sessions.c.request_count),
                    func.min(sessions.c.started_at),
                    func.max(sessions.c.last_activity_at),
                ).group_by(sessions.c.fingerprint_hash)
            )
        }
        reputation = rows(conn, fingerprint_reputation)
        scanner_prints = {
            row[0] for row in rows(conn, sessions.c.fingerprint_hash, where=sessions.c.is_scanner)
        }
    assert {row.fingerprint_hash for row in reputation} == set(expected)
    for row in reputation:
        count, requests, first, last = expected[row.fingerprint_hash]
        assert (row.session_count, row.request_count) == (count, requests)
        assert (row.first_seen_at, row.last_seen_at) == (first, last)
        if row.fingerprint_hash in scanner_prints:
            assert row.is_flagged and row.flag_reason == "scanner"
            assert row.reputation_score < 30
    assert any(row.flag_reason == "behavioral_bot" for row in reputation)


def test_funnel_progress_has_one_row_per_session_that_started(demo: Engine) -> None:
    with demo.connect() as conn:
        (funnel,) = rows(conn, funnels)
        steps = rows(conn, funnel_steps)
        progress = rows(conn, funnel_progress)
        landed = {
            row[0]
            for row in conn.execute(
                select(request_events.c.session_id)
                .join(sessions, request_events.c.session_id == sessions.c.id)
                .where(request_events.c.path == "/", request_events.c.kind == "page", not_(BOT))
                .distinct()
            )
        }
    assert (funnel.name, funnel.mode, funnel.unit, funnel.window_seconds) == (
        "Signup", "ordered", "session", 86_400,
    )  # fmt: skip
    assert [(s.step_order, s.matcher_type, s.matcher_value) for s in sorted(
        steps, key=lambda s: s.step_order)] == [
        (0, "url_exact", "/"), (1, "url_prefix", "/pricing"), (2, "event", "signup"),
    ]  # fmt: skip
    assert [row.unit_key for row in progress] == [row.session_id for row in progress]
    assert {row.unit_key for row in progress} == landed
    assert len({row.unit_key for row in progress}) == len(progress)
    reached = Counter(row.current_step for row in progress)
    assert reached[0] > reached[1] > 0
    for row in progress:
        stamps = [datetime.fromisoformat(value) for value in row.step_timestamps]
        assert row.current_step == len(stamps) - 1
        assert stamps == sorted(stamps)
        assert row.started_at == stamps[0] and row.updated_at == stamps[-1]
        assert (row.completed_at is not None) == (row.current_step == 2)


def test_alerts_and_content(demo: Engine) -> None:
    with demo.connect() as conn:
        alerts = rows(conn, anomaly_alerts)
        items = rows(conn, content_items)
    states = {(row.metric_name, row.level, row.state) for row in alerts}
    assert ("requests_per_minute", "critical", "resolved") in states
    assert any(state == "firing" for _, _, state in states)
    assert len(items) >= 50
    assert all(row.path.startswith("/") and row.title for row in items)


# --------------------------------------------------------------------------------------
# The catalogues agree with the detectors that classify live traffic
# --------------------------------------------------------------------------------------
def test_browser_user_agents_classify_as_the_catalogue_says() -> None:
    for browser in BROWSERS:
        info = classify_user_agent(browser.user_agent)
        assert not info.is_bot, browser.user_agent
        assert info.device_type == browser.device, browser.user_agent
        assert info.browser and info.os, browser.user_agent
    for user_agent, _ in CLI_USER_AGENTS:
        assert not classify_user_agent(user_agent).is_bot, user_agent


def test_bot_user_agents_classify_in_their_category() -> None:
    for kind in (*BOT_KINDS, HEADLESS_CRAWLER, STEALTH_CRAWLER):
        for user_agent in kind.user_agents:
            info = classify_user_agent(user_agent)
            if info.is_bot:
                assert info.category is not None and info.category.value == kind.category
                assert info.is_ai_crawler == (kind.category == "ai_crawler")
            else:  # a browser user agent: caught by what it does, not by its name
                assert kind.category in {"scanner", "headless"}, user_agent


def test_visitor_addresses_are_public_and_not_datacenters() -> None:
    detector = DatacenterDetector.bundled()
    rng = DemoRandom("ips")
    for country in COUNTRIES:
        for block in country.ip_blocks:
            for _ in range(50):
                address = ipv4_in(rng, block)
                assert detector.lookup(address) is None, (country.code, address)
                assert ipaddress.ip_address(address).is_global, address


def test_datacenter_flags_follow_the_detector(demo: Engine) -> None:
    detector = DatacenterDetector.bundled()
    with demo.connect() as conn:
        everyone = rows(conn, sessions)
        created = dict(rows(conn, users.c.id, users.c.created_at))
    first_session: dict[str, datetime] = {}
    for row in everyone:
        provider = detector.lookup(row.ip)
        assert row.hosting_provider == provider, row.ip
        assert row.is_datacenter == (provider is not None)
        if row.user_id is not None:
            first = first_session.get(row.user_id)
            first_session[row.user_id] = min(first, row.started_at) if first else row.started_at
    assert any(row.is_datacenter for row in everyone)
    for user_id, first in first_session.items():
        assert created[user_id] <= first, user_id
