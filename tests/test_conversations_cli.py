"""``sp-analytics conversations …`` end to end: --json, --csv, tables and bad flags."""

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
from systemprompt_analytics.reports.conversations import (
    CONVERSATION_COLUMNS,
    conversation_stats,
)
from tests.factories import add_conversation

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
WINDOW = ["--since", "2026-11-27", "--until", "2026-11-28"]
PERIOD = Period(datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def test_stats_list_and_trends(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db_engine.begin() as conn:
        short = add_conversation(conn, at=AT, messages=4, title="Short chat")
        longest = add_conversation(conn, at=AT, messages=12, agent_name="support")
    db = ["--database-url", database_url]
    assert run(["conversations", "stats", *WINDOW, "--json", *db]) == 0
    data = json.loads(capsys.readouterr().out)
    with db_engine.connect() as conn:
        assert data == _plain(conversation_stats(conn, PERIOD).to_dict())
    assert data["figures"]["avg_messages_per_conversation"]["current"] == 8.0
    out = tmp_path / "list.csv"
    args = ["conversations", "list", *WINDOW, "--sort", "messages", "--csv", str(out)]
    assert run([*args, "--json", *db]) == 0
    listed = json.loads(capsys.readouterr().out)["conversations"]
    assert [row["id"] for row in listed["rows"]] == [longest, short]
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CONVERSATION_COLUMNS and rows[0]["messages"] == "12"
    assert run(["conversations", "trends", *WINDOW, "--group-by", "day", "--json", *db]) == 0
    series = json.loads(capsys.readouterr().out)["series"]
    assert series == [{"bucket": "2026-11-27T00:00:00+00:00", "conversations": 2, "messages": 16}]
    for command in ("stats", "list", "trends"):
        assert run(["conversations", command, *WINDOW, *db]) == 0
    assert "Short chat" in capsys.readouterr().out


def test_bad_flags_exit_2(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database-url", database_url]
    assert run(["conversations", "list", "--sort", "oldest", *db]) == 2
    assert "oldest" in capsys.readouterr().err
    assert run(["conversations", "trends", "--group-by", "year", *db]) == 2
    assert run(["conversations", "stats", "--since", "7x", *db]) == 2
    assert "--since" in capsys.readouterr().err
