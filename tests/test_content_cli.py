"""content stats|top|trends|engagement|sync through the CLI: JSON, CSV, exit codes."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.storage.schema import content_items
from tests.factories import add_engagement, add_request, add_session


@pytest.fixture(autouse=True)
def _isolated_env(isolated_cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def seed(engine: Engine, at: datetime | None = None) -> str:
    """Views of /docs (3) and /pricing (1) a minute ago; engagement on /docs."""
    at = at or datetime.now(UTC) - timedelta(minutes=1)
    with engine.begin() as conn:
        session_id = add_session(conn, at=at, page_view_count=4, landing_page="/docs")
        for path in ("/docs", "/docs/", "/pricing", "/docs"):
            add_request(conn, session_id, at=at, path=path)
        add_engagement(conn, session_id, at=at, path="/docs", engaged_time_ms=20_000,
                       max_scroll_depth=60, reading_pattern="scan")  # fmt: skip
        return session_id


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert run([*args, "--json"]) == 0, capsys.readouterr().err
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_reports_json(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = seed(db_engine)
    db = ["--database-url", database_url]
    stats = run_json(capsys, "content", "stats", *db)
    assert stats["page_views"] == {"current": 4, "previous": 0, "change_pct": None, "trend": "up"}
    top = run_json(capsys, "content", "top", "--limit", "1", *db)
    (first,) = top["pages"]["rows"]
    assert (first["path"], first["page_views"], first["share_of_all"]) == ("/docs", 3, 0.75)
    assert top["pages"]["total_rows"] == 2
    engagement = run_json(capsys, "content", "engagement", "--path", "/docs/", *db)
    assert engagement["filters"]["path"] == "/docs"
    assert engagement["pages"]["rows"][0]["reading_patterns"]["scan"]["share"] == 1.0
    one = run_json(capsys, "content", "engagement", "--session", session_id, *db)
    assert one["session"]["id"] == session_id and one["summary"]["engaged_pages"] == 1


def test_trends_include_today_zero_filled(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=1)
    seed(db_engine, at)
    data = run_json(
        capsys, "content", "trends", "--since", "3d", "--group-by", "day",
        "--database-url", database_url,
    )  # fmt: skip
    series = data["series"]
    assert len(series) == 4  # three days back, floored, through today
    assert series[-1]["bucket"].startswith(datetime.now(UTC).date().isoformat())
    views = {point["bucket"][:10]: point["page_views"] for point in series}
    assert views.pop(at.date().isoformat()) == 4  # today's bucket (yesterday's at 00:00:30)
    assert list(views.values()) == [0, 0, 0]
    pricing = run_json(
        capsys, "content", "trends", "--since", "2h", "--group-by", "hour", "--path", "/pricing",
        "--database-url", database_url,
    )  # fmt: skip
    assert sum(point["page_views"] for point in pricing["series"]) == 1
    assert pricing["filters"]["path"] == "/pricing"


def test_csv_files(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = seed(db_engine)
    db = ["--database-url", database_url]
    expectations = {
        ("stats",): "metric,current,previous,change_pct,trend",
        ("top",): "path,content_id,slug,title,page_views,share_of_all",
        ("trends",): "bucket,page_views,visitors,engaged_views",
        ("engagement",): "path,content_id,slug,title,engaged_views,share_of_all",
        ("engagement", "--session", session_id): "occurred_at,path,title,time_on_page_seconds",
    }
    for index, (args, header) in enumerate(expectations.items()):
        out = tmp_path / f"{index}.csv"
        assert run(["content", *args, "--csv", str(out), *db]) == 0
        text = out.read_text(encoding="utf-8")
        assert text.startswith(header), (args, text.splitlines()[0])
        assert list(csv.DictReader(text.splitlines()))  # at least one data row
    tables = capsys.readouterr().out
    assert "Top content" in tables and "/docs" in tables and "(human, not a bounce)" in tables


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["content", "trends", "--path", "docs"], "--path"),
        (["content", "engagement", "--session", "sess_nope"], "--session"),
        (["content", "engagement", "--session", " "], "--session"),
        (["content", "top", "--channel", "tv"], "--channel"),
        (["content", "trends", "--group-by", "year"], "--group-by"),
        (["content", "top", "--limit", "-3"], "--limit"),
        (["content", "stats", "--until", "soon"], "--until"),
    ],
)
def test_bad_flags_exit_2(
    args: list[str], names: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*args, "--database-url", database_url]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert names in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------------------
# sync
# --------------------------------------------------------------------------------------
def write(tmp_path: Path, document: Any, name: str = "items.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def registry(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(select(content_items.c.id, content_items.c.path, content_items.c.title))
        return {row.id: (row.path, row.title) for row in rows}


def test_sync_valid_then_update_then_titles_in_reports(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(db_engine)
    db = ["--database-url", database_url]
    items = [{"id": "docs", "path": "/docs/", "title": "Docs"}, {"id": "home", "path": "/"}]
    assert run(["content", "sync", write(tmp_path, {"items": items}), *db]) == 0
    assert "2 created" in capsys.readouterr().out
    items[0]["title"] = "Documentation"
    result = run_json(capsys, "content", "sync", write(tmp_path, items), *db)
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 1, 1)
    assert registry(db_engine) == {"docs": ("/docs", "Documentation"), "home": ("/", None)}
    top = run_json(capsys, "content", "top", *db)
    assert top["pages"]["rows"][0]["title"] == "Documentation"
    assert top["pages"]["rows"][0]["content_id"] == "docs"
    pruned = run_json(capsys, "content", "sync", write(tmp_path, items[:1]), "--prune", *db)
    assert pruned["pruned"] == 1
    assert set(registry(db_engine)) == {"docs"}


def test_sync_invalid_entries_exit_2_by_index_and_field_keeping_valid_ones(
    db_engine: Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {
        "items": [
            {"id": "ok", "path": "/ok"},
            {"id": "no-slash", "path": "ok"},
            {"id": "typo", "path": "/typo", "titel": "x"},
            {"path": "/anonymous"},
        ]
    }
    file = write(tmp_path, document)
    assert run(["content", "sync", file, "--database-url", database_url]) == 2
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    assert "items[1].path" in err and "items[2].titel" in err and "items[3].id" in err
    assert "3 entries rejected" in err
    assert "1 created" in captured.out
    assert registry(db_engine) == {"ok": ("/ok", None)}
    assert run(["content", "sync", file, "--json", "--database-url", database_url]) == 2
    data = json.loads(capsys.readouterr().out)
    assert [(r["index"], r["field"]) for r in data["rejected"]] == [
        (1, "path"),
        (2, "titel"),
        (3, "id"),
    ]
    assert data["unchanged"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"things": []}', "unknown top-level field 'things'"),
        ('"items"', "must be a JSON object"),
    ],
)
def test_sync_bad_files_exit_2(
    content: str, message: str, database_url: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    file = tmp_path / "bad.json"
    file.write_text(content, encoding="utf-8")
    assert run(["content", "sync", str(file), "--database-url", database_url]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "FILE" in err and message in err and "Traceback" not in err


def test_sync_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["content", "sync", str(tmp_path / "none.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
