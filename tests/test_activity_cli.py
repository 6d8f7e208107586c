"""``sp-analytics activity trends`` end to end: --json, --csv, table and bad flags."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from tests.factories import add_ai_request, add_session

WINDOW = ["--since", "2026-11-25", "--until", "2026-11-28"]


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")


def test_trends_json_csv_and_table(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = datetime(2026, 11, 26, 9, tzinfo=UTC)
    with db_engine.begin() as conn:
        add_session(conn, at=at)
        add_ai_request(conn, at=at)
        add_ai_request(conn, at=at, is_synthetic=True)
    db = ["--database-url", database_url]
    out = tmp_path / "activity.csv"
    assert run(["activity", "trends", *WINDOW, "--json", "--csv", str(out), *db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [row["ai_requests"] for row in data["series"]] == [0, 1, 0]
    assert data["totals"]["sessions"] == 1
    lines = out.read_text().splitlines()
    assert lines[0] == "bucket,sessions,conversations,agent_tasks,ai_requests,tool_executions"
    assert len(lines) == 4
    assert run(["activity", "trends", *WINDOW, "--include-synthetic", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["ai_requests"] == 2
    assert run(["activity", "trends", *WINDOW, *db]) == 0
    assert "Platform activity by day" in capsys.readouterr().out


def test_bad_flags_exit_2(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database-url", database_url]
    assert run(["activity", "trends", "--group-by", "quarter", *db]) == 2
    assert "quarter" in capsys.readouterr().err
    assert run(["activity", "trends", "--since", "", *db]) == 2
    assert "--since" in capsys.readouterr().err
    assert run(["activity", "stats", *db]) == 2
