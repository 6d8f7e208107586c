"""Agent reports on both databases: counts never inflated by AI requests, success rate =
completed / finished, status breakdown, top errors, hours, durations, synthetic exclusion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.agents import (
    OTHER_ERRORS,
    agent_list,
    agent_show,
    agent_stats,
    agent_trends,
)
from systemprompt_analytics.reports.definitions import TERMINAL_TASK_STATUSES
from systemprompt_analytics.storage.schema import AGENT_TASK_STATUSES, agent_tasks, ai_requests
from tests.factories import add_agent_task, add_ai_request

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(hours=24), NOW)
IN = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # inside the period, at 09:xx UTC
BEFORE = NOW - timedelta(hours=30)  # inside the previous period


def test_a_task_with_several_ai_requests_counts_once(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        task = add_agent_task(conn, at=IN, agent_name="research", duration_ms=1000)
        for _ in range(4):
            add_ai_request(
                conn, at=IN, agent_name="research", task_id=task, cost_microdollars=250_000
            )
        add_agent_task(conn, at=IN, agent_name="research", status="failed", duration_ms=3000)
        report = agent_list(conn, PERIOD)
        stats = agent_stats(conn, PERIOD)
    (row,) = report.agents.rows
    assert row["agent"] == "research"
    assert row["tasks"] == 2
    assert row["ai_requests"] == 4
    assert row["cost_microdollars"] == 1_000_000
    assert row["cost_usd"] == 1.0
    assert row["avg_duration_ms"] == 2000.0
    assert report.totals["tasks"] == 2
    assert stats.figures["tasks"].current == 2
    assert stats.figures["ai_requests"].current == 4
    assert sum(status["tasks"] for status in stats.status_breakdown) == 2


def test_success_rate_is_completed_over_finished(db_engine: Engine) -> None:
    statuses = (
        "completed",
        "completed",
        "completed",
        "failed",
        "canceled",
        "rejected",
        "working",
        "submitted",
        "input_required",
    )
    with db_engine.begin() as conn:
        for status in statuses:
            add_agent_task(conn, at=IN, agent_name="coder", status=status)
        add_agent_task(conn, at=BEFORE, agent_name="coder", status="completed")
        add_agent_task(conn, at=BEFORE, agent_name="coder", status="failed")
        (row,) = agent_list(conn, PERIOD).agents.rows
        stats = agent_stats(conn, PERIOD)
    # Finished: completed, failed, canceled, rejected = 6; the three unfinished are not counted.
    assert (row["tasks"], row["finished"], row["completed"]) == (9, 6, 3)
    assert row["failed"] == 2  # failed and rejected ended in error; canceled did not
    assert row["success_rate"] == 0.5
    rate = stats.figures["success_rate"]
    assert (rate.current, rate.previous, rate.change_pts) == (0.5, 0.5, 0.0)
    breakdown = {row["status"]: row["tasks"] for row in stats.status_breakdown}
    assert breakdown == {
        "submitted": 1,
        "working": 1,
        "input_required": 1,
        "completed": 3,
        "failed": 1,
        "canceled": 1,
        "rejected": 1,
    }
    assert sum(breakdown.values()) == stats.figures["tasks"].current == 9


def test_shares_are_of_the_true_total_whatever_the_limit(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for name, count in (("a", 5), ("b", 3), ("c", 2)):
            for _ in range(count):
                add_agent_task(conn, at=IN, agent_name=name)
        add_ai_request(conn, at=IN, agent_name="a", cost_microdollars=300)
        add_ai_request(conn, at=IN, agent_name="c", cost_microdollars=100)
        report = agent_list(conn, PERIOD, limit=1)
    (row,) = report.agents.rows
    assert row["agent"] == "a"
    assert row["share_of_tasks"] == 0.5
    assert row["share_of_cost"] == 0.75
    assert report.agents.total_rows == 3
    assert report.totals["agents"] == 3
    assert report.totals["tasks"] == 10


def test_synthetic_requests_are_left_out_unless_asked(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_agent_task(conn, at=IN, agent_name="a")
        add_ai_request(conn, at=IN, agent_name="a", cost_microdollars=1_000)
        add_ai_request(conn, at=IN, agent_name="a", cost_microdollars=9_000, is_synthetic=True)
        # An agent that only ran evaluations appears only with --include-synthetic.
        add_ai_request(conn, at=IN, agent_name="eval-only", is_synthetic=True)
        default = agent_list(conn, PERIOD)
        everything = agent_list(conn, PERIOD, include_synthetic=True)
        stats = agent_stats(conn, PERIOD)
        stats_all = agent_stats(conn, PERIOD, include_synthetic=True)
    assert [row["agent"] for row in default.agents.rows] == ["a"]
    assert default.agents.rows[0]["cost_microdollars"] == 1_000
    assert [row["agent"] for row in everything.agents.rows] == ["a", "eval-only"]
    assert everything.agents.rows[0]["cost_microdollars"] == 10_000
    assert everything.agents.rows[1]["tasks"] == 0
    assert stats.figures["ai_requests"].current == 1
    assert stats_all.figures["ai_requests"].current == 3
    assert default.to_dict()["include_synthetic"] is False


def test_ai_requests_without_an_agent_are_not_an_agents_cost(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_agent_task(conn, at=IN, agent_name="a")
        add_ai_request(conn, at=IN, agent_name=None, cost_microdollars=5_000)
        report = agent_list(conn, PERIOD)
    assert report.totals["ai_requests"] == 0
    assert report.agents.rows[0]["share_of_cost"] is None


def test_durations_average_and_p95_of_finished_tasks(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for duration in (100, 200, 300, 400, 500):
            add_agent_task(conn, at=IN, agent_name="a", duration_ms=duration)
        add_agent_task(conn, at=IN, agent_name="a", status="working", duration_ms=None)
        add_agent_task(conn, at=BEFORE, agent_name="a", duration_ms=1000)
        (row,) = agent_list(conn, PERIOD).agents.rows
        stats = agent_stats(conn, PERIOD)
    assert row["avg_duration_ms"] == 300.0
    assert row["p95_duration_ms"] == 480.0  # 400 + 0.8 * (500 - 400), linear interpolation
    p95 = stats.figures["p95_duration_ms"]
    assert (p95.current, p95.previous) == (480.0, 1000.0)
    assert p95.change_pct == -52.0


def test_top_errors_sum_the_rest_into_one_row(db_engine: Engine) -> None:
    errors = ["timeout"] * 3 + ["quota"] * 2 + ["crash", None]
    with db_engine.begin() as conn:
        for message in errors:
            add_agent_task(conn, at=IN, agent_name="a", status="failed", error_message=message)
        add_agent_task(conn, at=IN, agent_name="a", status="rejected", error_message="policy")
        add_agent_task(conn, at=IN, agent_name="a", status="canceled", error_message="Canceled")
        stats = agent_stats(conn, PERIOD, limit=2)
    rows = stats.top_errors.rows
    assert [(row["error"], row["tasks"]) for row in rows] == [
        ("timeout", 3),
        ("quota", 2),
        (OTHER_ERRORS, 3),
    ]
    assert sum(row["tasks"] for row in rows) == stats.figures["failed"].current == 8
    assert rows[0]["share_of_all"] == 0.375
    assert stats.top_errors.total_rows == 5  # timeout, quota, crash, (no message), policy


def test_hourly_distribution_lists_every_hour_in_utc(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_agent_task(conn, at=datetime(2026, 11, 27, 9, 5, tzinfo=UTC))
        add_agent_task(conn, at=datetime(2026, 11, 27, 9, 55, tzinfo=UTC))
        add_agent_task(conn, at=datetime(2026, 11, 26, 23, 0, tzinfo=UTC))
        add_agent_task(conn, at=datetime(2026, 11, 26, 13, 0, tzinfo=UTC))
        hours = agent_stats(conn, PERIOD).hourly_distribution
    assert [row["hour"] for row in hours] == list(range(24))
    assert {row["hour"]: row["tasks"] for row in hours if row["tasks"]} == {9: 2, 13: 1, 23: 1}
    assert hours[9]["share_of_all"] == 0.5


def test_show_is_one_agent_and_an_unknown_agent_names_the_argument(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_agent_task(conn, at=IN, agent_name="a", status="completed")
        add_agent_task(conn, at=IN, agent_name="b", status="failed", error_message="boom")
        add_ai_request(conn, at=IN, agent_name="b")
        shown = agent_show(conn, PERIOD, "b")
        old = agent_show(conn, Period(NOW - timedelta(days=60), NOW - timedelta(days=59)), "a")
        with pytest.raises(InvalidInputError) as caught:
            agent_show(conn, PERIOD, "nobody")
    assert shown.agent == "b"
    assert "agents" not in shown.figures
    assert shown.figures["tasks"].current == 1
    assert shown.figures["success_rate"].current == 0.0
    assert shown.figures["ai_requests"].current == 1
    assert shown.top_errors.rows == [{"error": "boom", "tasks": 1, "share_of_all": 1.0}]
    assert old.figures["tasks"].current == 0  # known agent, quiet period: zeros, no error
    assert caught.value.field == "NAME"
    assert "'nobody'" in caught.value.problem and "a, b" in caught.value.problem


def test_trends_are_zero_filled_with_no_rate_for_an_empty_bucket(db_engine: Engine) -> None:
    period = Period(datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 27, tzinfo=UTC))
    with db_engine.begin() as conn:
        add_agent_task(conn, at=datetime(2026, 11, 24, 8, tzinfo=UTC), status="completed")
        add_agent_task(conn, at=datetime(2026, 11, 24, 9, tzinfo=UTC), status="failed")
        add_agent_task(conn, at=datetime(2026, 11, 26, 9, tzinfo=UTC), status="working")
        add_ai_request(conn, at=datetime(2026, 11, 25, 9, tzinfo=UTC), agent_name="research-agent")
        trends = agent_trends(conn, period, "day")
    series = trends.series
    assert [row["bucket"][:10] for row in series] == ["2026-11-24", "2026-11-25", "2026-11-26"]
    assert [row["tasks"] for row in series] == [2, 0, 1]
    assert [row["success_rate"] for row in series] == [0.5, None, None]
    assert [row["ai_requests"] for row in series] == [0, 1, 0]
    assert trends.to_dict()["group_by"] == "day"
    assert set(series[0]) == {"bucket", *trends.metrics}


def test_empty_database_gives_zeros_not_errors(db_engine: Engine) -> None:
    with db_engine.connect() as conn:
        listed = agent_list(conn, PERIOD).to_dict()
        stats = agent_stats(conn, PERIOD).to_dict()
    assert listed["agents"] == {"rows": [], "total_rows": 0}
    assert listed["totals"]["tasks"] == 0 and listed["totals"]["success_rate"] is None
    assert stats["figures"]["tasks"] == {"current": 0, "previous": 0, "change_pct": None}
    assert stats["top_errors"] == {"rows": [], "total_rows": 0}


def test_rest_adds_up_and_an_unpriced_agents_cost_is_unknown(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for name, count in (("a", 3), ("b", 2), ("c", 1)):
            for _ in range(count):
                add_agent_task(conn, at=IN, agent_name=name, status="completed")
        add_ai_request(conn, at=IN, agent_name="a", cost_microdollars=600)
        add_ai_request(conn, at=IN, agent_name="b", cost_microdollars=400)
        # c only used a model without a price: its cost is unknown, not 0.
        add_ai_request(conn, at=IN, agent_name="c", cost_microdollars=None, is_priced=False)
        report = agent_list(conn, PERIOD, limit=1)
        full = agent_list(conn, PERIOD)
    assert report.rest["agents"] == 2
    assert report.rest["tasks"] == 3
    assert report.rest["ai_requests"] == 2
    assert report.rest["unpriced_requests"] == 1
    assert report.rest["cost_microdollars"] == 400
    assert report.rest["share_of_tasks"] == 0.5
    assert report.rest["share_of_cost"] == 0.4
    row = report.agents.rows[0]
    for name in ("tasks", "ai_requests", "cost_microdollars"):
        assert row[name] + report.rest[name] == report.totals[name]
    c = next(row for row in full.agents.rows if row["agent"] == "c")
    assert (c["cost_microdollars"], c["cost_usd"], c["share_of_cost"]) == (None, None, None)
    assert c["unpriced_requests"] == 1
    assert report.totals["unpriced_requests"] == 1


AGENTS = ("a", "b", "c")
# (agent, cost or None for unpriced, synthetic)
REQUEST = st.tuples(st.sampled_from(AGENTS), st.none() | st.integers(0, 1_000), st.booleans())
TASK = st.tuples(
    st.sampled_from(AGENTS), st.sampled_from(AGENT_TASK_STATUSES), st.lists(REQUEST, max_size=3)
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tasks=st.lists(TASK, max_size=8), loose=st.lists(REQUEST, max_size=4))
def test_agent_figures_match_a_plain_count(
    db_engine: Engine,
    tasks: list[tuple[str, str, list[tuple[str, int | None, bool]]]],
    loose: list[tuple[str, int | None, bool]],
) -> None:
    """Whatever the tasks and requests, each agent's figures are the plain per-agent counts:
    every task once, every non-synthetic request once, unknown cost only when nothing is
    priced."""
    with db_engine.begin() as conn:
        conn.execute(ai_requests.delete())
        conn.execute(agent_tasks.delete())
        requests = list(loose)
        for agent, status, task_requests in tasks:
            task = add_agent_task(conn, at=IN, agent_name=agent, status=status)
            for request_agent, cost, synthetic in task_requests:
                add_ai_request(
                    conn,
                    at=IN,
                    agent_name=request_agent,
                    task_id=task,
                    cost_microdollars=cost,
                    is_synthetic=synthetic,
                )
            requests += task_requests
        for agent, cost, synthetic in loose:
            add_ai_request(
                conn, at=IN, agent_name=agent, cost_microdollars=cost, is_synthetic=synthetic
            )
        report = agent_list(conn, PERIOD, limit=len(AGENTS))
        stats = agent_stats(conn, PERIOD)
    rows = {row["agent"]: row for row in report.agents.rows}
    counted = [request for request in requests if not request[2]]
    assert set(rows) == {task[0] for task in tasks} | {request[0] for request in counted}
    for agent, row in rows.items():
        statuses = [status for name, status, _ in tasks if name == agent]
        costs = [cost for name, cost, _ in counted if name == agent]
        known = [cost for cost in costs if cost is not None]
        assert row["tasks"] == len(statuses)
        assert row["completed"] == statuses.count("completed")
        assert row["finished"] == sum(status in TERMINAL_TASK_STATUSES for status in statuses)
        assert row["ai_requests"] == len(costs)
        assert row["unpriced_requests"] == len(costs) - len(known)
        assert row["cost_microdollars"] == (sum(known) if known or not costs else None)
    assert sum(row["tasks"] for row in rows.values()) == report.totals["tasks"] == len(tasks)
    assert sum(entry["tasks"] for entry in stats.status_breakdown) == len(tasks)
    assert report.rest["tasks"] == report.rest["ai_requests"] == 0
