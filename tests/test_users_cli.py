"""``sp-analytics users …`` end to end: --json, --csv, tables and bad flags."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.reports.users import STATS_CSV_COLUMNS, TOP_COLUMNS
from tests.factories import add_ai_request, add_session, add_user

UNTIL = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")


def test_stats_and_top(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = UNTIL - timedelta(hours=2)
    with db_engine.begin() as conn:
        add_user(conn, id="alice", at=UNTIL - timedelta(days=3))
        add_user(conn, id="anon", at=at, is_anonymous=True)
        add_session(conn, at=at, user_id="alice")
        add_ai_request(conn, at=at, user_id="alice", cost_microdollars=3_000_000)
        add_ai_request(conn, at=at, user_id="anon", cost_microdollars=1_000_000)
        add_ai_request(conn, at=at, user_id="anon", cost_microdollars=None, is_priced=False)
    db = ["--database-url", database_url]
    out = tmp_path / "users.csv"
    assert run(["users", "stats", "--until", "2026-11-28", "--json", "--csv", str(out), *db]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"] == {"users": 2, "registered": 1, "anonymous": 1}
    assert data["windows"]["24h"]["active_users"]["current"] == 1
    assert data["windows"]["7d"]["new_users"] == {"current": 2, "previous": 0, "change_pct": None}
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == STATS_CSV_COLUMNS and len(rows) == 3 + 3 * 3
    window = ["--since", "2026-11-27", "--until", "2026-11-28"]
    top_csv = tmp_path / "top.csv"
    assert run(["users", "top", *window, "--json", "--csv", str(top_csv), *db]) == 0
    top = json.loads(capsys.readouterr().out)
    assert [row["user_id"] for row in top["users"]["rows"]] == ["anon", "alice"]
    assert top["users"]["rows"][0]["unpriced_requests"] == 1
    with top_csv.open() as handle:
        assert tuple(next(csv.DictReader(handle))) == TOP_COLUMNS
    assert run(["users", "top", *window, "--by", "cost", "--limit", "1", "--json", *db]) == 0
    by_cost = json.loads(capsys.readouterr().out)
    assert [row["user_id"] for row in by_cost["users"]["rows"]] == ["alice"]
    assert by_cost["users"]["rows"][0]["share_of_cost"] == 0.75
    assert run(["users", "stats", *db]) == 0
    assert run(["users", "top", *window, *db]) == 0
    printed = capsys.readouterr().out
    assert "Active users" in printed and "alice" in printed


def test_bad_flags_exit_2(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database-url", database_url]
    assert run(["users", "top", "--by", "tokens", *db]) == 2
    assert "tokens" in capsys.readouterr().err
    assert run(["users", "stats", "--until", "soon", *db]) == 2
    assert "--until" in capsys.readouterr().err
    assert run(["users", "stats", "--since", "7d", *db]) == 2  # the windows are fixed
