"""The CLI end to end through its entry point: exit codes, messages, JSON and CSV output."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.cli.render import session_label
from systemprompt_analytics.ingest.identity import new_session_id
from tests.factories import add_ai_request, add_request, add_session

OVERVIEW_KEYS = {
    "period",
    "sessions",
    "traffic",
    "requests",
    "costs",
    "tools",
    "agents",
    "conversations",
}


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")


def test_overview_rejects_a_bad_since_with_exit_2_and_the_accepted_forms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["overview", "--since", "banana"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "--since" in err
    assert "30m, 24h, 7d, 2w" in err
    assert "Traceback" not in err


def test_unknown_flag_and_bad_integer_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["overview", "--sinse", "7d"]) == 2
    assert run(["demo", "--days", "0"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_invalid_setting_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_PRIVACY_MODE", "sometimes")
    assert run(["overview"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "SP_ANALYTICS_PRIVACY_MODE" in err
    assert "off, truncate or drop" in err


def test_config_masks_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_API_TOKEN", "tok-very-secret")
    monkeypatch.setenv("SP_ANALYTICS_SECRET_KEY", "key-very-secret")
    monkeypatch.setenv("SP_ANALYTICS_DATABASE_URL", "postgresql://app:pg-very-secret@db/analytics")
    assert run(["config", "--json"]) == 0
    out = capsys.readouterr().out
    assert "very-secret" not in out
    data = json.loads(out)
    assert data["api_token"] == {"value": "********", "source": "env"}
    assert data["database_url"]["value"] == "postgresql://app:********@db/analytics"
    assert data["session_timeout_minutes"] == {"value": 30, "source": "default"}
    assert run(["config"]) == 0
    assert "very-secret" not in capsys.readouterr().out


def test_migrate_twice_changes_nothing_the_second_time(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The shared test database may already be at head; a fresh SQLite file shows both steps.
    url = database_url if database_url.startswith("postgresql") else "sqlite:///./m.db"
    assert run(["migrate", "--database-url", url]) == 0
    first = capsys.readouterr().out
    assert run(["migrate", "--database-url", url]) == 0
    second = capsys.readouterr().out
    assert "nothing to do" in second
    if url.startswith("sqlite"):
        assert "Migrated" in first


def test_unreachable_database_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["overview", "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
    assert code == 1
    err = capsys.readouterr().err
    assert "Database error" in err
    assert "Traceback" not in err


def test_overview_json_and_csv(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recent = datetime.now(UTC) - timedelta(hours=2)
    with db_engine.begin() as conn:
        session_id = add_session(conn, at=recent)
        add_request(conn, session_id, at=recent)
        add_ai_request(conn, at=recent, cost_microdollars=1_250_000)
    out_csv = tmp_path / "overview.csv"
    code = run(
        [
            "overview",
            "--since",
            "24h",
            "--json",
            "--csv",
            str(out_csv),
            "--database-url",
            database_url,
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= OVERVIEW_KEYS
    assert data["sessions"]["created"]["current"] == 1
    assert data["traffic"]["page_views"]["current"] == 1
    assert data["costs"]["total_usd"]["current"] == 1.25
    with out_csv.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["section", "metric", "current", "previous", "change", "change_unit"]
    assert {"section": "costs", "metric": "total_usd"}.items() <= next(
        r for r in rows if r["metric"] == "total_usd"
    ).items()
    # The table rendering runs too.
    assert run(["overview", "--since", "7d", "--database-url", database_url]) == 0
    assert "Human sessions started" in capsys.readouterr().out


def test_overview_on_a_brand_new_sqlite_file_migrates_it_and_reports_zeros(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["overview", "--json"]) == 0  # default sqlite:///./analytics.db
    data = json.loads(capsys.readouterr().out)
    assert data["sessions"]["created"]["current"] == 0
    assert Path("analytics.db").is_file()


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert "sp-analytics" in capsys.readouterr().out
    assert run(["overview", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "--since" in help_text
    assert "--csv" in help_text


def test_help_reflows_paragraphs_and_shows_every_character(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Docstring paragraphs wrap at the terminal's width, not where the source broke them;
    flags show no ``<bool>`` type; brackets and angle brackets in help texts are kept."""
    monkeypatch.setenv("COLUMNS", "160")
    assert run(["import-log", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "scanners) and grouped into sessions. Malformed lines" in help_text
    assert "--json " in help_text and "<bool>" not in help_text
    assert run(["funnels", "create", "--help"]) == 0
    assert "'Signup=event:signup[plan=pro]'" in capsys.readouterr().out
    assert run(["throttle", "reset", "--help"]) == 0
    assert "fingerprint:HASH" in capsys.readouterr().out


def test_tables_tell_sessions_of_the_same_minute_apart(
    db_engine: Engine,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Session ids begin with their start time: the tables must show the part that differs.
    monkeypatch.setenv("COLUMNS", "80")
    started = datetime.now(UTC) - timedelta(minutes=2)
    ids = [new_session_id(started.timestamp()) for _ in range(3)]
    with db_engine.begin() as conn:
        for session_id in ids:
            add_session(conn, id=session_id, at=started, ended_at=None, is_bot=True,
                        bot_reason="crawler list: Googlebot", bot_category="search")  # fmt: skip
    db = ["--database-url", database_url]
    for command in (["sessions", "live", "--include-bots"], ["bots", "sessions", "--since", "1d"]):
        assert run([*command, *db]) == 0
        table = capsys.readouterr().out
        assert all(session_label(session_id) in table for session_id in ids), table
        assert len({session_label(session_id) for session_id in ids}) == 3


def test_report_commands_json_and_bad_group_by(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recent = datetime.now(UTC) - timedelta(minutes=5)
    with db_engine.begin() as conn:
        add_session(conn, at=recent, ended_at=None, landing_page="/", page_view_count=1)
        add_session(conn, at=recent, is_bot=True, bot_reason="crawler list: Googlebot")
    db = ["--database-url", database_url]
    assert run(["sessions", "stats", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)["created"]["current"] == 1
    assert run(["sessions", "trends", "--since", "1d", "--group-by", "hour", "--json", *db]) == 0
    series = json.loads(capsys.readouterr().out)["series"]
    assert len(series) in (24, 25) and sum(row["sessions"] for row in series) == 1
    assert run(["sessions", "live", "--json", *db]) == 0
    assert len(json.loads(capsys.readouterr().out)["sessions"]) == 1
    assert run(["traffic", "bots", "--json", *db]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["bot_sessions"] == 1
    assert run(["bots", "sessions", "--json", *db]) == 0
    assert len(json.loads(capsys.readouterr().out)["sessions"]) == 1
    out = tmp_path / "trend.csv"
    assert run(["sessions", "trends", "--csv", str(out), *db]) == 0
    assert out.read_text().splitlines()[0] == "bucket,sessions,visitors,bot_sessions,converted"
    assert run(["sessions", "trends", "--group-by", "fortnight", *db]) == 2
    assert "fortnight" in capsys.readouterr().err
