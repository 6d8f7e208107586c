"""The dashboard in real Chromium (Playwright) over demo data served by real uvicorn: log in,
every chart drawn with data and tooltips, the period picker changes the figures, a phone-sized
screen has no sideways scrolling, a wrong password says so, logout works, and the strict
Content-Security-Policy is never violated. Screenshots go to ``test-artifacts/``.

Needs Debian's ``/usr/bin/chromium`` and the ``playwright`` package: skipped with a message when
either is missing, a failure when ``SP_ANALYTICS_REQUIRE_SERVICES=1`` (as in CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import upgrade
from systemprompt_analytics.web.server import create_app
from tests.servers import run_asgi
from tests.services import services_required

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "browser-test-password"
TIME_CHARTS = ("visitors", "page-views", "ai-requests", "ai-cost")
CHARTS = (
    *TIME_CHARTS, "top-pages", "channels", "sources", "countries", "devices", "browsers",
    "bot-share", "bot-categories", "bot-reasons", "ai-crawlers", "cost-by-model", "latency",
    "tools", "funnel-1",
)  # fmt: skip
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def _need_browser(reason: str) -> NoReturn:
    message = f"browser tests need {reason}"
    if services_required():
        pytest.fail(f"{message}; SP_ANALYTICS_REQUIRE_SERVICES=1 makes this an error")
    pytest.skip(message)


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
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over eight days of demo data ending now, with a dashboard password."""
    directory = tmp_path_factory.mktemp("dashboard-browser")
    url = f"sqlite:///{directory / 'demo.db'}"
    engine = make_engine(url)
    upgrade(engine)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    generate_demo(engine, days=8, sessions=1500, seed=5, end=end)
    engine.dispose()
    settings = load_settings(
        database_url=url,
        data_dir=directory / "data",
        dashboard_password=PASSWORD,
        anomaly_enabled=False,
    )
    analytics = Analytics(settings, migrate=False)
    with run_asgi(create_app(analytics)) as base:
        yield base


@dataclass
class Session:
    context: BrowserContext
    page: Page
    problems: list[str]  # page errors and console errors (CSP violations are console errors)


@pytest.fixture
def session(browser: Browser) -> Iterator[Session]:
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, user_agent=DESKTOP_CHROME, color_scheme="light"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    yield Session(context, page, problems)
    context.close()


def _log_in(page: Page, base: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/")
    assert page.url == f"{base}/login"
    page.fill("#password", password)
    page.click("button[type=submit]")


def _card(page: Page, key: str) -> str:
    return page.inner_text(f'[data-card="{key}"] .value')


def test_a_wrong_password_says_so_and_the_form_still_works(base_url: str, session: Session) -> None:
    _log_in(session.page, base_url, "not the password")
    alert = session.page.locator('[role="alert"]')
    assert "Wrong password or token." in alert.inner_text()
    assert session.page.url == f"{base_url}/login"
    assert session.page.locator("#password").get_attribute("aria-describedby") == "login-error"
    assert not [c for c in session.context.cookies() if c["name"] == "sp_dashboard"]
    # The refusal's page is a working form again: the right password now gets in.
    session.page.fill("#password", PASSWORD)
    session.page.click("button[type=submit]")
    session.page.wait_for_url(f"{base_url}/")
    # 403 for the refused page itself is the expected answer, not a problem of the page.
    assert [p for p in session.problems if "403" not in p] == []


def test_the_dashboard_draws_every_chart_with_data(base_url: str, session: Session) -> None:
    page = session.page
    _log_in(page, base_url)
    page.wait_for_url(f"{base_url}/")
    cookie = next(c for c in session.context.cookies() if c["name"] == "sp_dashboard")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.inner_text("#period-label").startswith("Last 7 days")

    charts = page.eval_on_selector_all(
        "svg[data-chart]",
        """(svgs) => svgs.map((svg) => ({
            key: svg.dataset.chart,
            width: svg.getBoundingClientRect().width,
            sums: [...svg.querySelectorAll("[data-series]")].map((s) => Number(s.dataset.sum)),
            tooltips: svg.querySelectorAll("title").length,
            buckets: Number(svg.dataset.buckets || 0),
            hovers: svg.querySelectorAll("rect.hit > title").length,
        }))""",
    )
    assert [chart["key"] for chart in charts] == list(CHARTS)
    for chart in charts:
        assert chart["width"] > 200, chart
        assert chart["sums"] and max(chart["sums"]) > 0, chart
        assert chart["tooltips"] > 1, chart
        if chart["key"] in TIME_CHARTS:
            assert chart["buckets"] > 100  # hourly over 7 days
            assert chart["hovers"] == chart["buckets"], chart
    cards = page.eval_on_selector_all(
        "[data-card]", "(cards) => cards.map((c) => c.querySelector('.value').textContent)"
    )
    assert len(cards) == 12 and all(text.strip() for text in cards)
    assert page.locator("#anomalies .badge").count() > 0
    assert page.locator("#live tbody tr").count() > 0

    # A tooltip names the bucket and every series' value.
    title = page.text_content('svg[data-chart="visitors"] rect.hit >> nth=0 >> title') or ""
    assert "UTC:" in title and "Visitors" in title and "Bot sessions" in title
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)
    assert session.problems == []


def test_the_period_picker_changes_the_figures(base_url: str, session: Session) -> None:
    page = session.page
    _log_in(page, base_url)
    page.wait_for_url(f"{base_url}/")
    week = (_card(page, "visitors"), _card(page, "page-views"), _card(page, "ai-requests"))
    buckets_week = page.get_attribute('svg[data-chart="page-views"]', "data-buckets")

    page.click('nav.picker a[href="/?range=24h"]')
    page.wait_for_url(f"{base_url}/?range=24h")
    assert page.inner_text("#period-label").startswith("Last 24 hours")
    assert page.get_attribute('a[href="/?range=24h"]', "aria-current") == "page"
    day = (_card(page, "visitors"), _card(page, "page-views"), _card(page, "ai-requests"))
    assert day != week
    assert all(
        int(d.replace(",", "")) < int(w.replace(",", "")) for d, w in zip(day, week, strict=True)
    )
    assert page.get_attribute('svg[data-chart="page-views"]', "data-buckets") != buckets_week

    page.fill('input[name="since"]', "3d")
    page.fill('input[name="until"]', "1d")
    page.click("form.custom button[type=submit]")
    page.wait_for_url("**/?range=custom&since=3d&until=1d")
    assert "UTC" in page.inner_text("#period-label")
    custom = (_card(page, "visitors"), _card(page, "page-views"), _card(page, "ai-requests"))
    assert custom not in (day, week)

    page.fill('input[name="since"]', "the day before")
    page.click("form.custom button[type=submit]")
    assert page.inner_text("#page-error").startswith("since: cannot read 'the day before'")
    assert [p for p in session.problems if "400" not in p] == []


def test_a_phone_sized_screen_does_not_scroll_sideways(base_url: str, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=DESKTOP_CHROME,
    )
    page = context.new_page()
    _log_in(page, base_url)
    page.wait_for_url(f"{base_url}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px screen"
    too_wide = page.eval_on_selector_all(
        "main > section, .panel, svg[data-chart], header",
        "(els) => els.filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5)"
        ".map((e) => e.id || e.className.baseVal || e.className)",
    )
    assert too_wide == []
    label_size = page.eval_on_selector(
        'svg[data-chart="top-pages"] text.label', "(t) => getComputedStyle(t).fontSize"
    )
    assert label_size == "12px"  # chart text is not scaled down with the chart
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    context.close()


def test_logging_out_needs_a_new_login(base_url: str, session: Session) -> None:
    page = session.page
    _log_in(page, base_url)
    page.wait_for_url(f"{base_url}/")
    page.click("form.logout button[type=submit]")
    page.wait_for_url(f"{base_url}/login")
    page.goto(f"{base_url}/?range=30d")
    assert page.url == f"{base_url}/login"
    assert session.problems == []
