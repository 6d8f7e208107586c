"""The collector over HTTP: a real FastAPI app with the router, driven through uvicorn (or
httpx's ASGI transport where a server would not let a request lie), storing on both databases."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, select

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.ingest.writer import WriterConfig
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.schema import (
    client_events,
    engagement_events,
    request_events,
    sessions,
)
from systemprompt_analytics.web import AnalyticsMiddleware
from systemprompt_analytics.web.collector import collector_router
from systemprompt_analytics.web.collector.contract import MAX_BODY_BYTES
from tests.servers import run_asgi

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BROWSER = {"user-agent": CHROME}
COLLECT = "/api/v1/collect"


@pytest.fixture
def make_analytics(db_engine: Engine, database_url: str, tmp_path: Path) -> Iterator[Any]:
    made: list[Analytics] = []

    def make(writer_config: WriterConfig | None = None, **settings: Any) -> Analytics:
        values = {"database_url": database_url, "data_dir": tmp_path / "data", **settings}
        analytics = Analytics(
            load_settings(**values), engine=db_engine, writer_config=writer_config,
            site_hosts=["example.test"],
        )  # fmt: skip
        made.append(analytics)
        return analytics

    yield make
    for analytics in made:
        analytics.close()


@pytest.fixture
def analytics(make_analytics: Any) -> Analytics:
    return make_analytics()  # type: ignore[no-any-return]


def collector_app(analytics: Analytics, *, middleware: bool = False) -> FastAPI:
    app = FastAPI()
    app.include_router(collector_router(analytics), prefix="/api/v1")

    @app.get("/docs/{page}", response_class=HTMLResponse)
    async def page(page: str) -> str:
        return f"<title>{page}</title>"

    if middleware:
        app.add_middleware(AnalyticsMiddleware, analytics=analytics)
    return app


def asgi_request(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request through httpx's ASGI transport, which passes any header as it is."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://example.test") as c:
            return await c.request(method, path, **kwargs)

    return asyncio.run(send())


def rows(engine: Engine, table: Any, *order: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execute(select(table).order_by(*(order or (table.c.id,))))
        return [dict(row._mapping) for row in result]


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


MIXED_BATCH = [
    {"type": "page_view", "id": "evt_page_0001", "url": "https://example.test/docs/intro/?x=1",
     "referrer": "https://www.google.com/search?q=secret", "title": "Intro"},
    {"type": "engagement", "id": "evt_engage_01", "url": "/docs/intro", "time_on_page_ms": 64000,
     "visible_ms": 60000, "engaged_ms": 42000, "first_interaction_ms": 1200, "scroll_depth": 90,
     "clicks": 4, "rage_clicks": 1, "dead_clicks": 2, "reading_pattern": "read"},
    {"type": "link_click", "id": "evt_link_0001", "url": "/docs/intro",
     "target": "https://github.com/systemprompt"},
    {"type": "scroll", "url": "/docs/intro", "scroll_depth": 75},
    {"type": "bogus", "url": "/docs/intro"},
    {"type": "custom", "id": "evt_custom_01", "name": "copy_code", "props": {"lang": "py", "n": 2}},
    {"type": "scroll", "url": "/docs/intro", "scroll_depth": 175},
    {"type": "conversion", "id": "evt_convert1", "name": "signup", "url": "/signup"},
    {"type": "custom", "name": "x", "colour": "red"},
]  # fmt: skip


def test_a_mixed_batch_stores_exactly_its_valid_events(
    analytics: Analytics, db_engine: Engine
) -> None:
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        response = client.post(COLLECT, json={"events": MIXED_BATCH}, headers=BROWSER)
    assert response.status_code == 202
    assert response.json() == {
        "accepted": 6,
        "rejected": [
            {"index": 4, "field": "type", "error": "must be one of page_view, engagement, "
             "link_click, scroll, conversion, custom"},
            {"index": 6, "field": "scroll_depth", "error": "must be an integer from 0 to 100"},
            {"index": 8, "field": "colour", "error": "unknown field"},
        ],
    }  # fmt: skip
    assert analytics.close()

    stored = rows(db_engine, client_events)
    assert [(r["event_type"], r["client_event_id"]) for r in stored] == [
        ("page_view", "evt_page_0001"), ("link_click", "evt_link_0001"), ("scroll", None),
        ("custom", "evt_custom_01"), ("conversion", "evt_convert1"),
    ]  # fmt: skip
    page_view, link, scroll, custom, conversion = stored
    assert page_view["path"] == "/docs/intro" and page_view["title"] == "Intro"
    assert page_view["referrer"] == "https://www.google.com/search"
    assert link["target_url"] == "https://github.com/systemprompt"
    assert scroll["scroll_depth"] == 75
    assert custom["properties"] == {"lang": "py", "n": 2} and custom["path"] is None
    assert conversion["name"] == "signup" and conversion["path"] == "/signup"
    assert len({r["session_id"] for r in stored}) == 1

    (engagement,) = rows(db_engine, engagement_events)
    assert engagement["session_id"] == page_view["session_id"]
    assert (engagement["path"], engagement["engaged_time_ms"], engagement["max_scroll_depth"]) == (
        "/docs/intro", 42000, 90,
    )  # fmt: skip
    assert (engagement["rage_click_count"], engagement["dead_click_count"]) == (1, 2)
    assert engagement["time_to_first_interaction_ms"] == 1200
    assert engagement["reading_pattern"] == "read"

    (session,) = rows(db_engine, sessions)
    assert session["id"] == page_view["session_id"]
    assert (session["request_count"], session["event_count"]) == (1, 6)
    assert session["page_view_count"] == 0  # a beacon is activity, never a page view
    assert session["converted_at"] is not None
    (request,) = rows(db_engine, request_events)
    assert (request["method"], request["path"], request["kind"], request["status_code"]) == (
        "POST", COLLECT, "beacon", 202,
    )  # fmt: skip


def test_replayed_ids_store_nothing_new_in_this_process_or_another(
    make_analytics: Any, db_engine: Engine
) -> None:
    first = make_analytics()
    with run_asgi(collector_app(first)) as base, httpx.Client(base_url=base) as client:
        for _ in range(2):  # a tracker retry to the same process
            response = client.post(COLLECT, json={"events": MIXED_BATCH}, headers=BROWSER)
            assert response.json()["accepted"] == 6
    assert first.close()
    once = rows(db_engine, client_events)
    (session,) = rows(db_engine, sessions)
    # Only the id-less scroll event of the retry is new: without an id it cannot be recognised.
    assert [r["event_type"] for r in once].count("scroll") == 2 and len(once) == 5 + 1
    assert len(rows(db_engine, engagement_events)) == 1
    assert session["event_count"] == 6 + 1

    second = make_analytics()  # another instance: only the database knows what is stored
    with run_asgi(collector_app(second)) as base, httpx.Client(base_url=base) as client:
        response = client.post(COLLECT, json={"events": MIXED_BATCH[:3]}, headers=BROWSER)
    assert response.status_code == 202
    assert second.close()
    assert rows(db_engine, client_events) == once
    assert len(rows(db_engine, engagement_events)) == 1


def test_a_single_event_sent_as_text_plain_by_send_beacon(
    analytics: Analytics, db_engine: Engine
) -> None:
    body = json.dumps({"type": "custom", "name": "play_video", "props": {"id": "v1"}})
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        response = client.post(
            COLLECT, content=body, headers={**BROWSER, "content-type": "text/plain;charset=UTF-8"}
        )
        invalid = client.post(
            COLLECT, content='{"type": "custom"}', headers={"content-type": "text/plain"}
        )
    assert (response.status_code, response.json()) == (202, {"accepted": 1, "rejected": []})
    assert invalid.status_code == 400
    assert invalid.json() == {
        "accepted": 0,
        "rejected": [{"index": 0, "field": "name", "error": "required for custom events"}],
    }
    assert analytics.close()
    assert [r["name"] for r in rows(db_engine, client_events)] == ["play_video"]


@pytest.mark.parametrize(
    ("content", "field", "message"),
    [
        (b"not json", "body", "not JSON"),
        (b"\xff\xfe", "body", "not UTF-8"),
        (b"[1, 2]", "body", "must be a JSON object"),
        (b'{"events": []}', "events", "array of 1 to 100 events"),
        (b'{"events": [{"type": "scroll"}, 5]}', "url", "required for scroll events"),
    ],
)
def test_bodies_without_a_valid_event_get_400(
    analytics: Analytics, db_engine: Engine, content: bytes, field: str, message: str
) -> None:
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        response = client.post(
            COLLECT, content=content, headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    body = response.json()
    assert body["accepted"] == 0
    assert (body["rejected"][0]["index"], body["rejected"][0]["field"]) == (0, field)
    assert message in body["rejected"][0]["error"]
    assert analytics.close()
    assert rows(db_engine, client_events) == []
    assert [r["status_code"] for r in rows(db_engine, request_events)] == [400]


@pytest.mark.parametrize(
    "content_type", [None, "application/x-www-form-urlencoded", "text/plain; charset=latin-1"]
)
def test_other_media_types_get_415(analytics: Analytics, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    app = collector_app(analytics)
    response = asgi_request(app, "POST", COLLECT, content=b'{"type": "custom", "name": "x"}',
                            headers=headers)  # fmt: skip
    assert response.status_code == 415
    (rejected,) = response.json()["rejected"]
    assert rejected["field"] == "Content-Type" and response.json()["accepted"] == 0


def _padded(size: int) -> bytes:
    """A valid single-event body of exactly ``size`` bytes (JSON allows trailing spaces)."""
    body = json.dumps({"type": "custom", "name": "padded"}).encode()
    return body + b" " * (size - len(body))


def test_bodies_over_64_kib_get_413_however_they_are_sent(
    analytics: Analytics, db_engine: Engine
) -> None:
    json_type = {"content-type": "application/json"}
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        at_limit = client.post(COLLECT, content=_padded(MAX_BODY_BYTES), headers=json_type)
        declared = client.post(COLLECT, content=_padded(MAX_BODY_BYTES + 1), headers=json_type)
        chunks = [_padded(MAX_BODY_BYTES + 1)[i : i + 4096] for i in range(0, 65_537, 4096)]
        chunked = client.post(COLLECT, content=iter(chunks), headers=json_type)
    assert at_limit.status_code == 202
    assert declared.status_code == 413
    assert chunked.status_code == 413 and "content-length" not in chunked.request.headers
    # A Content-Length that lies (no HTTP server would pass this on; an ASGI app might get it).
    lying = asgi_request(
        collector_app(analytics), "POST", COLLECT, content=_padded(200_000),
        headers={**json_type, "content-length": "100"},
    )  # fmt: skip
    assert lying.status_code == 413
    for response in (declared, chunked, lying):
        assert response.json() == {
            "accepted": 0,
            "rejected": [{"index": 0, "field": "body", "error": "larger than 65,536 bytes"}],
        }
    assert analytics.close()
    assert [r["name"] for r in rows(db_engine, client_events)] == ["padded"]


def test_cors_only_for_configured_origins(make_analytics: Any) -> None:
    allowed, other = "https://www.example.test", "https://evil.example"
    analytics = make_analytics(collector_cors_origins=allowed)
    event = {"type": "custom", "name": "x"}
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "content-type"}  # fmt: skip
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        ok = client.post(COLLECT, json=event, headers={"origin": allowed})
        foreign = client.post(COLLECT, json=event, headers={"origin": other})
        asked = client.options(COLLECT, headers={"origin": allowed, **preflight})
        refused = client.options(COLLECT, headers={"origin": other, **preflight})
        plain = client.options(COLLECT)
    assert ok.status_code == 202
    assert ok.headers["access-control-allow-origin"] == allowed
    assert ok.headers["access-control-allow-credentials"] == "true"
    assert ok.headers["vary"] == "Origin"
    # Not listed: no CORS headers, so the browser keeps the answer from the page.
    assert foreign.status_code == 202 and "access-control-allow-origin" not in foreign.headers
    assert asked.status_code == 204
    assert asked.headers["access-control-allow-origin"] == allowed
    assert asked.headers["access-control-allow-methods"] == "POST"
    assert "content-type" in asked.headers["access-control-allow-headers"].lower()
    assert int(asked.headers["access-control-max-age"]) > 0
    assert refused.status_code == 403
    assert not any(name.startswith("access-control-") for name in refused.headers)
    assert other in refused.text
    assert plain.status_code == 204 and plain.headers["allow"] == "POST, OPTIONS"


def test_same_origin_only_by_default(analytics: Analytics) -> None:
    app = collector_app(analytics)
    response = asgi_request(
        app, "OPTIONS", COLLECT,
        headers={"origin": "http://example.test", "access-control-request-method": "POST"},
    )  # fmt: skip
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.usefixtures("clear_of_minute_edge")  # a 2–3/minute limit
def test_over_the_rate_limit_gets_429_with_retry_after(
    make_analytics: Any, db_engine: Engine
) -> None:
    analytics = make_analytics(throttle_rate="2/minute")
    event = {"type": "custom", "name": "x"}
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        statuses = [client.post(COLLECT, json=event, headers=BROWSER).status_code for _ in range(2)]
        refused = client.post(COLLECT, json=event, headers=BROWSER)
    assert statuses == [202, 202]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-limit"] == "2"
    (rejected,) = refused.json()["rejected"]
    assert rejected["field"] == "body" and "too many requests" in rejected["error"]
    assert analytics.close()
    assert len(rows(db_engine, client_events)) == 2
    assert sorted(r["status_code"] for r in rows(db_engine, request_events)) == [202, 202, 429]


@pytest.mark.usefixtures("clear_of_minute_edge")  # a 2–3/minute limit
def test_behind_the_middleware_events_join_the_page_session_and_count_once(
    make_analytics: Any, db_engine: Engine
) -> None:
    analytics = make_analytics(throttle_rate="3/minute")
    app = collector_app(analytics, middleware=True)
    events = {"events": [{"type": "page_view", "url": "/docs/a"}, {"type": "scroll",
              "url": "/docs/a", "scroll_depth": 40}]}  # fmt: skip
    with run_asgi(app) as base, httpx.Client(base_url=base) as client:
        page = client.get("/docs/a", headers=BROWSER)
        beacons = [client.post(COLLECT, json=events, headers=BROWSER) for _ in range(2)]
        refused = client.post(COLLECT, json=events, headers=BROWSER)  # the middleware's 4th
    assert page.status_code == 200 and "set-cookie" in page.headers
    # The middleware throttled each request once; the collector did not count them again.
    assert [b.status_code for b in beacons] == [202, 202]
    assert all("set-cookie" not in b.headers for b in beacons)
    assert refused.status_code == 429
    assert analytics.close()
    (session,) = rows(db_engine, sessions)
    assert (session["page_view_count"], session["request_count"]) == (1, 4)
    assert session["event_count"] == 4
    assert session["landing_page"] == "/docs/a"
    assert {r["session_id"] for r in rows(db_engine, client_events)} == {session["id"]}
    kinds = sorted((r["kind"], r["status_code"]) for r in rows(db_engine, request_events))
    assert kinds == [("beacon", 202), ("beacon", 202), ("beacon", 429), ("page", 200)]


def test_without_the_middleware_the_collector_keeps_the_session_by_cookie(
    analytics: Analytics, db_engine: Engine
) -> None:
    event = {"type": "custom", "name": "x"}
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        first = client.post(COLLECT, json=event, headers=BROWSER)
        second = client.post(COLLECT, json=event, headers=BROWSER)
    assert "HttpOnly" in first.headers["set-cookie"]
    assert "set-cookie" not in second.headers
    assert analytics.close()
    (session,) = rows(db_engine, sessions)
    assert (session["request_count"], session["event_count"], session["page_view_count"]) == (
        2, 2, 0,
    )  # fmt: skip
    assert session["browser"] == "Chrome" and not session["is_bot"]


def _converted_at(engine: Engine) -> datetime | None:
    (session,) = rows(engine, sessions)
    return session["converted_at"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("settings", "name", "converts"),
    [
        ({}, "signup", True),
        ({}, "purchase", True),
        ({}, "newsletter", False),
        ({"conversion_events": "newsletter"}, "newsletter", True),
        ({"conversion_events": "newsletter"}, "signup", False),
    ],
)
def test_listed_custom_events_mark_the_session_converted(
    make_analytics: Any, db_engine: Engine, settings: dict[str, str], name: str, converts: bool
) -> None:
    analytics = make_analytics(**settings)
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        client.post(COLLECT, json={"type": "custom", "name": name}, headers=BROWSER)
    assert analytics.close()
    assert (_converted_at(db_engine) is not None) is converts


def test_a_conversion_event_converts_and_the_first_time_is_kept(
    analytics: Analytics, db_engine: Engine
) -> None:
    sent = now_ms()
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        client.post(COLLECT, json={"type": "page_view", "url": "/"}, headers=BROWSER)
        assert analytics.flush()
        client.post(COLLECT, json={"type": "conversion", "name": "trial", "ts": sent + 1000},
                    headers=BROWSER)  # fmt: skip
        assert analytics.flush()
        client.post(COLLECT, json={"type": "conversion", "name": "paid", "ts": sent + 2000},
                    headers=BROWSER)  # fmt: skip
    assert analytics.close()
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=sent + 1000)
    assert _converted_at(db_engine) == expected


def test_client_times_are_kept_unless_implausible(analytics: Analytics, db_engine: Engine) -> None:
    sent = now_ms()
    events = [
        {"type": "custom", "name": "hour_ago", "ts": sent - 3_600_000},
        {"type": "custom", "name": "two_days_ago", "ts": sent - 2 * 86_400_000},
        {"type": "custom", "name": "next_week", "ts": sent + 7 * 86_400_000},
    ]
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        client.post(COLLECT, json={"events": events}, headers=BROWSER)
    assert analytics.close()
    stored = {r["name"]: r for r in rows(db_engine, client_events)}
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert stored["hour_ago"]["occurred_at"] == epoch + timedelta(milliseconds=sent - 3_600_000)
    for name in ("two_days_ago", "next_week"):
        assert stored[name]["occurred_at"] == stored[name]["received_at"]
        assert abs(stored[name]["received_at"] - datetime.now(UTC)) < timedelta(minutes=1)


def test_events_the_writer_has_no_room_for_get_503(make_analytics: Any, db_engine: Engine) -> None:
    # Nothing drains the queue until close(): two items fit, the third event does not.
    analytics = make_analytics(WriterConfig(flush_interval=600, max_pending=2))
    events = [{"type": "custom", "name": f"e{i}", "id": f"evt_full_{i:03}"} for i in range(3)]
    app = collector_app(analytics)
    response = asgi_request(app, "POST", COLLECT, json={"events": events})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(2, "event")]
    assert "overloaded" in body["rejected"][0]["error"]
    analytics.close()
    assert [r["name"] for r in rows(db_engine, client_events)] == ["e0", "e1"]


def test_tracker_js_is_served_with_an_etag_and_revalidated_with_304(analytics: Analytics) -> None:
    script = files("systemprompt_analytics.web").joinpath("static/tracker.js").read_bytes()
    with run_asgi(collector_app(analytics)) as base, httpx.Client(base_url=base) as client:
        served = client.get("/api/v1/tracker.js")
        again = client.get("/api/v1/tracker.js", headers={"if-none-match": served.headers["etag"]})
        stale = client.get("/api/v1/tracker.js", headers={"if-none-match": '"old"'})
        head = client.head("/api/v1/tracker.js")
    assert served.status_code == 200 and served.content == script
    assert served.headers["content-type"].startswith("application/javascript")
    assert "max-age=" in served.headers["cache-control"]
    assert served.headers["etag"].startswith('"')
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == served.headers["etag"]
    assert stale.status_code == 200 and stale.content == script
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == served.headers["etag"]


def test_the_openapi_document_describes_the_collector(analytics: Analytics) -> None:
    document = collector_app(analytics).openapi()
    collect = document["paths"][COLLECT]["post"]
    assert set(collect["requestBody"]["content"]) == {"application/json", "text/plain"}
    assert {"202", "400", "413", "415", "429"} <= set(collect["responses"])
    assert "get" in document["paths"]["/api/v1/tracker.js"]
