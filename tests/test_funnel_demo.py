"""The demo's own "Signup" funnel progress agrees with what the matcher rebuilds from the
demo's page views and events."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, not_, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.reports.definitions import bot_session
from systemprompt_analytics.storage.schema import funnel_progress, sessions

END = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
DAYS = 3
COLUMNS = ("unit_key", "session_id", "current_step", "step_timestamps", "started_at",
           "updated_at", "completed_at", "attempt_timestamps")  # fmt: skip


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith("SP_ANALYTICS_REQUIRE"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _progress(engine: Engine, *, bots: bool) -> dict[str, tuple[Any, ...]]:
    query = select(*(funnel_progress.c[name] for name in COLUMNS)).join(
        sessions, sessions.c.id == funnel_progress.c.session_id
    )
    query = query.where(bot_session() if bots else not_(bot_session()))
    with engine.connect() as conn:
        return {row.unit_key: tuple(row) for row in conn.execute(query)}


def _stats(database_url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    since, until = (END - timedelta(days=DAYS + 1)).isoformat(), END.isoformat()
    assert run(["funnels", "stats", "Signup", "--since", since, "--until", until, "--json",
                "--database-url", database_url]) == 0  # fmt: skip
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_rebuild_reproduces_the_demo_funnel(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_demo(db_engine, days=DAYS, sessions=600, seed=7, end=END)
    written = _progress(db_engine, bots=False)
    written_stats = _stats(database_url, capsys)
    assert written_stats["completed"] > 0  # the comparison covers every step

    assert run(["funnels", "rebuild", "Signup", "--database-url", database_url]) == 0
    assert "Rebuilt funnel 'Signup'" in capsys.readouterr().out

    # Row for row, for every human session: same steps, same times, same completion.
    assert _progress(db_engine, bots=False) == written
    assert _stats(database_url, capsys) == written_stats
    # The demo writes human rows only; matching (live or rebuilt) records every session,
    # and the reports leave bots out unless --include-bots.
    assert all(row[2] >= 0 for row in _progress(db_engine, bots=True).values())
