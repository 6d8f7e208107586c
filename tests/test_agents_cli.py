"""``sp-analytics agents …`` end to end: --json is the report's dict, --csv, tables, and bad
input (flags, an unknown agent) exits 2 naming the field."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.agents import LIST_COLUMNS, agent_list, agent_show
from systemprompt_analytics.reports.figures import STATS_CSV_COLUMNS
from tests.factories import add_agent_task, add_ai_request

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WINDOW = ["--since", "2026-11-27", "--until", "2026-11-28"]
PERIOD = Period(datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


@pytest.fixture
def agents_db(db_engine: Engine, database_url: str) -> str:
    with db_engine.begin() as conn:
        task = add_agent_task(conn, at=AT, agent_name="research", duration_ms=2000)
        add_agent_task(conn, at=AT, agent_name="research", status="failed", error_message="boom")
        add_agent_task(conn, at=AT, agent_name="support")
        add_ai_request(conn, at=AT, agent_name="research", task_id=task)
        add_ai_request(conn, at=AT, agent_name="research", task_id=task, is_synthetic=True)
    return database_url


def test_list_json_is_the_report_and_csv_has_its_columns(
    agents_db: str, db_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "agents.csv"
    db = ["--database-url", agents_db]
    assert run(["agents", "list", *WINDOW, "--json", "--csv", str(out), *db]) == 0
    data = json.loads(capsys.readouterr().out)
    with db_engine.connect() as conn:
        assert data == _plain(agent_list(conn, PERIOD).to_dict())
    assert data["agents"]["rows"][0]["tasks"] == 2
    assert data["agents"]["rows"][0]["ai_requests"] == 1
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == LIST_COLUMNS
    assert [row["agent"] for row in rows] == ["research", "support"]
    assert run(["agents", "list", *WINDOW, "--include-synthetic", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)["agents"]["rows"][0]["ai_requests"] == 2
    assert run(["agents", "list", *WINDOW, *db]) == 0
    assert "research" in capsys.readouterr().out


def test_stats_show_and_trends(
    agents_db: str, db_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", agents_db]
    assert run(["agents", "stats", *WINDOW, "--json", *db]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["figures"]["success_rate"]["current"] == 0.666667  # 2 of 3 finished
    assert sum(row["tasks"] for row in stats["status_breakdown"]) == 3
    out = tmp_path / "show.csv"
    assert run(["agents", "show", "research", *WINDOW, "--json", "--csv", str(out), *db]) == 0
    shown = json.loads(capsys.readouterr().out)
    with db_engine.connect() as conn:
        assert shown == _plain(agent_show(conn, PERIOD, "research").to_dict())
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == STATS_CSV_COLUMNS
    assert {"section": "top_errors", "name": "boom", "current": "1"}.items() <= next(
        row for row in rows if row["section"] == "top_errors"
    ).items()
    assert run(["agents", "trends", *WINDOW, "--group-by", "hour", "--json", *db]) == 0
    series = json.loads(capsys.readouterr().out)["series"]
    assert len(series) == 24 and sum(row["tasks"] for row in series) == 3
    for command in (["stats"], ["show", "support"], ["trends", "--agent", "research"]):
        assert run(["agents", *command, *WINDOW, *db]) == 0
    assert "Tasks by status" in capsys.readouterr().out


def test_bad_input_exits_2_naming_the_field(
    agents_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", agents_db]
    assert run(["agents", "show", "nobody", *WINDOW, *db]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "NAME" in err and "'nobody'" in err and "research, support" in err
    assert run(["agents", "trends", "--agent", "nobody", *db]) == 2
    assert run(["agents", "trends", "--group-by", "fortnight", *db]) == 2
    assert "fortnight" in capsys.readouterr().err
    assert run(["agents", "list", "--since", "banana", *db]) == 2
    assert "--since" in capsys.readouterr().err
    assert run(["agents", "list", "--limit", "0", *db]) == 2
    assert run(["agents", "list", "--since", "2026-11-28", "--until", "2026-11-27", *db]) == 2
    assert "Traceback" not in capsys.readouterr().err
