"""``sp-analytics costs ...`` through the CLI: --json is exactly the report's dict, --csv writes
its rows, the default window widens and says so, and bad flags exit 2 naming the flag."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.reports.costs import cost_summary, cost_trends
from systemprompt_analytics.reports.costs_breakdown import cost_breakdown, unpriced_models
from systemprompt_analytics.reports.costs_window import CostWindow
from systemprompt_analytics.reports.requests_filter import RequestFilter
from tests.factories import add_ai_request
from tests.test_costs_reports import PERIOD, add_fixture

WINDOW_FLAGS = ["--since", PERIOD.since.isoformat(), "--until", PERIOD.until.isoformat()]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith(
            ("SP_ANALYTICS_REQUIRE", "SP_ANALYTICS_TEST")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")  # wide tables: whole names in the text assertions
    monkeypatch.chdir(tmp_path)


def as_json(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert run(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_json_is_exactly_the_reports_dict(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with db_engine.begin() as conn:
        add_fixture(conn)
    window = CostWindow(PERIOD, default=False)
    db = ["--database-url", database_url]
    with db_engine.connect() as conn:
        expected = {
            "summary": cost_summary(conn, window, RequestFilter()).to_dict(),
            "trends": cost_trends(conn, window, RequestFilter(), "hour").to_dict(),
            "breakdown": cost_breakdown(conn, window, RequestFilter(), "agent", 1).to_dict(),
            "unpriced": unpriced_models(conn, window, RequestFilter(True)).to_dict(),
        }
    assert cli_json(capsys, "costs", "summary", "--json", *WINDOW_FLAGS, *db) == as_json(
        expected["summary"]
    )
    trends = cli_json(capsys, "costs", "trends", "--json", *WINDOW_FLAGS, *db)
    assert trends == as_json(expected["trends"]) and trends["group_by"] == "hour"
    breakdown = cli_json(
        capsys, "costs", "breakdown", "--by", "agent", "--limit", "1", "--json", *WINDOW_FLAGS, *db
    )
    assert breakdown == as_json(expected["breakdown"])
    unpriced = cli_json(
        capsys, "costs", "unpriced", "--include-synthetic", "--json", *WINDOW_FLAGS, *db
    )
    assert unpriced == as_json(expected["unpriced"])


def test_csv_files_hold_the_rows(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db_engine.begin() as conn:
        add_fixture(conn)
    db = ["--database-url", database_url]

    def read(name: str, *argv: str) -> list[dict[str, str]]:
        path = tmp_path / f"{name}.csv"
        assert run([*argv, "--csv", str(path), *WINDOW_FLAGS, *db]) == 0
        with path.open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    breakdown = read("breakdown", "costs", "breakdown", "--by", "user", "--limit", "2")
    assert [row["row_type"] for row in breakdown] == ["group", "group", "rest", "total"]
    assert [row["user_id"] for row in breakdown[:2]] == ["u1", "u2"]
    assert breakdown[2]["groups"] == "1" and breakdown[2]["cost_microdollars"] == ""
    assert breakdown[3]["cost_microdollars"] == "6000"
    summary = {row["metric"]: row for row in read("summary", "costs", "summary")}
    assert summary["cost_microdollars"]["current"] == "6000"
    assert summary["cost_microdollars"]["change_pct"] == "300.0"
    trends = read("trends", "costs", "trends", "--group-by", "day")
    assert sum(int(row["requests"]) for row in trends) == 4
    unpriced = read("unpriced", "costs", "unpriced")
    assert [(row["row_type"], row["model"]) for row in unpriced] == [
        ("model", "acme-llm-2"), ("rest", ""), ("total", "")]  # fmt: skip
    assert "Wrote" in capsys.readouterr().err


def test_tables_say_which_window_was_used_and_that_unpriced_is_not_zero(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    with db_engine.begin() as conn:
        add_ai_request(conn, now - timedelta(days=3), cost_microdollars=2_500_000)
        add_ai_request(conn, now - timedelta(days=3), provider="acme", model="acme-llm-2",
                       cost_microdollars=None, is_priced=False)  # fmt: skip
    db = ["--database-url", database_url]
    assert run(["costs", "summary", *db]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "No AI requests in the last 24 h: widened to the last 7 d." in out
    assert "$2.50" in out and "1 unpriced requests" in out
    summary = cli_json(capsys, "costs", "summary", "--json", *db)
    assert summary["window"]["used"] == "7d" and summary["window"]["widened"] is True
    assert summary["period"]["seconds"] == 7 * 86_400
    # An explicit --since is never widened, even when empty.
    explicit = cli_json(capsys, "costs", "summary", "--since", "24h", "--json", *db)
    assert explicit["window"]["widened"] is False and explicit["requests"]["current"] == 0
    assert run(["costs", "breakdown", "--by", "model", *db]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "unpriced" in out and "acme-llm-2" in out
    trends = cli_json(capsys, "costs", "trends", "--json", *db)
    assert trends["group_by"] == "day" and len(trends["series"]) == 8  # 7 days, floored start
    for command in (["trends"], ["unpriced"]):
        assert run(["costs", *command, *db]) == 0
        assert "widened to the last 7 d" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["costs", "summary", "--since", "banana"], "--since"),
        (["costs", "summary", "--until", "banana"], "--until"),
        (["costs", "trends", "--group-by", "fortnight"], "--group-by"),
        (["costs", "breakdown", "--by", "team"], "--by"),
        (["costs", "breakdown", "--limit", "0"], "--limit"),
        (["costs", "unpriced", "--limit", "x"], "--limit"),
        (["costs", "summary", "--since", "2026-11-02", "--until", "2026-11-01"], "--since"),
        (["costs", "summary", "--bogus"], "--bogus"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    database_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], flag: str
) -> None:
    assert run([*argv, "--database-url", database_url]) == 2
    assert flag in capsys.readouterr().err


def test_group_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["costs", "--help"]) == 0
    out = capsys.readouterr().out
    for command in ("summary", "trends", "breakdown", "unpriced"):
        assert command in out
