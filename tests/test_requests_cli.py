"""``sp-analytics requests ...`` through the CLI: --json is exactly the report's dict, --csv
writes its rows, filters apply, and bad flags exit 2 naming the flag."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.reports.requests import model_usage, request_stats, request_trends
from systemprompt_analytics.reports.requests_filter import RequestFilter
from systemprompt_analytics.reports.requests_list import request_list
from tests.test_requests_reports import PERIOD, add_fixture

WINDOW_FLAGS = ["--since", PERIOD.since.isoformat(), "--until", PERIOD.until.isoformat()]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith(
            ("SP_ANALYTICS_REQUIRE", "SP_ANALYTICS_TEST")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert run(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def as_json(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def test_json_is_exactly_the_reports_dict(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with db_engine.begin() as conn:
        add_fixture(conn)
    db = [*WINDOW_FLAGS, "--database-url", database_url]
    with db_engine.connect() as conn:
        stats = request_stats(conn, PERIOD, RequestFilter(include_synthetic=True)).to_dict()
        models = model_usage(conn, PERIOD, RequestFilter(), 2).to_dict()
        trends = request_trends(conn, PERIOD, RequestFilter(), "hour").to_dict()
        listed = request_list(conn, PERIOD, RequestFilter(user_id="u1", model="gpt-4o"), 5)
    assert cli_json(capsys, "requests", "stats", "--include-synthetic", "--json", *db) == (
        as_json(stats)
    )
    assert cli_json(capsys, "requests", "models", "--limit", "2", "--json", *db) == as_json(models)
    assert cli_json(capsys, "requests", "trends", "--group-by", "hour", "--json", *db) == (
        as_json(trends)
    )
    found = cli_json(capsys, "requests", "list", "--user", "u1", "--model", "gpt-4o",
                     "--limit", "5", "--json", *db)  # fmt: skip
    assert found == as_json(listed.to_dict())
    assert [row["status"] for row in found["rows"]] == ["error"]  # c: u1 and gpt-4o


def test_csv_and_tables(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with db_engine.begin() as conn:
        add_fixture(conn)
    db = [*WINDOW_FLAGS, "--database-url", database_url]

    def read(*argv: str) -> list[dict[str, str]]:
        path = tmp_path / "out.csv"
        assert run([*argv, "--csv", str(path), *db]) == 0
        with path.open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    stats = {(row["section"], row["metric"]): row for row in read("requests", "stats")}
    assert stats[("latency_ms", "p95")]["current"] == "880.0"
    assert stats[("requests", "error_rate")]["change_unit"] == "pts"
    models = read("requests", "models", "--limit", "1")
    assert [row["row_type"] for row in models] == ["model", "rest", "total"]
    assert models[2]["requests"] == "5"
    listed = read("requests", "list", "--status", "error")
    assert [row["model"] for row in listed] == ["gpt-4o"]
    assert listed[0]["error_message"] == "429 Too Many Requests"
    trends = read("requests", "trends", "--group-by", "hour")
    assert len(trends) == 24 and sum(int(row["requests"]) for row in trends) == 5
    capsys.readouterr()
    for command in ("stats", "models", "list", "trends"):
        assert run(["requests", command, *db]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Latency p95" in out and "880 ms" in out
    assert "claude-sonnet-4-5" in out and "429 Too Many Requests" in out
    assert "linear interpolation" in out


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["requests", "stats", "--since", "banana"], "--since"),
        (["requests", "trends", "--group-by", "fortnight"], "--group-by"),
        (["requests", "list", "--limit", "0"], "--limit"),
        (["requests", "list", "--model", "   "], "--model"),
        (["requests", "list", "--status", "x" * 17], "--status"),
        (["requests", "list", "--user", "bad\tuser"], "--user"),
        (["requests", "list", "--session", ""], "--session"),
        (["requests", "list", "--provider", "p" * 65], "--provider"),
        (["requests", "models", "--limit", "10001"], "--limit"),
        (["requests", "list", "--bogus"], "--bogus"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    database_url: str, capsys: pytest.CaptureFixture[str], argv: list[str], flag: str
) -> None:
    assert run([*argv, "--database-url", database_url]) == 2
    assert flag in capsys.readouterr().err
