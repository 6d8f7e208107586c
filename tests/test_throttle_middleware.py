"""Throttling through the real middleware over HTTP, and escalation from detector verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from flask import Flask
from sqlalchemy import Engine, select

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.detection.throttle import ThrottleLevel
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.schema import request_events
from systemprompt_analytics.web import AnalyticsWSGIMiddleware
from tests.factories import add_request, add_session
from tests.servers import run_asgi, run_wsgi
from tests.test_middleware import CHROME, starlette_app

# Their N/minute limits are reached within a second: see clear_of_minute_edge.
pytestmark = pytest.mark.usefixtures("clear_of_minute_edge")


def _analytics(
    db_engine: Engine, database_url: str, tmp_path: Path, **settings: object
) -> Analytics:
    values = {"database_url": database_url, "data_dir": tmp_path / "data", **settings}
    return Analytics(load_settings(**values), engine=db_engine)


def test_over_the_limit_gets_429_with_headers_and_is_recorded(
    db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    analytics = _analytics(db_engine, database_url, tmp_path, throttle_rate="3/minute")
    with run_asgi(starlette_app(analytics)) as base, httpx.Client(base_url=base) as client:
        statuses = [client.get("/", headers={"user-agent": CHROME}).status_code for _ in range(3)]
        refused = client.get("/", headers={"user-agent": CHROME})
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-throttle-level"] == "normal"
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["x-ratelimit-reset"]) > 0
    assert analytics.close()
    with db_engine.connect() as conn:
        recorded = [row[0] for row in conn.execute(select(request_events.c.status_code))]
    assert sorted(recorded) == [200, 200, 200, 429]


def test_shadow_mode_never_refuses(db_engine: Engine, database_url: str, tmp_path: Path) -> None:
    analytics = _analytics(
        db_engine, database_url, tmp_path, throttle_rate="2/minute", throttle_shadow=True
    )
    with run_asgi(starlette_app(analytics)) as base, httpx.Client(base_url=base) as client:
        statuses = {client.get("/", headers={"user-agent": CHROME}).status_code for _ in range(5)}
    assert statuses == {200}
    assert analytics.throttle is not None and analytics.throttle.stats.shadow_denied >= 3
    analytics.close()


def test_allow_listed_categories_and_disabled_throttling(
    db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    analytics = _analytics(
        db_engine, database_url, tmp_path, throttle_rate="1/minute",
        throttle_allow_categories="search",
    )  # fmt: skip
    with run_asgi(starlette_app(analytics)) as base, httpx.Client(base_url=base) as client:
        assert {client.get("/", headers={"user-agent": googlebot}).status_code
                for _ in range(3)} == {200}  # fmt: skip
    analytics.close()
    off = _analytics(db_engine, database_url, tmp_path, throttle_enabled=False)
    assert off.throttle is None
    off.close()


def test_flask_gets_429_too(db_engine: Engine, database_url: str, tmp_path: Path) -> None:
    analytics = _analytics(db_engine, database_url, tmp_path, throttle_rate="2/minute")
    app = Flask("throttled")
    app.get("/")(lambda: "ok")
    app.wsgi_app = AnalyticsWSGIMiddleware(app.wsgi_app, analytics=analytics)  # type: ignore[method-assign]
    with run_wsgi(app) as base, httpx.Client(base_url=base) as client:
        statuses = [client.get("/", headers={"user-agent": CHROME}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
    analytics.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_behavioural_bot_verdict_escalates_its_session_and_fingerprint(
    db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    t0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
    with db_engine.begin() as conn:
        crawler = add_session(conn, at=t0, browser="Chrome", browser_version="141.0",
                              fingerprint_hash="fp_crawler")  # fmt: skip
        for index in range(60):
            add_request(conn, crawler, at=t0 + timedelta(seconds=2 * index), path=f"/p/{index:03d}")
    analytics = _analytics(db_engine, database_url, tmp_path)
    analytics.scoring.score_sessions([crawler])
    assert analytics.throttle is not None
    assert analytics.throttle.status(f"session:{crawler}").level == ThrottleLevel.WARNING
    assert analytics.throttle.status("fingerprint:fp_crawler").level == ThrottleLevel.WARNING
    analytics.close()


def test_keys_leave_out_private_addresses_and_fingerprints_of_cookie_requests(
    db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    from systemprompt_analytics.ingest.pipeline import RequestFacts
    from systemprompt_analytics.web.throttling import throttle_keys

    analytics = _analytics(db_engine, database_url, tmp_path)
    headers = {"user-agent": CHROME, "accept": "text/html"}
    first = analytics.pipeline.begin(RequestFacts("GET", "/", "", headers, "81.2.69.160"))
    assert first is not None and first.set_cookie is not None
    keys = throttle_keys(first)  # cookie-less, public address: all three
    assert keys.session_id and keys.fingerprint_hash and keys.ip == "81.2.69.160"
    cookie = first.set_cookie.split(";", 1)[0]
    again = analytics.pipeline.begin(
        RequestFacts("GET", "/", "", {**headers, "cookie": cookie}, "81.2.69.160")
    )
    assert again is not None
    keys = throttle_keys(again)  # the cookie identifies the client: no fingerprint
    assert keys.session_id == first.resolution.session_id and keys.fingerprint_hash is None
    behind_proxy = analytics.pipeline.begin(RequestFacts("GET", "/", "", headers, "10.0.0.7"))
    assert behind_proxy is not None
    keys = throttle_keys(behind_proxy)  # an unlisted proxy's address is never limited
    assert keys.ip is None and keys.fingerprint_hash is None and keys.session_id
    analytics.close()
