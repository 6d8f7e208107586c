"""``costs reprice``: costs recomputed from stored token counts, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.platform.reprice import RepriceSummary, reprice
from systemprompt_analytics.pricing import PRICE_VERSION, TokenUsage, price_usage
from systemprompt_analytics.storage.schema import ai_requests, sessions
from tests.factories import add_ai_request, add_session

NOW = datetime.now(UTC).replace(microsecond=0)
AT = NOW - timedelta(days=2)
USAGE = {"input_tokens": 2_000, "output_tokens": 400, "cache_read_tokens": 6_000}
WINDOW = Period(NOW - timedelta(days=30), NOW)


def true_cost(model: str = "claude-sonnet-4-5") -> int:
    price = price_usage("anthropic", model, TokenUsage(**USAGE), AT)
    assert price is not None
    return price.cost_microdollars


def seed(engine: Engine) -> dict[str, Any]:
    """One request of each kind, all in one session; returns the session's id."""
    cost = true_cost()
    common = {**USAGE, "total_tokens": 8_400, "provider": "anthropic"}
    with engine.begin() as conn:
        session = add_session(conn, AT, cost_microdollars=cost + 10 + 999)
        add = {"session_id": session, **common}
        # Stored while genai-prices did not know the model yet.
        add_ai_request(conn, AT, id="air_newly", cost_microdollars=None, is_priced=False, **add)
        # Priced with an older price.
        add_ai_request(conn, AT, id="air_stale", cost_microdollars=10, price_version="0.0.1", **add)
        # The host's own cost: never repriced.
        add_ai_request(conn, AT, id="air_explicit", cost_microdollars=999, is_cost_explicit=True,
                       price_source="explicit", **add)  # fmt: skip
        unknown = {**add, "provider": "acme", "model": "wizard-9000"}
        add_ai_request(
            conn, AT, id="air_unknown", cost_microdollars=None, is_priced=False, **unknown
        )
        add_ai_request(conn, AT, id="air_current", cost_microdollars=cost,
                       price_source="genai-prices", price_version=PRICE_VERSION, **add)  # fmt: skip
        add_ai_request(conn, NOW - timedelta(days=60), id="air_old", cost_microdollars=10, **common)
    return {"session": session, "cost": cost}


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {row.id: dict(row._mapping) for row in conn.execute(select(ai_requests))}


def session_cost(engine: Engine, session_id: str) -> int:
    with engine.connect() as conn:
        statement = select(sessions.c.cost_microdollars).where(sessions.c.id == session_id)
        return int(conn.execute(statement).scalar_one())


def test_reprice_fixes_stale_and_newly_known_costs(db_engine: Engine) -> None:
    seeded = seed(db_engine)
    cost = seeded["cost"]
    progress: list[tuple[int, int]] = []
    summary = reprice(
        db_engine, WINDOW, progress=lambda done, total: progress.append((done, total))
    )
    assert summary == RepriceSummary(
        examined=4,
        repriced=1,
        newly_priced=1,
        now_unpriced=0,
        still_unpriced=1,
        unchanged=1,
        change_microdollars=cost + (cost - 10),
    )
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)
    rows = stored(db_engine)
    for request_id in ("air_newly", "air_stale", "air_current"):
        row = rows[request_id]
        assert (row["cost_microdollars"], row["is_priced"]) == (cost, True)
        assert (row["price_source"], row["price_version"]) == ("genai-prices", PRICE_VERSION)
    assert rows["air_explicit"]["cost_microdollars"] == 999
    assert rows["air_unknown"]["cost_microdollars"] is None
    assert rows["air_old"]["cost_microdollars"] == 10  # outside the window
    # The session's cost moved by the difference: 3 correct costs and the explicit one.
    assert session_cost(db_engine, seeded["session"]) == 3 * cost + 999
    assert reprice(db_engine, WINDOW).unchanged == 3  # running it again changes nothing


def test_a_dry_run_writes_nothing(db_engine: Engine) -> None:
    seeded = seed(db_engine)
    before = stored(db_engine)
    summary = reprice(db_engine, WINDOW, dry_run=True)
    assert (summary.repriced, summary.newly_priced, summary.dry_run) == (1, 1, True)
    assert stored(db_engine) == before
    assert session_cost(db_engine, seeded["session"]) == seeded["cost"] + 10 + 999


def test_the_cli_reports_what_it_changed(
    db_engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = seed(db_engine)
    args = ["costs", "reprice", "--since", "30d", "--database-url", database_url]
    assert run([*args, "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["dry_run"], dry["newly_priced"], dry["repriced"]) == (True, 1, 1)
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "newly priced" in out and "Total change: +" in out
    assert stored(db_engine)["air_newly"]["cost_microdollars"] == seeded["cost"]


def test_a_bad_window_is_exit_2(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["costs", "reprice", "--since", "soon", "--database-url", database_url]
    assert run(args) == 2
    assert "--since" in capsys.readouterr().err
