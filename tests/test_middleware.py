"""ASGI and WSGI middleware driven over real HTTP against a real Starlette and Flask app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import httpx
import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.schema import request_events, sessions
from systemprompt_analytics.web import AnalyticsMiddleware, AnalyticsWSGIMiddleware
from tests.servers import run_asgi, run_wsgi

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
def analytics(db_engine: Engine, database_url: str, tmp_path: Path) -> Analytics:
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "data")
    return Analytics(settings, engine=db_engine, site_hosts=["example.test"])


def starlette_app(analytics: Analytics) -> Starlette:
    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    async def api(request: Request) -> JSONResponse:
        request.state.analytics_user_id = request.headers.get("x-user")
        return JSONResponse({"ok": True})

    async def boom(request: Request) -> PlainTextResponse:
        raise RuntimeError("boom")

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/docs/{page}", home),
            Route("/api/v1/things", api),
            Route("/boom", boom),
            Route("/healthz", home),
        ]
    )
    app.add_middleware(AnalyticsMiddleware, analytics=analytics)
    return app


def _rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(sessions))]


def _event_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(request_events)).scalar_one())


def test_cookie_keeps_one_session_across_requests(analytics: Analytics, db_engine: Engine) -> None:
    with run_asgi(starlette_app(analytics)) as base, httpx.Client(base_url=base) as client:
        first = client.get(
            "/?utm_source=news&utm_medium=email",
            headers={"user-agent": CHROME, "referer": "https://www.google.com/search?q=x"},
        )
        assert first.status_code == 200
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        client.get("/docs/intro", headers={"user-agent": CHROME})
        client.get("/api/v1/things", headers={"user-agent": CHROME, "x-user": "user_42"})
        client.get("/healthz")  # health checks are not tracked
    assert analytics.close()
    rows = _rows(db_engine)
    assert len(rows) == 1
    row = rows[0]
    assert (row["request_count"], row["page_view_count"]) == (3, 2)
    assert row["landing_page"] == "/"
    assert row["browser"] == "Chrome" and row["device_type"] == "desktop"
    assert row["utm_source"] == "news" and row["channel"] == "email"
    assert row["user_id"] == "user_42"
    assert row["ip"] == "127.0.0.1"
    assert not row["is_bot"]
    assert _event_count(db_engine) == 3


def test_bots_are_recorded_with_their_reason(analytics: Analytics, db_engine: Engine) -> None:
    bots = (
        "Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "python-requests/2.32.3",
    )
    with run_asgi(starlette_app(analytics)) as base:
        for agent in bots:  # each bot is its own client, with its own (ignored) cookie jar
            with httpx.Client(base_url=base) as client:
                client.get("/", headers={"user-agent": agent})
    assert analytics.close()
    rows = {row["bot_name"]: row for row in _rows(db_engine)}
    assert len(rows) == 2
    gpt = next(row for name, row in rows.items() if name and "GPT" in str(name))
    assert gpt["is_bot"] and gpt["is_ai_crawler"] and gpt["bot_reason"]
    library = next(row for row in rows.values() if row is not gpt)
    assert library["is_bot"] and not library["is_ai_crawler"]
    assert library["bot_category"] == "http_library"


def test_forged_forwarded_for_from_an_untrusted_peer_is_inert(
    analytics: Analytics, db_engine: Engine
) -> None:
    with run_asgi(starlette_app(analytics)) as base, httpx.Client(base_url=base) as client:
        client.get(
            "/",
            headers={
                "user-agent": CHROME,
                "x-forwarded-for": "203.0.113.9",
                "x-real-ip": "198.51.100.7",
            },
        )
    assert analytics.close()
    assert [row["ip"] for row in _rows(db_engine)] == ["127.0.0.1"]


def test_app_errors_are_recorded_as_500(analytics: Analytics, db_engine: Engine) -> None:
    with run_asgi(starlette_app(analytics)) as base, httpx.Client(base_url=base) as client:
        assert client.get("/boom", headers={"user-agent": CHROME}).status_code == 500
    assert analytics.close()
    with db_engine.connect() as conn:
        statuses = [row[0] for row in conn.execute(select(request_events.c.status_code))]
    assert statuses == [500]
    assert _rows(db_engine)[0]["error_count"] == 1


def test_1000_concurrent_requests_produce_exactly_1000_events(
    analytics: Analytics, db_engine: Engine
) -> None:
    async def hammer(base: str) -> list[int]:
        # aiohttp, not httpx: httpx's pool slows to seconds per hundred concurrent requests.
        connector = aiohttp.TCPConnector(limit=1_000)
        async with aiohttp.ClientSession(base, connector=connector) as client:

            async def one(i: int) -> int:
                async with client.get(f"/docs/{i}", headers={"user-agent": CHROME}) as response:
                    await response.read()
                    return response.status

            return list(await asyncio.gather(*(one(i) for i in range(1_000))))

    with run_asgi(starlette_app(analytics)) as base:
        statuses = asyncio.run(hammer(base))
    # The server shut down through lifespan, which flushed the writer. One client without a
    # cookie sending 1,000 requests at once goes over the default 120/minute: the throttled
    # requests are answered 429 and recorded too.
    assert len(statuses) == 1_000 and set(statuses) <= {200, 429}
    assert statuses.count(200) >= 120
    assert analytics.writer.pending == 0
    assert _event_count(db_engine) == 1_000
    with db_engine.connect() as conn:
        total = conn.execute(select(func.sum(sessions.c.request_count))).scalar_one()
    assert total == 1_000


def test_flask_app_through_the_wsgi_middleware(analytics: Analytics, db_engine: Engine) -> None:
    flask_app = Flask("example")

    @flask_app.get("/")
    def home() -> str:
        return "hello from flask"

    @flask_app.get("/account")
    def account() -> str:
        from flask import request

        request.environ["analytics.user_id"] = "user_7"
        return "account"

    flask_app.wsgi_app = AnalyticsWSGIMiddleware(flask_app.wsgi_app, analytics=analytics)  # type: ignore[method-assign]
    with run_wsgi(flask_app) as base, httpx.Client(base_url=base) as client:
        first = client.get("/", headers={"user-agent": CHROME})
        assert first.text == "hello from flask"
        assert "sp_sid=" in first.headers["set-cookie"]
        client.get("/account", headers={"user-agent": CHROME})
        assert client.get("/missing", headers={"user-agent": CHROME}).status_code == 404
    assert analytics.close()
    rows = _rows(db_engine)
    assert len(rows) == 1
    assert rows[0]["request_count"] == 3 and rows[0]["page_view_count"] == 2
    assert rows[0]["error_count"] == 1 and rows[0]["user_id"] == "user_7"
