"""tracker.js in real Chromium (Playwright) against the example site served by real uvicorn.

Needs Debian's ``/usr/bin/chromium`` and the ``playwright`` package: skipped with a message when
either is missing, a failure when ``SP_ANALYTICS_REQUIRE_SERVICES=1`` (as in CI).

The page's clock is Playwright's fake clock, so reading time is "20 s" without the test
waiting 20 s. Beacons sent while a page unloads are invisible to Playwright's network events,
so the test waits for them where they arrive: a thin ASGI wrapper around the app counts the
collector's answers.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from sqlalchemy import select

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.schema import client_events, engagement_events, sessions
from tests.servers import run_asgi
from tests.services import services_required

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
COLLECT_PATH = "/api/v1/collect"
READING_MS = 20_000
# Headless Chromium says "HeadlessChrome", which the pipeline (rightly) calls a bot; the test
# visits as a desktop browser. Set browser-wide: beacons sent while a page unloads go out with
# the browser's user agent, not a per-page override.
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)

# Counts the tracker's transport calls inside the page, so "sent nothing" is checked where
# the tracker runs, not only where beacons arrive.
TRANSPORT_SPY = """
window.__collectCalls = 0;
const countCollect = (url) => { if (String(url).includes("/collect")) window.__collectCalls++; };
const beacon = navigator.sendBeacon.bind(navigator);
navigator.sendBeacon = (url, body) => { countCollect(url); return beacon(url, body); };
const realFetch = window.fetch;
window.fetch = (url, init) => { countCollect(url); return realFetch(url, init); };
"""

OPT_OUTS = {
    "do-not-track": "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'});",
    "localStorage flag": "localStorage.setItem('sp_analytics_optout', '1');",
    "window flag": "window.spaOptOut = true;",
    "data-opt-out attribute": None,  # set on the script tag by rewriting the served page
}


def _need_browser(reason: str) -> NoReturn:
    message = f"browser tests need {reason}"
    if services_required():
        pytest.fail(f"{message}; SP_ANALYTICS_REQUIRE_SERVICES=1 makes this an error")
    pytest.skip(message)


class BeaconLog:
    """ASGI wrapper recording each answer of ``POST /api/v1/collect``; tests wait on it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self._changed = threading.Condition()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        is_collect = scope["type"] == "http" and scope["path"] == COLLECT_PATH
        if not is_collect or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        status, body = 0, bytearray()

        async def record(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, record)
        with self._changed:
            self.answers.append((status, json.loads(body)))
            self._changed.notify_all()

    def accepted(self) -> int:
        return sum(answer["accepted"] for _, answer in self.answers)

    def wait_for_accepted(self, count: int, timeout: float = 15.0) -> None:
        with self._changed:
            arrived = self._changed.wait_for(lambda: self.accepted() >= count, timeout)
        assert arrived, f"waited for {count} accepted events, got {self.answers}"


@dataclass
class Site:
    base: str
    analytics: Analytics
    beacons: BeaconLog


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need_browser("the playwright package (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _need_browser(f"{CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", f"--user-agent={DESKTOP_CHROME}"],
        )
        yield launched
        launched.close()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    # The example module builds its own app from the environment on import: keep it in tmp.
    monkeypatch.setenv("SP_ANALYTICS_DATABASE_URL", f"sqlite:///{tmp_path / 'module.db'}")
    monkeypatch.setenv("SP_ANALYTICS_DATA_DIR", str(tmp_path / "data"))
    example = importlib.import_module("examples.tracked_site")
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'analytics.db'}", data_dir=tmp_path / "data"
    )
    analytics = Analytics(settings, site_hosts=["127.0.0.1"])
    beacons = BeaconLog(example.create_app(analytics))
    with run_asgi(beacons) as base:
        yield Site(base, analytics, beacons)
    analytics.close()


def _new_page(browser: Browser) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    # The outbound link leaves for python.org; answer it locally (no network in tests).
    context.route(
        "https://www.python.org/**",
        lambda route: route.fulfill(body="<h1>python.org</h1>", content_type="text/html"),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def _scroll_and_triple_click(page: Page) -> int:
    """Scroll the article about half way, triple-click a paragraph in view; returns the
    scroll depth the page now shows (percent)."""
    page.mouse.move(400, 400)
    page.mouse.wheel(0, 2400)
    page.wait_for_function("scrollY >= 2400")
    x, y = page.evaluate(
        """() => {
            const inView = [...document.querySelectorAll("main p")].find((p) => {
                const box = p.getBoundingClientRect();
                return box.top > 120 && box.bottom < innerHeight - 120;
            });
            const box = inView.getBoundingClientRect();
            return [box.left + 20, box.top + box.height / 2];
        }"""
    )
    page.mouse.click(x, y, click_count=3)
    return int(
        page.evaluate(
            "Math.round((scrollY + innerHeight) / document.documentElement.scrollHeight * 100)"
        )
    )


def _rows(analytics: Analytics, table: Any) -> list[dict[str, Any]]:
    with analytics.engine.connect() as conn:
        # Insertion order is arrival order: the writer appends in the order events came in.
        result = conn.execute(select(table).order_by(table.c.id))
        return [dict(row._mapping) for row in result]


def test_a_visit_is_reported_page_by_page(browser: Browser, site: Site) -> None:
    context, page, errors = _new_page(browser)
    page.clock.install()
    page.goto(f"{site.base}/article")
    depth = _scroll_and_triple_click(page)
    page.clock.run_for(READING_MS)  # reading; also fires the dead-click check (1 s)
    page.mouse.wheel(0, -2400)  # back to the top: the deepest point reached is what counts
    page.wait_for_function("scrollY === 0")
    page.click("#nav-app")  # a full navigation: pagehide sends the article's engagement
    page.wait_for_url(f"{site.base}/app")
    page.click("#app-pricing")  # SPA: pushState, engagement for /app, page view /app/pricing
    page.click("#signup")
    page.click("#buy")
    page.go_back()  # popstate: engagement for /app/pricing, page view /app
    assert page.evaluate("[localStorage.length, document.cookie]") == [0, ""]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tracker-example-app.png"), full_page=True)
    page.click("#nav-outbound")  # link_click, then pagehide: engagement for /app
    page.wait_for_url("https://www.python.org/")

    site.beacons.wait_for_accepted(11)
    assert site.analytics.flush()
    assert errors == []
    assert all(status == 202 and not answer["rejected"] for status, answer in site.beacons.answers)
    assert [cookie["name"] for cookie in context.cookies()] == ["sp_sid"]  # the host's, only
    context.close()

    events = _rows(site.analytics, client_events)
    engagement = _rows(site.analytics, engagement_events)
    views = [event for event in events if event["event_type"] == "page_view"]
    assert [view["path"] for view in views] == ["/article", "/app", "/app/pricing", "/app"]
    assert views[0]["title"] == "A long article"
    assert views[2]["referrer"] == f"{site.base}/app"  # an SPA view's referrer: the last view
    assert [row["path"] for row in engagement] == ["/article", "/app", "/app/pricing", "/app"]

    article = engagement[0]
    assert 0 < article["max_scroll_depth"] == depth < 100
    assert article["engaged_time_ms"] >= READING_MS
    assert article["visible_time_ms"] >= article["engaged_time_ms"]
    assert article["time_on_page_ms"] >= article["visible_time_ms"]
    # Three clicks on one spot (a rage click; only the first, before any text was selected,
    # was a dead click), then the click on the nav link.
    assert (article["click_count"], article["rage_click_count"]) == (4, 1)
    assert article["dead_click_count"] == 1
    assert 0 <= article["time_to_first_interaction_ms"] < article["time_on_page_ms"]
    assert article["reading_pattern"] == "scan"  # 20-45 s engaged

    by_type = {event["event_type"]: event for event in events if event["event_type"] != "page_view"}
    assert by_type["custom"]["name"] == "signup"
    assert by_type["custom"]["properties"] == {"plan": "pro"}
    assert by_type["custom"]["path"] == "/app/pricing"
    assert by_type["conversion"]["name"] == "purchase"
    assert by_type["conversion"]["properties"] == {"plan": "pro", "amount_usd": 49}
    assert by_type["link_click"]["target_url"] == "https://www.python.org/"
    assert by_type["link_click"]["path"] == "/app"
    assert len(events) == 7

    # One session: the beacons carried the session cookie the pages set.
    session_ids = {row["session_id"] for row in [*events, *engagement]}
    assert len(session_ids) == 1
    session = _rows(site.analytics, sessions)
    assert [row["id"] for row in session] == list(session_ids)
    assert session[0]["converted_at"] is not None
    assert not session[0]["is_bot"]


@pytest.mark.parametrize("opt_out", list(OPT_OUTS))
def test_do_not_track_and_opt_out_send_nothing(browser: Browser, site: Site, opt_out: str) -> None:
    context, page, errors = _new_page(browser)
    page.add_init_script(TRANSPORT_SPY)
    script = OPT_OUTS[opt_out]
    if script is not None:
        page.add_init_script(script)
    else:

        def with_attribute(route: Route) -> None:
            if route.request.resource_type != "document":
                route.continue_()
                return
            served = route.fetch()
            html = served.text().replace(" defer>", " defer data-opt-out>")
            route.fulfill(response=served, body=html)

        page.route(f"{site.base}/**", with_attribute)
    page.goto(f"{site.base}/app")
    page.click("#app-pricing")
    page.click("#signup")
    page.click("#buy")
    page.go_back()
    page.mouse.wheel(0, 400)
    page.evaluate("spa.track('after', {n: 1})")
    assert page.evaluate("window.__collectCalls") == 0
    page.goto(f"{site.base}/article")  # pagehide of /app: would send its engagement
    assert page.evaluate("window.__collectCalls") == 0
    context.close()  # the last page's pagehide

    # A visitor who did not opt out, in a fresh context: once their page view has arrived,
    # anything the opted-out pages had sent would have arrived before it.
    control, control_page, _ = _new_page(browser)
    control_page.goto(f"{site.base}/")
    site.beacons.wait_for_accepted(1)
    assert errors == []
    assert site.analytics.flush()
    assert [(row["event_type"], row["path"]) for row in _rows(site.analytics, client_events)] == [
        ("page_view", "/")
    ]
    assert _rows(site.analytics, engagement_events) == []
    control.close()


def test_opting_out_after_load_stops_what_follows(browser: Browser, site: Site) -> None:
    context, page, errors = _new_page(browser)
    page.add_init_script(TRANSPORT_SPY)
    page.goto(f"{site.base}/app")
    site.beacons.wait_for_accepted(1)  # the page view, sent before the visitor opted out
    page.evaluate("window.spaOptOut = true")
    page.click("#app-pricing")
    page.click("#signup")
    page.go_back()
    assert page.evaluate("window.__collectCalls") == 1
    context.close()
    assert errors == []
    assert site.analytics.flush()
    assert [(row["event_type"], row["path"]) for row in _rows(site.analytics, client_events)] == [
        ("page_view", "/app")
    ]
    assert _rows(site.analytics, engagement_events) == []
