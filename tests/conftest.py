"""Database fixtures: every repository test runs on SQLite (temp file) and the real PostgreSQL.

``db_engine`` yields a migrated engine whose activity tables are empty at the start of each
test. The PostgreSQL database is created for the test run and dropped after it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.maintenance import clear_activity
from systemprompt_analytics.storage.migrate import upgrade
from tests.services import postgres_reachable, temporary_postgres_database, unavailable

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    reason = postgres_reachable()
    if reason:
        unavailable("PostgreSQL", reason)
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'analytics.db'}"


@pytest.fixture(scope="session")
def _migrated_engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of the session's test database for each backend."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture
def db_engine(database_url: str, _migrated_engines: dict[str, Engine]) -> Engine:
    """A migrated engine with empty activity tables, on each backend in turn."""
    engine = _migrated_engines.get(database_url)
    if engine is None:
        engine = make_engine(database_url)
        upgrade(engine)
        _migrated_engines[database_url] = engine
    with engine.begin() as conn:
        clear_activity(conn)
    return engine


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of each backend, for migration tests."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    reason = postgres_reachable()
    if reason:
        unavailable("PostgreSQL", reason)
    with temporary_postgres_database("spa_fresh") as url:
        yield url


# The throttle's sliding-window counter weighs the previous minute by the share of it still in
# the window and rounds the weighted count down, so a request just after a minute boundary
# may be admitted although the previous minute's requests reached the limit (the ``limits``
# approximation). Tests that send a few requests over real HTTP against an N/minute limit
# start clear of that edge, so they cannot straddle it.
MINUTE_EDGE_MARGIN_SECONDS = 5.0


@pytest.fixture
def clear_of_minute_edge() -> None:
    """Wait, if needed, until the next minute boundary is at least 5 s away."""
    left = 60.0 - time.time() % 60.0
    if left < MINUTE_EDGE_MARGIN_SECONDS:
        time.sleep(left + 0.05)


@pytest.fixture
def isolated_cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A CLI run that sees no SP_ANALYTICS_* settings of the machine (but the services
    switch), works in ``tmp_path`` and keeps its data there."""
    for name in list(os.environ):
        if name.startswith("SP_ANALYTICS_") and name != "SP_ANALYTICS_REQUIRE_SERVICES":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("COLUMNS", "200")
