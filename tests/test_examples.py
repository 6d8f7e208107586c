"""The runnable examples import and serve requests."""

from __future__ import annotations

import importlib
from pathlib import Path

import httpx
import pytest

from tests.servers import run_asgi, run_wsgi


@pytest.fixture(autouse=True)
def _sqlite_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SP_ANALYTICS_DATABASE_URL", f"sqlite:///{tmp_path / 'example.db'}")
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize(
    ("module", "runner"),
    [("starlette_app", run_asgi), ("flask_app", run_wsgi), ("tracked_site", run_asgi)],
)
def test_example_serves_and_sets_the_session_cookie(module: str, runner: object) -> None:
    example = importlib.import_module(f"examples.{module}")
    importlib.reload(example)  # a fresh Analytics for this test's database
    with runner(example.app) as base, httpx.Client(base_url=base) as client:  # type: ignore[operator]
        response = client.get("/")
        assert response.status_code == 200
        assert "sp_sid=" in response.headers["set-cookie"]
