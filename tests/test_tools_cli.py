"""``sp-analytics tools …`` end to end: --json is the report's dict, --csv, tables, and bad
input (flags, an unknown tool) exits 2 naming the field."""

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
from systemprompt_analytics.reports.figures import STATS_CSV_COLUMNS
from systemprompt_analytics.reports.tools import LIST_COLUMNS, tool_list, tool_stats
from tests.factories import add_tool_execution

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WINDOW = ["--since", "2026-11-27", "--until", "2026-11-28"]
PERIOD = Period(datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


@pytest.fixture
def tools_db(db_engine: Engine, database_url: str) -> str:
    with db_engine.begin() as conn:
        add_tool_execution(
            conn,
            at=AT,
            tool_name="web.fetch",
            server_name="web",
            agent_name="research",
            duration_ms=900,
        )
        add_tool_execution(
            conn,
            at=AT,
            tool_name="web.fetch",
            server_name="web",
            status="timeout",
            error_message="timed out",
            duration_ms=30_000,
        )
        add_tool_execution(conn, at=AT, tool_name="db.query", server_name="postgres")
    return database_url


def test_list_and_stats_json_csv_and_tables(
    tools_db: str, db_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", tools_db]
    out = tmp_path / "tools.csv"
    assert run(["tools", "list", *WINDOW, "--json", "--csv", str(out), *db]) == 0
    data = json.loads(capsys.readouterr().out)
    with db_engine.connect() as conn:
        assert data == _plain(tool_list(conn, PERIOD).to_dict())
        stats = _plain(tool_stats(conn, PERIOD).to_dict())
    assert data["tools"]["rows"][0]["tool"] == "web.fetch"
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == LIST_COLUMNS and len(rows) == 2
    stats_csv = tmp_path / "stats.csv"
    assert run(["tools", "stats", *WINDOW, "--json", "--csv", str(stats_csv), *db]) == 0
    assert json.loads(capsys.readouterr().out) == stats
    with stats_csv.open() as handle:
        stat_rows = list(csv.DictReader(handle))
    assert tuple(stat_rows[0]) == STATS_CSV_COLUMNS
    success = next(row for row in stat_rows if row["name"] == "success_rate")
    assert (success["current"], success["change_unit"]) == ("0.666667", "pts")
    assert run(["tools", "show", "web.fetch", *WINDOW, "--json", *db]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tool"] == "web.fetch"
    assert shown["top_errors"]["rows"] == [
        {"error": "timed out", "executions": 1, "share_of_all": 1.0}
    ]
    for command in (["list"], ["stats"], ["show", "db.query"], ["trends", "--tool", "web.fetch"]):
        assert run(["tools", *command, *WINDOW, *db]) == 0
    printed = capsys.readouterr().out
    assert "Executions by status" in printed and "web.fetch" in printed


def test_trends_json_and_csv(
    tools_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", tools_db]
    out = tmp_path / "trends.csv"
    args = ["tools", "trends", *WINDOW, "--group-by", "hour", "--json", "--csv", str(out), *db]
    assert run(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["group_by"] == "hour" and data["tool"] is None
    assert [row["executions"] for row in data["series"] if row["executions"]] == [3]
    lines = out.read_text().splitlines()
    assert lines[0] == (
        "bucket,executions,succeeded,failed,timeouts,success_rate,avg_duration_ms,p95_duration_ms"
    )
    assert len(lines) == 25


def test_bad_input_exits_2_naming_the_field(
    tools_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", tools_db]
    assert run(["tools", "show", "web.nothing", *db]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "NAME" in err and "db.query, web.fetch" in err
    assert run(["tools", "trends", "--tool", "web.nothing", *db]) == 2
    assert run(["tools", "trends", "--group-by", "minute", *db]) == 2
    assert run(["tools", "stats", "--until", "yesterday", *db]) == 2
    assert "--until" in capsys.readouterr().err
    assert run(["tools", "list", "--limit", "abc", *db]) == 2
    assert "Traceback" not in capsys.readouterr().err
