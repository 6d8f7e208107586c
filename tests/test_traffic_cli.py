"""traffic sources|pages|navigation|geo|devices through the CLI: JSON, CSV and bad flags."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from tests.factories import add_request, add_session


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def seed(engine: Engine) -> None:
    """Six human sessions (google.com 3, direct 2, t.co 1) and one bot, two hours ago."""
    at = datetime.now(UTC) - timedelta(hours=2)
    with engine.begin() as conn:
        for source, channel, landing, country in (
            ("google.com", "search", "/docs", "DE"), ("google.com", "search", "/docs", "DE"),
            ("google.com", "search", "/", "US"), (None, "direct", "/", "US"),
            (None, "direct", "/pricing", "US"), ("t.co", "social", "/", "FR"),
        ):  # fmt: skip
            session_id = add_session(conn, at=at, referrer_source=source, channel=channel,
                                     landing_page=landing, country=country, page_view_count=2,
                                     device_type="desktop")  # fmt: skip
            add_request(conn, session_id, at=at, path=landing)
            add_request(conn, session_id, at=at + timedelta(seconds=5), path="/pricing/")
        add_session(conn, at=at, is_bot=True, referrer_source="google.com", channel="search")


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert run([*args, "--json"]) == 0, capsys.readouterr().err
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_sources_json_shares_of_all_with_limit(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(db_engine)
    db = ["--database-url", database_url]
    data = run_json(capsys, "traffic", "sources", "--limit", "1", *db)
    assert data["totals"]["sessions"] == 6
    assert data["by_channel"]["rows"][0]["channel"] == "search"
    assert data["by_channel"]["rows"][0]["share_of_all"] == 0.5
    assert data["by_channel"]["total_rows"] == 3
    assert data["by_source"]["rows"][0]["source"] == "google.com"
    everyone = run_json(capsys, "traffic", "sources", "--include-bots", *db)
    assert (everyone["totals"]["sessions"], everyone["totals"]["bot_sessions"]) == (7, 1)
    assert everyone["filters"]["include_bots"] is True


def test_pages_navigation_geo_devices_json(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(db_engine)
    db = ["--database-url", database_url]
    pages = run_json(capsys, "traffic", "pages", "--source", "WWW.Google.com", *db)
    assert pages["filters"]["source"] == "google.com"
    assert [(r["path"], r["sessions"]) for r in pages["landing_pages"]["rows"]] == [
        ("/docs", 2),
        ("/", 1),
    ]
    social = run_json(capsys, "traffic", "pages", "--channel", "social", *db)
    assert [r["path"] for r in social["landing_pages"]["rows"]] == ["/"]
    nav = run_json(capsys, "traffic", "navigation", "--to", "/pricing/", *db)
    assert nav["totals"] == {"transitions": 5, "sessions": 5}  # /pricing → /pricing is a reload
    assert nav["filters"]["to"] == "/pricing"
    geo = run_json(capsys, "traffic", "geo", "--by", "country", *db)
    assert [(r["country"], r["sessions"]) for r in geo["locations"]["rows"]] == [
        ("US", 3),
        ("DE", 2),
        ("FR", 1),
    ]
    devices = run_json(capsys, "traffic", "devices", *db)
    assert devices["by_device_type"]["rows"][0] == {
        **devices["by_device_type"]["rows"][0],
        "device_type": "desktop",
        "sessions": 6,
        "share_of_all": 1.0,
    }


def test_csv_and_tables(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(db_engine)
    db = ["--database-url", database_url]
    out = tmp_path / "sources.csv"
    assert run(["traffic", "sources", "--csv", str(out), *db]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {row["list"] for row in rows} == {"by_channel", "by_source"}
    assert sum(int(row["sessions"]) for row in rows if row["list"] == "by_channel") == 6
    tables = capsys.readouterr().out
    assert "Channels (3 of 3)" in tables and "google.com" in tables
    nav_csv = tmp_path / "nav.csv"
    assert run(["traffic", "navigation", "--csv", str(nav_csv), *db]) == 0
    header = nav_csv.read_text(encoding="utf-8").splitlines()[0]
    assert header == "from_path,from_title,to_path,to_title,transitions,share_of_all,sessions"
    for command in ("pages", "navigation", "geo", "devices"):
        assert run(["traffic", command, *db]) == 0
    assert "Transitions" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["traffic", "pages", "--channel", "organic"], "--channel"),
        (["traffic", "sources", "--source", "not a host"], "--source"),
        (["traffic", "navigation", "--from", "pricing"], "--from"),
        (["traffic", "navigation", "--to", "ftp://x/y"], "--to"),
        (["traffic", "geo", "--by", "planet"], "--by"),
        (["traffic", "devices", "--limit", "0"], "--limit"),
        (["traffic", "sources", "--since", "banana"], "--since"),
        (["traffic", "pages", "--since", "1h", "--until", "2h"], "--since"),
        (["traffic", "sources", "--bogus"], "--bogus"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    args: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(args) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert names in err
    assert "Traceback" not in err


def test_traffic_without_a_subcommand_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["traffic"]) == 2
    out = capsys.readouterr().out
    for command in ("sources", "pages", "navigation", "geo", "devices", "bots"):
        assert command in out
