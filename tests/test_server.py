"""The ``serve`` app's operational endpoints over real HTTP: /healthz, /metrics, token auth."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.server import create_app
from tests.servers import run_asgi

TOKEN = "s3cret-token-for-tests"


def _analytics(db_engine: Engine, url: str, data_dir: Path, token: str | None) -> Analytics:
    settings = load_settings(
        database_url=url, data_dir=data_dir, api_token=token, writer_max_pending=150_000
    )
    return Analytics(settings, engine=db_engine)


@pytest.fixture
def base_url(db_engine: Engine, database_url: str, tmp_path: Path) -> object:
    app = create_app(_analytics(db_engine, database_url, tmp_path, TOKEN))
    with run_asgi(app) as base:
        yield base


def test_healthz_is_public_and_reports_the_database_and_writer(base_url: str) -> None:
    response = httpx.get(f"{base_url}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["writer"]["dropped"] == 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Bearer wrong"}, {"authorization": f"Basic {TOKEN}"}],
    ids=["none", "wrong", "not-bearer"],
)
def test_metrics_refuses_without_the_token(base_url: str, headers: dict[str, str]) -> None:
    response = httpx.get(f"{base_url}/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert TOKEN not in response.text


def test_metrics_exposes_queue_writer_http_and_throttle_figures(base_url: str) -> None:
    event = {"type": "page_view", "url": "https://example.test/pricing"}
    assert httpx.post(f"{base_url}/api/v1/collect", json=event).status_code == 202
    httpx.get(f"{base_url}/healthz")
    response = httpx.get(f"{base_url}/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    metrics = _parse(response.text)
    assert metrics["sp_analytics_ingest_queue_depth"] >= 0
    assert metrics["sp_analytics_ingest_queue_capacity"] == 150_000  # writer_max_pending
    assert metrics["sp_analytics_events_submitted_total"] >= 1
    assert metrics['sp_analytics_http_responses_total{status="202"}'] == 1
    assert metrics['sp_analytics_http_responses_total{status="200"}'] >= 1
    assert "sp_analytics_events_dropped_total" in metrics
    assert metrics["sp_analytics_rows_rejected_total"] == 0
    assert "sp_analytics_writer_last_flush_seconds" in metrics
    assert 'sp_analytics_throttle_decisions_total{outcome="allowed"}' in metrics


def test_api_answers_503_when_no_token_is_configured(
    db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    app = create_app(_analytics(db_engine, database_url, tmp_path, None))
    with run_asgi(app) as base:
        response = httpx.get(f"{base}/metrics", headers={"authorization": "Bearer anything"})
    assert response.status_code == 503
    assert "SP_ANALYTICS_API_TOKEN" in response.json()["detail"]


def test_openapi_docs_are_served(base_url: str) -> None:
    assert httpx.get(f"{base_url}/docs").status_code == 200
    schema = httpx.get(f"{base_url}/openapi.json").json()
    assert "/api/v1/collect" in schema["paths"] and "/healthz" in schema["paths"]


def _parse(exposition: str) -> dict[str, float]:
    values = {}
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values
