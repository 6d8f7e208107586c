"""Each stats endpoint serves exactly what its CLI report prints with ``--json``: the same
bytes, for the same window, on the same demo data — on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, delete, select

from systemprompt_analytics.cli.app import run
from systemprompt_analytics.config import load_settings
from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.maintenance import clear_activity
from systemprompt_analytics.storage.migrate import upgrade
from systemprompt_analytics.storage.schema import engagement_events, sessions
from systemprompt_analytics.web.server import create_app
from tests.conftest import BACKENDS
from tests.factories import add_session
from tests.servers import run_asgi

TOKEN = "stats-api-equality-token"
END = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
DAYS = 3
SINCE = (END - timedelta(days=DAYS)).isoformat()
UNTIL = END.isoformat()
WINDOW = {"since": SINCE, "until": UNTIL}
# Seed 9 at this size gives agents with every outcome, failing tools, unpriced requests.
SEED = 9
URL_FIXTURES = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}
# The moment a report was read (overview, sessions live): the one value that differs.
READ_AT = re.compile(r'^  "generated_at": "([^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class Case:
    """``GET /api/v1/stats/{endpoint}?{query}`` against ``sp-analytics {command} --json``
    with the query as flags (``name`` as the argument, ``True`` as a bare switch)."""

    endpoint: str
    query: dict[str, Any]

    @property
    def argv(self) -> list[str]:
        argv = self.endpoint.split("/")
        for key, value in self.query.items():
            if key == "name":
                argv.append(str(value))
            elif value is True:
                argv.append(f"--{key.replace('_', '-')}")
            else:
                argv += [f"--{key.replace('_', '-')}", str(value)]
        return [*argv, "--json"]

    @property
    def params(self) -> dict[str, str]:
        return {k: "true" if v is True else str(v) for k, v in self.query.items()}


CASES = [
    Case("overview", WINDOW),
    Case("overview", {**WINDOW, "include_synthetic": True}),
    Case("sessions/stats", WINDOW),
    Case("sessions/trends", {**WINDOW, "group_by": "hour"}),
    Case("traffic/bots", {**WINDOW, "limit": 3}),
    Case("traffic/sources", WINDOW),
    Case("traffic/sources", {**WINDOW, "include_bots": True, "channel": "search"}),
    Case("traffic/pages", {**WINDOW, "source": "google.com", "limit": 5}),
    Case("traffic/navigation", WINDOW),
    Case("traffic/navigation", {**WINDOW, "from": "/", "include_bots": True}),
    Case("traffic/geo", {**WINDOW, "by": "city"}),
    Case("traffic/devices", {**WINDOW, "channel": "direct"}),
    Case("content/stats", WINDOW),
    Case("content/top", {**WINDOW, "limit": 5}),
    Case("content/trends", WINDOW),
    Case("content/trends", {**WINDOW, "group_by": "hour", "path": "/pricing"}),
    Case("content/engagement", WINDOW),
    Case("funnels/list", {}),
    Case("funnels/show", {"name": "Signup"}),
    Case("funnels/stats", {"name": "Signup", **WINDOW}),
    Case("funnels/stats", {"name": " Signup ", **WINDOW, "include_bots": True}),
    Case("costs/summary", WINDOW),
    Case("costs/trends", WINDOW),
    Case("costs/trends", {**WINDOW, "group_by": "hour", "include_synthetic": True}),
    Case("costs/breakdown", WINDOW),
    Case("costs/breakdown", {**WINDOW, "by": "agent", "limit": 2}),
    Case("costs/breakdown", {**WINDOW, "by": "user"}),
    Case("costs/unpriced", {**WINDOW, "include_synthetic": True}),
    Case("requests/stats", WINDOW),
    Case("requests/list", {**WINDOW, "limit": 10}),
    Case("requests/list", {**WINDOW, "provider": "anthropic", "status": "error"}),
    Case("requests/models", WINDOW),
    Case("requests/trends", {**WINDOW, "group_by": "hour"}),
    Case("agents/list", WINDOW),
    Case("agents/stats", WINDOW),
    Case("agents/show", {"name": "research-agent", **WINDOW}),
    Case("agents/trends", WINDOW),
    Case("agents/trends", {**WINDOW, "agent": "support-bot", "include_synthetic": True}),
    Case("tools/list", WINDOW),
    Case("tools/stats", {**WINDOW, "limit": 3}),
    Case("tools/show", {"name": "web.search", **WINDOW}),
    Case("tools/trends", {**WINDOW, "tool": "web.fetch", "group_by": "hour"}),
    Case("conversations/stats", WINDOW),
    Case("conversations/list", {**WINDOW, "sort": "messages", "limit": 5}),
    Case("conversations/trends", WINDOW),
    Case("users/stats", {"until": UNTIL}),
    Case("users/top", WINDOW),
    Case("users/top", {**WINDOW, "by": "cost", "limit": 5}),
    Case("activity/trends", {**WINDOW, "group_by": "week"}),
    Case("bots/sessions", {**WINDOW, "limit": 10}),
    Case("bots/fingerprints", {"limit": 10}),
    Case("anomalies/list", {}),
    Case("anomalies/list", {"active": True, "limit": 2}),
]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and not name.startswith(
            ("SP_ANALYTICS_REQUIRE", "SP_ANALYTICS_TEST")
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


@dataclass(frozen=True)
class Served:
    database_url: str
    engine: Engine
    base_url: str


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """Demo data on the session's database of each backend, and the app serving it."""
    url = str(request.getfixturevalue(URL_FIXTURES[request.param]))
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        clear_activity(conn)
    generate_demo(engine, days=DAYS, sessions=600, seed=SEED, end=END)
    settings = load_settings(
        database_url=url,
        data_dir=tmp_path_factory.mktemp("data"),
        api_token=TOKEN,
        anomaly_enabled=False,
    )
    analytics = Analytics(settings, engine=engine)
    # The app runs its due background jobs as it starts; the reputation job lets idle demo
    # fingerprints recover. Run it now, so it changes nothing while the test compares.
    analytics.jobs.run_due()
    try:
        with run_asgi(create_app(analytics)) as base:
            yield Served(url, engine, base)
    finally:
        with engine.begin() as conn:
            clear_activity(conn)
        engine.dispose()


def _api(served: Served, endpoint: str, params: dict[str, str]) -> httpx.Response:
    return httpx.get(
        f"{served.base_url}/api/v1/stats/{endpoint}",
        params=params,
        headers={"authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )


def _cli(served: Served, capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert run([*argv, "--database-url", served.database_url]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.endpoint}-{index}" for index, c in enumerate(CASES)]
)
def test_the_endpoint_serves_exactly_the_cli_json(
    served: Served, capsys: pytest.CaptureFixture[str], case: Case
) -> None:
    response = _api(served, case.endpoint, case.params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    printed = _cli(served, capsys, case.argv)
    api_text, api_read = _read_at(response.text)
    cli_text, cli_read = _read_at(printed)
    assert api_text == cli_text
    assert api_read <= cli_read
    assert json.loads(api_text)  # and it holds something


def _read_at(text: str) -> tuple[str, str]:
    """The text with its ``generated_at`` blanked, and that time ('' when there is none)."""
    found = READ_AT.search(text)
    return READ_AT.sub('  "generated_at": ""', text), found.group(1) if found else ""


def test_every_endpoint_is_compared_with_its_cli_report() -> None:
    from tests.test_stats_api import ENDPOINTS

    compared = {case.endpoint for case in CASES} | {"sessions/live"}
    assert compared == set(ENDPOINTS)


def test_the_demo_reports_are_not_empty(served: Served) -> None:
    """The comparison means something: the window holds every kind of activity."""
    overview = _api(served, "overview", WINDOW).json()
    assert overview["sessions"]["created"]["current"] > 0
    assert overview["requests"]["count"]["current"] > 0
    assert overview["agents"]["tasks"]["current"] > 0
    assert _api(served, "anomalies/list", {}).json()["alerts"]
    assert _api(served, "bots/fingerprints", {}).json()["fingerprints"]
    assert _api(served, "costs/unpriced", {**WINDOW, "include_synthetic": "true"}).json()["rows"]


def test_one_sessions_engagement_is_the_cli_json(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    with served.engine.connect() as conn:
        session_id = conn.execute(
            select(engagement_events.c.session_id).order_by(engagement_events.c.id).limit(1)
        ).scalar_one()
    response = _api(served, "content/engagement", {"session": session_id})
    assert response.status_code == 200
    printed = _cli(served, capsys, ["content", "engagement", "--session", session_id, "--json"])
    assert response.text == printed
    assert response.json()["session"]["id"] == session_id


@pytest.fixture
def live(served: Served) -> Iterator[list[str]]:
    """A human and a bot session active right now (the demo's are weeks old)."""
    now = datetime.now(UTC)
    with served.engine.begin() as conn:
        ids = [
            add_session(conn, now - timedelta(minutes=12), last_activity_at=now, ended_at=None,
                        landing_page="/pricing", channel="search", page_view_count=3),
            add_session(conn, now - timedelta(minutes=3), last_activity_at=now, ended_at=None,
                        is_bot=True, bot_name="ExampleBot"),
        ]  # fmt: skip
    yield ids
    with served.engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.id.in_(ids)))


def _when_read(report: dict[str, Any]) -> tuple[datetime, list[int]]:
    """Take out what depends on the moment of reading: the time, and each session's age."""
    durations = [row.pop("duration_seconds") for row in report["sessions"]]
    return datetime.fromisoformat(report.pop("generated_at")), durations


@pytest.mark.parametrize(
    ("query", "flags", "expected"),
    [({}, [], 1), ({"limit": "5", "include_bots": "true"}, ["--limit", "5", "--include-bots"], 2)],
)
def test_live_sessions_are_the_cli_json_apart_from_when_they_were_read(
    served: Served,
    capsys: pytest.CaptureFixture[str],
    live: list[str],
    query: dict[str, str],
    flags: list[str],
    expected: int,
) -> None:
    before = datetime.now(UTC)
    api = _api(served, "sessions/live", query).json()
    printed = json.loads(_cli(served, capsys, ["sessions", "live", *flags, "--json"]))
    api_read, api_ages = _when_read(api)
    cli_read, cli_ages = _when_read(printed)
    assert api == printed
    assert {row["id"] for row in api["sessions"]} == set(live[:expected])
    assert before <= api_read <= cli_read
    assert all(0 <= a <= c for a, c in zip(api_ages, cli_ages, strict=True))
