"""Running the behavioural and scanner detectors over stored data, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.ingest.writer import Batch
from systemprompt_analytics.jobs.behavioral import BehavioralScoring
from systemprompt_analytics.storage.schema import request_events, sessions
from tests.factories import add_request, add_session
from tests.logsynth import json_line

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36"
)


def _crawler(conn: Connection, pages: int = 60) -> str:
    session_id = add_session(conn, at=T0, browser="Chrome", browser_version="141.0")
    for index in range(pages):
        add_request(conn, session_id, at=T0 + timedelta(seconds=2 * index), path=f"/p/{index:03d}")
    return session_id


def _reader(conn: Connection) -> str:
    session_id = add_session(conn, at=T0, browser="Chrome", browser_version="141.0")
    offsets = [0, 41, 130, 171, 260]
    for index, offset in enumerate(offsets):
        add_request(conn, session_id, at=T0 + timedelta(seconds=offset), path=f"/p/{index * 7:03d}")
    return session_id


def _row(engine: Engine, session_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        return dict(
            conn.execute(select(sessions).where(sessions.c.id == session_id)).one()._mapping
        )


def test_crawler_with_a_browser_user_agent_is_caught_and_a_reader_is_not(
    db_engine: Engine,
) -> None:
    with db_engine.begin() as conn:
        crawler = _crawler(conn)
        reader = _reader(conn)
    scoring = BehavioralScoring(db_engine)
    results = scoring.score_sessions([crawler, reader, "sess_missing"])
    assert len(results) == 2
    bot = _row(db_engine, crawler)
    assert bot["is_behavioral_bot"] and int(bot["behavioral_score"]) >= 50  # type: ignore[call-overload]
    fired = {signal["signal"] for signal in bot["behavioral_signals"]}  # type: ignore[attr-defined]
    assert {"high_request_count", "sequential_navigation", "regular_timing"} <= fired
    assert str(bot["bot_reason"]).startswith("behaviour")
    human = _row(db_engine, reader)
    assert not human["is_behavioral_bot"] and human["bot_reason"] is None
    assert int(human["behavioral_score"]) < 50  # type: ignore[call-overload]


def test_probe_paths_make_a_scanner_and_a_user_agent_reason_is_kept(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        prober = add_session(conn, at=T0)
        for offset, path in enumerate(["/.env", "/wp-login.php", "/"]):
            add_request(conn, prober, at=T0 + timedelta(seconds=offset), path=path,
                        status_code=404 if path != "/" else 200)  # fmt: skip
        stray = add_session(conn, at=T0)  # one mistyped /wp-admin is not a scan
        add_request(conn, stray, at=T0, path="/wp-admin", status_code=404)
        add_request(conn, stray, at=T0 + timedelta(seconds=30), path="/docs")
        named = add_session(conn, at=T0, is_bot=True, bot_reason="crawler list: Googlebot")
        add_request(conn, named, at=T0, path="/.env", status_code=404)
        add_request(conn, named, at=T0, path="/.git/config", status_code=404)
    BehavioralScoring(db_engine).score_sessions([prober, stray, named])
    scanner = _row(db_engine, prober)
    assert scanner["is_scanner"] and "probe" in str(scanner["bot_reason"])
    assert not _row(db_engine, stray)["is_scanner"]
    googlebot = _row(db_engine, named)
    assert googlebot["is_scanner"] and googlebot["bot_reason"] == "crawler list: Googlebot"


def test_flushes_schedule_sessions_after_the_debounce(db_engine: Engine) -> None:
    clock = [1_000.0]
    with db_engine.begin() as conn:
        crawler = _crawler(conn, pages=10)
    scoring = BehavioralScoring(db_engine, debounce=30, clock=lambda: clock[0])
    batch = Batch()
    batch.rows[request_events] = [
        {"session_id": crawler, "kind": "page"},
        {"session_id": "sess_asset_only", "kind": "asset"},  # assets never schedule scoring
    ]
    scoring.on_flush(batch)
    assert scoring.pending == 1
    assert scoring.score_due() == 0  # still inside the debounce
    clock[0] += 31
    assert scoring.score_due() == 1
    assert scoring.pending == 0


def test_import_log_writes_verdicts_per_session(
    db_engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    lines = [
        json_line(timestamp=(T0 + timedelta(seconds=2 * i)).isoformat(), ip="203.0.113.9",
                  path=f"/p/{i:03d}", status=200, user_agent=CHROME, sid="crawl")
        for i in range(60)
    ] + [
        json_line(timestamp=(T0 + timedelta(seconds=s)).isoformat(), ip="203.0.113.10",
                  path=p, status=200, user_agent=CHROME, sid="reader")
        for s, p in ((0, "/"), (50, "/pricing"), (170, "/docs"))
    ]  # fmt: skip
    log = tmp_path / "app.jsonl"
    log.write_text("\n".join(lines))
    out = tmp_path / "verdicts.jsonl"
    code = run(["import-log", str(log), "--format", "jsonl", "--session-field", "sid",
                "--verdicts", str(out), "--database-url", database_url])  # fmt: skip
    assert code == 0
    verdicts = {v["session_key"]: v for v in map(json.loads, out.read_text().splitlines())}
    assert set(verdicts) == {"crawl", "reader"}
    assert list(verdicts["crawl"]) == [
        "session_key", "session_id", "is_bot", "is_ai_crawler", "is_scanner",
        "is_behavioral_bot", "behavioral_score", "signals", "requests", "page_views",
    ]  # fmt: skip
    assert verdicts["crawl"]["is_behavioral_bot"] and verdicts["crawl"]["requests"] == 60
    assert "sequential_navigation" in verdicts["crawl"]["signals"]
    assert not verdicts["reader"]["is_behavioral_bot"] and verdicts["reader"]["page_views"] == 3
