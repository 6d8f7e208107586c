"""The overview's platform additions on both databases: users, leaderboards of agents, tools
and users, and --include-synthetic for its AI figures."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import Comparison
from systemprompt_analytics.reports.overview import LEADERBOARD_SIZE, overview
from tests.factories import (
    add_agent_task,
    add_ai_request,
    add_session,
    add_tool_execution,
    add_user,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(hours=24), NOW)
IN = NOW - timedelta(hours=3)


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")


def test_users_section_and_leaderboards(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_user(conn, id="alice", at=IN)
        add_user(conn, at=NOW - timedelta(days=40), is_anonymous=True)
        add_session(conn, at=IN, user_id="alice")
        for index in range(LEADERBOARD_SIZE + 2):
            for _ in range(index + 1):
                add_agent_task(conn, at=IN, agent_name=f"agent-{index}")
                add_tool_execution(conn, at=IN, tool_name=f"tool-{index}")
        add_ai_request(conn, at=IN, user_id="alice", agent_name="agent-0", cost_microdollars=7)
        report = overview(conn, PERIOD, NOW)
    users = report.sections["users"]
    assert users["active_users"] == Comparison(1, 0)
    assert users["new_users"] == Comparison(1, 0)
    assert (users["registered"], users["anonymous"]) == (1, 1)
    agents = report.leaderboards["agents"]
    assert len(agents) == LEADERBOARD_SIZE
    assert [row["agent"] for row in agents[:2]] == ["agent-6", "agent-5"]
    total_tasks = sum(range(1, LEADERBOARD_SIZE + 3))
    assert agents[0]["share_of_tasks"] == round(7 / total_tasks, 6)
    assert report.leaderboards["tools"][0]["tool"] == "tool-6"
    assert [row["user_id"] for row in report.leaderboards["users"]] == ["alice"]
    data = report.to_dict()
    assert data["users"]["active_users"] == {"current": 1, "previous": 0, "change_pct": None}
    assert set(data["leaderboards"]) == {"agents", "tools", "users"}
    assert data["include_synthetic"] is False


def test_include_synthetic_counts_evaluation_requests(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_ai_request(conn, at=IN, user_id="u", cost_microdollars=1_000_000)
        add_ai_request(conn, at=IN, user_id="u", cost_microdollars=2_000_000, is_synthetic=True)
        default = overview(conn, PERIOD, NOW)
        everything = overview(conn, PERIOD, NOW, include_synthetic=True)
    assert default.sections["requests"]["count"] == Comparison(1, 0)
    assert everything.sections["requests"]["count"] == Comparison(2, 0)
    assert everything.sections["costs"]["total_usd"] == Comparison(3.0, 0.0, "amount")
    assert default.leaderboards["users"][0]["cost_microdollars"] == 1_000_000
    assert everything.leaderboards["users"][0]["cost_microdollars"] == 3_000_000
    assert everything.to_dict()["include_synthetic"] is True


def test_cli_overview_shows_users_and_leaderboards(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recent = datetime.now(UTC) - timedelta(hours=1)
    with db_engine.begin() as conn:
        add_session(conn, at=recent, user_id="alice")
        add_agent_task(conn, at=recent, agent_name="research-agent")
        add_ai_request(conn, at=recent, is_synthetic=True, cost_microdollars=500_000)
    db = ["--database-url", database_url]
    out = tmp_path / "overview.csv"
    assert run(["overview", "--include-synthetic", "--json", "--csv", str(out), *db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["costs"]["total_usd"]["current"] == 0.5
    assert data["users"]["active_users"]["current"] == 1
    assert data["leaderboards"]["agents"][0]["agent"] == "research-agent"
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert {"section": "users", "metric": "active_users", "current": "1"}.items() <= next(
        row for row in rows if row["metric"] == "active_users"
    ).items()
    assert run(["overview", *db]) == 0
    printed = capsys.readouterr().out
    assert "Active users" in printed and "Top agents" in printed
