"""What the middlewares record at the edges: clients that leave, apps that fail mid-response,
HEAD, background tasks, odd bytes in cookies and paths — over real HTTP where a server can
produce the case, against both databases."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask, Response, stream_with_context
from sqlalchemy import Engine, select
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
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
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHUNKS = 200  # of 1 KiB each, slowly: a client can leave half-way


@pytest.fixture
def analytics(db_engine: Engine, database_url: str, tmp_path: Path) -> Analytics:
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "data")
    return Analytics(settings, engine=db_engine)


def _events(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(request_events).order_by(request_events.c.id))
        return [dict(row._mapping) for row in rows]


def _session_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(sessions.c.id)).all())


def _raw_request(base: str, head: str, read: int | None = None) -> bytes:
    """Send ``head`` (request line and headers, latin-1) on a raw socket; read the answer to
    the end, or only ``read`` bytes of it and then hang up."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        answer = b""
        while read is None or len(answer) < read:
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    return answer


# -- the apps ----------------------------------------------------------------------------------


def starlette_app(analytics: Analytics) -> Starlette:
    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    async def slow_stream(request: Request) -> StreamingResponse:
        async def chunks() -> Any:
            for _ in range(CHUNKS):
                yield b"x" * 1024
                await asyncio.sleep(0.01)

        return StreamingResponse(chunks())

    async def broken_stream(request: Request) -> StreamingResponse:
        async def chunks() -> Any:
            yield b"first part"
            raise RuntimeError("the app failed half-way")

        return StreamingResponse(chunks())

    async def with_background(request: Request) -> PlainTextResponse:
        return PlainTextResponse("done", background=BackgroundTask(asyncio.sleep, 1.0))

    app = Starlette(
        routes=[
            Route("/", home, methods=["GET", "HEAD"]),
            Route("/stream", slow_stream),
            Route("/broken", broken_stream),
            Route("/background", with_background),
        ]
    )
    app.add_middleware(AnalyticsMiddleware, analytics=analytics)
    return app


def flask_app(analytics: Analytics) -> Flask:
    app = Flask("edges")

    @app.get("/")
    def home() -> str:
        return "hello"

    @app.get("/stream")
    def slow_stream() -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(CHUNKS):
                yield b"x" * 1024
                time.sleep(0.01)

        return Response(stream_with_context(chunks()))

    @app.get("/broken")
    def broken_stream() -> Response:
        def chunks() -> Iterator[bytes]:
            yield b"first part"
            raise RuntimeError("the app failed half-way")

        return Response(chunks())

    @app.get("/<path:rest>")
    def anything(rest: str) -> str:
        return rest

    app.wsgi_app = AnalyticsWSGIMiddleware(app.wsgi_app, analytics=analytics)  # type: ignore[method-assign]
    return app


SERVERS = {
    "asgi": lambda analytics: run_asgi(starlette_app(analytics)),
    "wsgi": lambda analytics: run_wsgi(flask_app(analytics)),
}


# -- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", SERVERS)
def test_a_non_ascii_session_cookie_starts_a_new_session(
    flavour: str, analytics: Analytics, db_engine: Engine
) -> None:
    """Found by audit: `sp_sid=v1.\\xe9.1.2.x` answered 500 (UnicodeEncodeError in decode)."""
    with SERVERS[flavour](analytics) as base:
        for cookie in ("v1.\xe9.1.2.x", "v1.a.1.2.\xe9\xff", "\xe9" * 30):
            answer = _raw_request(
                base,
                f"GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: {CHROME}\r\n"
                f"Cookie: sp_sid={cookie}\r\nConnection: close\r\n\r\n",
            )
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            assert b"set-cookie: sp_sid=v1.sess_" in answer.lower()
    assert analytics.close()
    assert [event["status_code"] for event in _events(db_engine)] == [200, 200, 200]


def test_cookies_split_over_several_headers_keep_the_session(
    analytics: Analytics, db_engine: Engine
) -> None:
    """HTTP/2 clients may send each cookie in its own header (RFC 9113 §8.2.3); they were
    joined with ", " and the session cookie was lost."""
    with run_asgi(starlette_app(analytics)) as base:
        with httpx.Client(base_url=base) as client:
            first = client.get("/", headers={"user-agent": CHROME})
        cookie = first.headers["set-cookie"].split(";", 1)[0]
        # Another user agent, so that only the cookie (not the fingerprint) can keep it.
        _raw_request(
            base,
            f"GET / HTTP/1.1\r\nHost: t\r\nUser-Agent: {FIREFOX}\r\nCookie: theme=dark\r\n"
            f"Cookie: {cookie}\r\nCookie: lang=en\r\nConnection: close\r\n\r\n",
        )
    assert analytics.close()
    assert _session_count(db_engine) == 1
    assert len(_events(db_engine)) == 2


@pytest.mark.parametrize("flavour", SERVERS)
def test_a_client_that_leaves_mid_response_is_recorded_as_499(
    flavour: str, analytics: Analytics, db_engine: Engine
) -> None:
    with SERVERS[flavour](analytics) as base:
        head = f"GET /stream HTTP/1.1\r\nHost: t\r\nUser-Agent: {CHROME}\r\n\r\n"
        partial = _raw_request(base, head, read=8 * 1024)
        assert partial.startswith(b"HTTP/1.1 200")
        time.sleep(1.0)  # the server notices the hang-up on its next write
        complete = _raw_request(base, head.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"))
        assert len(complete) > CHUNKS * 1024
    assert analytics.close()
    left, finished = _events(db_engine)
    assert left["status_code"] == 499
    assert 0 < left["response_bytes"] < CHUNKS * 1024
    assert (finished["status_code"], finished["response_bytes"]) == (200, CHUNKS * 1024)


@pytest.mark.parametrize("flavour", SERVERS)
def test_an_app_that_fails_after_its_status_line_is_recorded_as_500(
    flavour: str, analytics: Analytics, db_engine: Engine
) -> None:
    """The client got a 200 status line and a broken body: an error, not a success."""
    with (
        SERVERS[flavour](analytics) as base,
        pytest.raises(httpx.HTTPError),
        httpx.Client(base_url=base) as client,
    ):
        client.get("/broken", headers={"user-agent": CHROME})
    assert analytics.close()
    (event,) = _events(db_engine)
    assert event["status_code"] == 500
    with db_engine.connect() as conn:
        assert conn.execute(select(sessions.c.error_count)).scalar_one() == 1


def test_latency_ends_with_the_response_not_its_background_task(
    analytics: Analytics, db_engine: Engine
) -> None:
    with run_asgi(starlette_app(analytics)) as base, httpx.Client(base_url=base) as client:
        answered = time.perf_counter()
        assert client.get("/background", headers={"user-agent": CHROME}).text == "done"
        assert time.perf_counter() - answered < 0.9  # the task runs after the answer
        time.sleep(1.2)  # let the background task end: the request is recorded then
    assert analytics.close()
    (event,) = _events(db_engine)
    assert event["status_code"] == 200
    assert event["latency_ms"] is not None and event["latency_ms"] < 900


def test_head_responses_count_no_body_bytes(analytics: Analytics, db_engine: Engine) -> None:
    with run_asgi(starlette_app(analytics)) as base, httpx.Client(base_url=base) as client:
        assert client.head("/", headers={"user-agent": CHROME}).content == b""
        assert client.get("/", headers={"user-agent": CHROME}).content == b"hello"
    assert analytics.close()
    assert [(e["method"], e["response_bytes"]) for e in _events(db_engine)] == [
        ("HEAD", 0),
        ("GET", 5),
    ]


def test_wsgi_paths_are_stored_as_the_text_the_browser_meant(
    analytics: Analytics, db_engine: Engine
) -> None:
    """PEP 3333 hands PATH_INFO over as latin-1-decoded bytes: `/café` arrived as `/cafÃ©`."""
    with run_wsgi(flask_app(analytics)) as base, httpx.Client(base_url=base) as client:
        assert client.get("/caf%C3%A9/%E2%82%AC", headers={"user-agent": CHROME}).text == ("café/€")
    assert analytics.close()
    assert [event["path"] for event in _events(db_engine)] == ["/café/€"]


def test_a_path_no_database_can_store_is_cleaned_not_lost(
    analytics: Analytics, db_engine: Engine
) -> None:
    """A server that decodes paths with surrogateescape passes lone surrogates on; the request
    is recorded with U+FFFD in their place (no server here produces one: called directly)."""
    app = starlette_app(analytics)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/caf\udce9-\ud800", "raw_path": b"/caf\xc3\xa9",
        "query_string": b"", "headers": [(b"user-agent", CHROME.encode())],
        "client": ("198.51.100.4", 5000), "server": ("t", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    asyncio.run(app({**scope, "path": "/caf\udcc3\udca9"}, receive, send))
    assert [message["status"] for message in sent if "status" in message] == [404, 404]
    assert analytics.close()
    assert analytics.writer.stats.rejected == 0
    assert [event["path"] for event in _events(db_engine)] == ["/caf\ufffd-\ufffd", "/café"]
