"""``sp-analytics rollups rebuild|refresh|status``, and the commands that write history in the
past (``demo``, ``import-log``) leaving rollups that equal the raw rows (both databases)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.bots import bot_traffic
from systemprompt_analytics.reports.overview import overview
from systemprompt_analytics.reports.sessions import session_stats
from systemprompt_analytics.storage.rollups import ROLLUP_NAMES
from systemprompt_analytics.storage.rollups.state import read_coverage
from systemprompt_analytics.storage.schema import rollup_page_views_daily, rollup_sessions_hourly
from tests.logsynth import combined_log


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_rebuild_refresh_and_status(
    db_engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    end = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    url = ["--database-url", database_url]
    assert run(["demo", "--days", "2", "--sessions", "300", "--end", end.isoformat(), *url]) == 0
    capsys.readouterr()
    with db_engine.connect() as conn:  # `demo` builds the rollups
        assert all(found.covered_until for found in read_coverage(conn, ROLLUP_NAMES).values())
    assert run(["rollups", "status", "--json", *url]) == 0
    status = _json(capsys)["rollups"]
    assert [row["rollup"] for row in status] == list(ROLLUP_NAMES)
    assert all(row["hourly_rows"] > 0 and row["daily_rows"] > 0 for row in status)
    assert run(["rollups", "rebuild", "--since", "4d", "--json", *url]) == 0  # the last demo day
    rebuilt = _json(capsys)
    assert rebuilt["skipped"] is False and rebuilt["hours"] > 0
    assert run(["rollups", "refresh", "--json", *url]) == 0
    assert _json(capsys)["marks_cleared"] == 0
    assert run(["rollups", "status", *url]) == 0
    assert "ai_requests" in capsys.readouterr().out


def test_a_bad_since_exits_2_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["rollups", "rebuild", "--since", "yesterday-ish"]) == 2
    assert "--since" in capsys.readouterr().err


def test_import_log_leaves_rollups_equal_to_the_raw_rows(
    db_engine: Engine,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    log = combined_log(2_000, seed=5)
    path = tmp_path / "access.log"
    path.write_text("\n".join(log.lines) + "\n")
    assert run(["import-log", str(path), "--json", "--database-url", database_url]) == 0
    capsys.readouterr()
    with db_engine.connect() as conn:
        hours = conn.execute(select(func.count()).select_from(rollup_sessions_hourly)).scalar()
        days = conn.execute(select(func.count()).select_from(rollup_page_views_daily)).scalar()
        first = conn.execute(select(func.min(rollup_sessions_hourly.c.bucket_at))).scalar()
        assert hours and days and first is not None
        period = Period(first, datetime.now(UTC))
        for report in (session_stats, overview):
            rolled = report(conn, period, period.until, use_rollups=True).to_dict()
            assert rolled == report(conn, period, period.until, use_rollups=False).to_dict()
        assert (
            bot_traffic(conn, period, use_rollups=True).to_dict()
            == bot_traffic(conn, period, use_rollups=False).to_dict()
        )
