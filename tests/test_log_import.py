"""Importing access logs through the pipeline, on both databases."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.config import load_settings
from systemprompt_analytics.ingest.log_formats import LogLineError, parse_line
from systemprompt_analytics.ingest.log_import import (
    ImportSummary,
    import_records,
    looks_binary,
    split_log,
)
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
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


NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
GOOD = json_line(
    timestamp="2026-11-27T10:00:00Z", ip="203.0.113.7", path="/ok", status=200, bytes=10,
    user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0",
)  # fmt: skip
COMBINED_LINE = '203.0.113.9 - - [27/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"'
BAD_JSON_LINES = [
    '{"timestamp":"2026-11-27T10:00:01Z","path":"/b","status":200,"bytes":99999999999999999999999}',
    '{"timestamp":"2026-11-27T10:00:01Z","path":"/\\ud800","status":200}',
    '{"timestamp":"2026-11-27T10:00:01Z","path":"/\\u0000","status":200}',
    '{"timestamp":"2026-11-27T10:00:01Z","path":"/","status":1e400}',
    '{"timestamp":"2026-11-27T10:00:01Z","path":"/","status":200,"bytes":1e400}',
    '{"timestamp":"0001-01-01T00:00:00+01:00","path":"/","status":200}',
    '{"timestamp":"9999-12-31T23:59:59Z","path":"/","status":200}',
    '{"timestamp":"0001-01-01T00:00:00Z","path":"/","status":200}',
    '{"timestamp":"2099-01-01T00:00:00Z","path":"/","status":200}',
    '{"timestamp":"2026-11-27T10:00:01Z","ip":"not-an-ip","path":"/","status":200}',
]


def test_unstorable_values_are_malformed_and_the_lines_around_them_kept(
    db_engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([GOOD, *BAD_JSON_LINES, GOOD.replace("/ok", "/ok2")]) + "\n")
    code = run(
        ["import-log", str(path), "--format", "jsonl", "--json", "--database-url", database_url]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Traceback" not in captured.err
    summary = json.loads(captured.out)
    assert (summary["requests"], summary["malformed"]) == (2, len(BAD_JSON_LINES))
    assert summary["rejected"] == 0
    errors = {item["line"]: item["error"] for item in summary["malformed_examples"]}
    assert errors[2].startswith("bytes:") and errors[3].startswith("path:")
    assert errors[5].startswith("status:") and errors[6].startswith("bytes:")
    with db_engine.connect() as conn:
        paths = set(conn.execute(select(request_events.c.path)).scalars())
    assert paths == {"/ok", "/ok2"}


def test_rows_the_database_refuses_are_counted_in_the_summary(
    db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "data")
    analytics = Analytics(settings, engine=db_engine)
    good = parse_line(GOOD, "jsonl", now=NOW)
    # A value the parser now refuses, handed to the importer directly: the writer leaves it out.
    unstorable = replace(good, path="/big", response_bytes=2**70)
    summary = ImportSummary()
    try:
        import_records(analytics, [good, unstorable], summary)
    finally:
        analytics.close()
    assert summary.rejected >= 1 and summary.to_dict()["rejected"] == summary.rejected
    with db_engine.connect() as conn:
        assert set(conn.execute(select(request_events.c.path)).scalars()) == {"/ok"}


def test_a_small_writer_queue_slows_the_import_down_and_drops_nothing(
    db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    # The import waits for the writer well before its queue is full, so nothing is refused
    # (and counted as dropped, and logged as lost) only to be handed over again.
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path / "data", writer_max_pending=1_000
    )
    analytics = Analytics(settings, engine=db_engine)
    log = combined_log(3_000, seed=5)
    parsed = []
    for line in log.lines:
        with contextlib.suppress(LogLineError):  # the log's few malformed lines
            parsed.append(parse_line(line, "combined", now=NOW))
    parsed.sort(key=lambda record: record.timestamp)
    summary = ImportSummary()
    try:
        import_records(analytics, parsed, summary)
        dropped = analytics.writer.stats.dropped
    finally:
        analytics.close()
    assert dropped == 0
    assert summary.requests == log.requests
    with db_engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(request_events)).scalar()
    assert stored == log.requests


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    strict = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdin", strict)


def test_stdin_with_undecodable_bytes_and_a_bom_is_read_like_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    line = b'203.0.113.9 - - [27/Nov/2026:10:00:00 +0000] "GET /\xff\xfe HTTP/1.1" 200 1 "-" "-"\n'
    _stdin(monkeypatch, b"\xef\xbb\xbf" + line + line.replace(b"/\xff\xfe", b"/b"))
    url = f"sqlite:///{tmp_path / 'stdin.db'}"
    assert run(["import-log", "-", "--json", "--database-url", url]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["requests"], summary["malformed"]) == (2, 0)


@pytest.mark.parametrize("fmt", ["combined", "jsonl"])
def test_a_bom_does_not_cost_the_first_line(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    line = GOOD if fmt == "jsonl" else COMBINED_LINE
    path = tmp_path / "bom.log"
    path.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")
    url = f"sqlite:///{tmp_path / 'bom.db'}"
    assert run(["import-log", str(path), "--format", fmt, "--json", "--database-url", url]) == 0
    assert json.loads(capsys.readouterr().out)["requests"] == 1
    with make_engine(url).connect() as conn:
        ip = conn.execute(select(sessions.c.ip)).scalar()
    assert ip == ("203.0.113.7" if fmt == "jsonl" else "203.0.113.9")


def test_a_compressed_log_is_called_compressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "access.log.gz"
    path.write_bytes(gzip.compress("\n".join(combined_log(50).lines).encode()))
    url = f"sqlite:///{tmp_path / 'gz.db'}"
    assert run(["import-log", str(path), "--json", "--database-url", url]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "looks compressed or binary" in err


def test_split_log_keeps_line_numbers_and_drops_a_bom() -> None:
    data = "\ufeffa\x0cb\u2028c\r\nd\re\n\nf\n".encode()
    assert split_log(data) == ["a\x0cb\u2028c", "d", "e", "", "f"]
    assert split_log(b"") == []
    assert not looks_binary(b"plain text\n") and looks_binary(b"\x1f\x8b\x08\x00")


@given(st.lists(st.text().filter(lambda t: "\r" not in t and "\n" not in t), max_size=20))
def test_split_log_returns_the_lines_written(lines: list[str]) -> None:
    data = "".join(line + "\n" for line in lines).encode("utf-8", errors="surrogatepass")
    decoded = data.decode("utf-8", errors="replace")
    expected = decoded.removeprefix("\ufeff").split("\n")[:-1] if lines else []
    assert split_log(data) == expected
    assert len(split_log(b"\xef\xbb\xbf" + data)) == len(lines)
