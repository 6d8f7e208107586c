"""Keeping rollups right as data arrives (both databases): late rows written through the writer
mark their hours and a refresh recomputes them (giving the rollups a rebuild gives);
concurrent flushes from two engines add up; retried reports count once; repriced costs;
hours still settling stay raw; clearing the data clears the rollups."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text, update

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.ingest.pipeline import RequestFacts
from systemprompt_analytics.ingest.writer import Batch, BatchWriter, WriterConfig
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.platform.costing import explicit_cost
from systemprompt_analytics.platform.records import AIRequest, ToolExecution
from systemprompt_analytics.platform.reprice import reprice
from systemprompt_analytics.platform.rows import ai_request_row, tool_execution_row
from systemprompt_analytics.reports.bots import bot_traffic
from systemprompt_analytics.reports.costs import cost_summary
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.reports.requests import model_usage, request_stats
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.sessions import session_stats
from systemprompt_analytics.reports.tools import tool_stats
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.maintenance import clear_activity
from systemprompt_analytics.storage.rollups import RefreshResult, rebuild_rollups, refresh_rollups
from systemprompt_analytics.storage.rollups.marking import RollupMarker
from systemprompt_analytics.storage.rollups.refresh import ROLLUP_LOCK_KEY
from systemprompt_analytics.storage.rollups.state import floor_hour, read_coverage
from systemprompt_analytics.storage.schema import (
    ai_requests,
    metadata,
    rollup_ai_requests_hourly,
    rollup_dirty_hours,
    rollup_state,
    rollup_tool_executions_hourly,
    tool_executions,
)

NOW = datetime.now(UTC)
# Three days back: settled for every rollup (facts after minutes, sessions after 25 hours).
BASE = floor_hour(NOW) - timedelta(days=3)
PERIOD = Period(BASE - timedelta(hours=1), BASE + timedelta(hours=20))
MODELS = (("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-4o-mini"), ("acme", "acme-llm-2"))
AGENTS = ("research-agent", None, "support-bot")
TOOLS = (("web.fetch", "web"), ("postgres.query", "postgres"), ("notes.save", None))
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36"
)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SETTLED = timedelta(0)


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every rollup bucket, in a comparable form."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                json.dumps([repr(value) for value in row]) for row in conn.execute(select(table))
            )
            for table in metadata.sorted_tables
            if table.name.startswith("rollup_") and table.name.endswith(("_hourly", "_daily"))
        }


def reports(engine: Engine, use_rollups: bool) -> list[Any]:
    window = CostWindow(PERIOD, default=False)
    with engine.connect() as conn:
        found = [
            cost_summary(conn, window, RequestFilter(), use_rollups=use_rollups),
            request_stats(conn, PERIOD, RequestFilter(True), use_rollups=use_rollups),
            model_usage(conn, PERIOD, RequestFilter(), use_rollups=use_rollups),
            tool_stats(conn, PERIOD, use_rollups=use_rollups),
            session_stats(conn, PERIOD, PERIOD.until, use_rollups=use_rollups),
            bot_traffic(conn, PERIOD, use_rollups=use_rollups),
            overview(conn, PERIOD, PERIOD.until, use_rollups=use_rollups),
        ]
    return [json.dumps(report.to_dict(), default=str, sort_keys=True) for report in found]


def assert_reports_equal_raw(engine: Engine) -> None:
    assert reports(engine, True) == reports(engine, False)


def ai_request(key: str, at: datetime, number: int, **fields: Any) -> dict[str, Any]:
    provider, model = MODELS[number % len(MODELS)]
    return {
        "id": key,
        "provider": provider,
        "model": model,
        "requested_at": at,
        "input_tokens": 100 + number,
        "output_tokens": 20 * number,
        "cache_read_tokens": 50 if number % 4 == 0 else 0,
        "latency_ms": 200 + 37 * number,
        "time_to_first_token_ms": 90 + number if number % 2 else None,
        "status": "error" if number % 5 == 0 else "success",
        "is_synthetic": number % 7 == 3,
        "agent_name": AGENTS[number % len(AGENTS)],
        "user_id": f"user_{number % 4}" if number % 3 else None,
        **fields,
    }


def tool_execution(key: str, at: datetime, number: int) -> dict[str, Any]:
    tool, server = TOOLS[number % len(TOOLS)]
    return {
        "id": key,
        "tool_name": tool,
        "server_name": server,
        "status": ("success", "failed", "timeout")[number % 3 if number % 2 else 0],
        "started_at": at,
        "duration_ms": 50 + 13 * number,
        "agent_name": AGENTS[number % len(AGENTS)],
    }


def ingest(analytics: Analytics, batch: int) -> None:
    """Platform facts and web visits (human and bot), all hours in the past."""
    for number in range(12):
        at = BASE + timedelta(minutes=37 * number + 11 * batch)
        analytics.record_ai_request(ai_request(f"req_{batch}_{number}", at, number))
        analytics.record_tool_execution(tool_execution(f"tool_{batch}_{number}", at, number))
        agent = BOT if number % 4 == 1 else BROWSER
        for view in range(1 + number % 3):
            facts = RequestFacts(
                "GET",
                f"/docs/page-{view}",
                "",
                {"user-agent": agent, "accept": "text/html"},
                f"198.51.100.{batch * 50 + number}",
                at=at + timedelta(minutes=2 * view),
            )
            context = analytics.pipeline.begin(facts)
            assert context is not None
            analytics.pipeline.finish(context, 200, 1_000, latency_ms=5.0)
    assert analytics.flush()
    analytics.scoring.score_due(everything=True)


@pytest.fixture
def analytics(db_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Analytics]:
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "data")
    service = Analytics(settings, engine=db_engine)
    yield service
    service.close()


def dirty_rollups(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(rollup_dirty_hours.c.name).distinct()).scalars())


def test_late_rows_through_the_writer_are_marked_and_refreshed_like_a_rebuild(
    analytics: Analytics, db_engine: Engine
) -> None:
    ingest(analytics, 0)
    refresh_rollups(db_engine, datetime.now(UTC), settle=SETTLED)
    assert dirty_rollups(db_engine) == set()
    assert_reports_equal_raw(db_engine)
    ingest(analytics, 1)  # into hours already rolled up
    assert dirty_rollups(db_engine) == {
        "ai_requests", "ai_latencies", "ai_users", "tool_executions", "tool_durations",
        "sessions", "page_views", "session_visitors", "traffic_sources", "traffic_landing",
        "traffic_geo", "traffic_devices",
        "content_views", "content_totals", "content_engagement", "content_engagement_totals",
        "navigation", "navigation_totals",
        "session_people", "funnel_units", "funnel_times",  # session-bound platform rollups
    }  # fmt: skip
    assert_reports_equal_raw(db_engine)  # the dirty hours are read raw
    refresh_rollups(db_engine, datetime.now(UTC), settle=SETTLED)
    assert dirty_rollups(db_engine) == set()
    incremental = snapshot(db_engine)
    assert_reports_equal_raw(db_engine)
    rebuild_rollups(db_engine, datetime.now(UTC))
    assert snapshot(db_engine) == incremental


def test_fresh_activity_marks_nothing(analytics: Analytics, db_engine: Engine) -> None:
    analytics.record_ai_request(ai_request("req_now", datetime.now(UTC), 1))
    assert analytics.flush()
    assert dirty_rollups(db_engine) == set()


def test_hours_still_settling_are_not_rolled_up(analytics: Analytics, db_engine: Engine) -> None:
    recent = datetime.now(UTC) - timedelta(minutes=2)
    analytics.record_ai_request(ai_request("req_old", BASE, 1))
    analytics.record_ai_request(ai_request("req_recent", recent, 2))
    assert analytics.flush()
    refresh_rollups(db_engine, datetime.now(UTC), settle=SETTLED)
    with db_engine.connect() as conn:
        covered = read_coverage(conn, ["ai_requests"])["ai_requests"].covered_until
        latest = conn.execute(select(func.max(rollup_ai_requests_hourly.c.bucket_at))).scalar()
        window = CostWindow(Period(BASE, datetime.now(UTC)), default=False)
        summary = cost_summary(conn, window, RequestFilter(), use_rollups=True).current
    assert covered is not None and covered <= floor_hour(recent)
    assert latest == BASE  # the recent request's hour is read raw
    assert summary["requests"] == 2


def _writer(engine: Engine) -> BatchWriter:
    return BatchWriter(
        engine, WriterConfig(batch_size=40), listeners=[RollupMarker(engine).on_flush]
    )


def _rows(prefix: str, count: int) -> list[tuple[Any, dict[str, Any]]]:
    rows: list[tuple[Any, dict[str, Any]]] = []
    for number in range(count):
        at = BASE + timedelta(minutes=(7 * number) % 180)
        request = AIRequest.model_validate(ai_request(f"{prefix}_req_{number}", at, number))
        rows.append((ai_requests, ai_request_row(request, explicit_cost(1_000 + number))))
        execution = ToolExecution.model_validate(
            tool_execution(f"{prefix}_tool_{number}", at, number)
        )
        rows.append((tool_executions, tool_execution_row(execution)))
    return rows


def test_concurrent_flushes_from_two_engines_add_up(database_url: str, db_engine: Engine) -> None:
    first = _writer(db_engine)
    for table, row in _rows("seed", 30):
        first.submit(None, table, row)
    first.close()
    refresh_rollups(db_engine, datetime.now(UTC), settle=SETTLED)
    engines = [make_engine(database_url) for _ in range(2)]
    writers = [_writer(engine).start() for engine in engines]
    barrier = threading.Barrier(2)

    def write(writer: BatchWriter, prefix: str) -> None:
        barrier.wait()
        for table, row in _rows(prefix, 150):
            assert writer.submit(None, table, row)
        assert writer.flush()

    threads = [
        threading.Thread(target=write, args=(writer, f"w{index}"))
        for index, writer in enumerate(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer, engine in zip(writers, engines, strict=True):
        writer.close()
        engine.dispose()
    refresh_rollups(db_engine, datetime.now(UTC), settle=SETTLED)
    with db_engine.connect() as conn:
        requests = conn.execute(select(func.sum(rollup_ai_requests_hourly.c.requests))).scalar()
        executions = conn.execute(
            select(func.sum(rollup_tool_executions_hourly.c.executions))
        ).scalar()
    assert int(requests) == int(executions) == 30 + 2 * 150
    incremental = snapshot(db_engine)
    rebuild_rollups(db_engine, datetime.now(UTC))
    assert snapshot(db_engine) == incremental


def test_a_report_sent_again_counts_once(database_url: str, db_engine: Engine) -> None:
    writer = _writer(db_engine)
    for table, row in _rows("seed", 10):
        writer.submit(None, table, row)
    writer.close()
    refresh_rollups(db_engine, datetime.now(UTC), settle=SETTLED)
    again = _writer(db_engine)  # another process: it has not seen these ids
    for table, row in _rows("seed", 10):
        again.submit(None, table, row)
    again.close()
    refresh_rollups(db_engine, datetime.now(UTC), settle=SETTLED)
    with db_engine.connect() as conn:
        requests = conn.execute(select(func.sum(rollup_ai_requests_hourly.c.requests))).scalar()
    assert int(requests) == 10
    assert_reports_equal_raw(db_engine)


def test_repriced_costs_are_marked_and_recomputed(db_engine: Engine) -> None:
    writer = _writer(db_engine)
    for table, row in _rows("seed", 12):
        writer.submit(None, table, row)
    writer.close()
    with db_engine.begin() as conn:  # costs the host did not set: repricing computes them
        conn.execute(update(ai_requests).values(is_cost_explicit=False, cost_microdollars=1))
    rebuild_rollups(db_engine, datetime.now(UTC))
    period = Period(BASE, BASE + timedelta(hours=4))
    summary = reprice(db_engine, period)
    assert summary.repriced > 0
    assert dirty_rollups(db_engine) == {"ai_requests", "ai_latencies", "ai_users"}
    assert_reports_equal_raw(db_engine)
    refresh_rollups(db_engine, datetime.now(UTC), settle=SETTLED)
    assert dirty_rollups(db_engine) == set()
    assert_reports_equal_raw(db_engine)


def test_another_instance_refreshing_makes_a_refresh_skip(db_engine: Engine) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a refresh waits for the write lock")
    with db_engine.connect() as holder, holder.begin():
        holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLLUP_LOCK_KEY})
        result = refresh_rollups(db_engine, datetime.now(UTC))
    assert result.skipped and "another instance" in result.message


def test_clearing_the_data_clears_the_rollups(db_engine: Engine) -> None:
    writer = _writer(db_engine)
    for table, row in _rows("seed", 5):
        writer.submit(None, table, row)
    writer.close()
    rebuild_rollups(db_engine, datetime.now(UTC))
    with db_engine.begin() as conn:
        clear_activity(conn)
    with db_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rollup_state)).scalar() == 0
    assert all(rows == [] for rows in snapshot(db_engine).values())


def test_the_marker_marks_only_late_rows_of_the_rollups_they_feed(db_engine: Engine) -> None:
    marker = RollupMarker(db_engine, session_max_hours=24)
    now = datetime.now(UTC)
    batch = Batch()
    fresh = ai_request_row(
        AIRequest.model_validate(ai_request("fresh", now - timedelta(minutes=1), 1)),
        explicit_cost(1),
    )
    late = ai_request_row(
        AIRequest.model_validate(ai_request("late", now - timedelta(hours=2), 1)),
        explicit_cost(1),
    )
    batch.rows[ai_requests] = [fresh, late]
    hour = floor_hour(now - timedelta(hours=2))
    assert marker.late_rows(batch, now) == {
        "ai_requests": {hour},
        "ai_latencies": {hour},
        "ai_users": {hour},
    }
    batch.rows[ai_requests] = [fresh]
    assert marker.late_rows(batch, now) == {}


def test_the_service_job_refreshes_after_its_first_interval(
    analytics: Analytics, db_engine: Engine
) -> None:
    job = next(job for job in analytics.jobs.jobs if job.name == "rollups")
    assert job.next_run > time.monotonic() + 60  # not at start-up: a long-lived process does it
    analytics.record_ai_request(ai_request("req_job", BASE, 1))
    assert analytics.flush()
    result = job.run()
    assert isinstance(result, RefreshResult) and not result.skipped
    with db_engine.connect() as conn:
        assert read_coverage(conn, ["ai_requests"])["ai_requests"].covered_until is not None


def test_a_refresh_skips_the_empty_hours_between_old_and_new_rows(
    analytics: Analytics, db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows from a year ago and from this week: the refresh rolls up the week after each of
    them, not the ~9,000 empty hours between, and leaves the same buckets as walking them all."""
    ingest(analytics, 0)
    old = BASE - timedelta(days=380, minutes=17)
    analytics.record_ai_request(ai_request("req_old", old, 1))
    analytics.record_tool_execution(tool_execution("tool_old", old + timedelta(hours=5), 2))
    assert analytics.flush()
    skipping = rebuild_rollups(db_engine, NOW)
    skipped = snapshot(db_engine)

    from systemprompt_analytics.storage.rollups import refresh as refresh_module

    original = refresh_module._earliest_hour
    monkeypatch.setattr(
        refresh_module,
        "_earliest_hour",
        lambda conn, spec, since=None: since if since is not None else original(conn, spec),
    )
    walking = rebuild_rollups(db_engine, NOW)
    assert walking.hours > 20 * skipping.hours
    assert snapshot(db_engine) == skipped
    assert any(skipped.values())
    assert_reports_equal_raw(db_engine)
