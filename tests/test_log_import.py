"""Importing access logs through the pipeline, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.storage.schema import request_events, sessions
from tests.logsynth import combined_log, json_line


def test_summary_counts_match_the_file(
    db_engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    log = combined_log(3_000, seed=3)
    path = tmp_path / "access.log"
    path.write_text("\n".join(log.lines) + "\n")
    code = run(["import-log", str(path), "--json", "--database-url", database_url])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    kinds = list(log.visitors.values())
    assert summary["lines"] == len(log.lines)
    assert summary["requests"] == log.requests
    assert summary["malformed"] == log.malformed
    assert summary["sessions"] == len(log.visitors)
    assert summary["human_sessions"] == kinds.count("human")
    for category in ("search", "ai_crawler", "scanner", "http_library"):
        assert summary["bot_sessions_by_category"].get(category, 0) == kinds.count(category)
    assert len(summary["malformed_examples"]) == min(5, log.malformed) == 3
    with db_engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(request_events)).scalar() == log.requests
        )
        assert conn.execute(select(func.count()).select_from(sessions)).scalar() == len(
            log.visitors
        )
        scanners = conn.execute(select(func.count()).where(sessions.c.is_scanner)).scalar()
    assert scanners == kinds.count("scanner")


def test_session_field_groups_lines_and_bad_lines_are_reported(
    db_engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    lines = [
        json_line(
            timestamp="2026-11-27T10:05:00Z",
            ip="203.0.113.1",
            path="/b",
            status=200,
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0",
            sid="s1",
        ),
        json_line(
            timestamp="2026-11-27T10:00:00Z",
            ip="203.0.113.2",
            path="/a",
            status=200,
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0",
            sid="s1",
        ),
        "{not json",
        json_line(timestamp="2026-11-27T10:01:00Z", path="/c", status=500, sid="s2"),
    ]
    path = tmp_path / "app.jsonl"
    path.write_text("\n".join(lines))
    code = run(
        [
            "import-log",
            str(path),
            "--format",
            "jsonl",
            "--session-field",
            "sid",
            "--database-url",
            database_url,
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "line 3" in captured.err
    with db_engine.connect() as conn:
        rows = {r.request_count: r for r in conn.execute(select(sessions))}
    assert set(rows) == {2, 1}
    first = rows[2]
    assert first.landing_page == "/a"  # lines replayed in timestamp order
    assert rows[1].error_count == 1


def test_bad_flags_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["import-log", str(tmp_path / "missing.log")]) == 2
    assert "FILE" in capsys.readouterr().err
    path = tmp_path / "x.log"
    path.write_text("")
    assert run(["import-log", str(path), "--format", "w3c"]) == 2
    assert run(["import-log", str(path), "--session-field", "sid"]) == 2
