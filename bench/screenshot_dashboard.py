"""Write ``docs/dashboard.png``: the dashboard over the default demo data, at desktop size.

    .venv/bin/python -m bench.screenshot_dashboard [--output docs/dashboard.png]
        [--database-url URL] [--range 7d] [--width 1440] [--height 1200] [--full-page]

Without ``--database-url`` a scratch SQLite database gets the default demo (what
``sp-analytics demo`` writes: 14 days, 20,000 sessions, seed 42, ending now), which takes
about half a minute. The app is served by uvicorn on a free local port; Debian's Chromium
(``/usr/bin/chromium``, headless, light colour scheme) logs in with a throwaway API token and
takes the screenshot. Nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from bench.help_format import HelpFormat
from systemprompt_analytics.config import load_settings
from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import upgrade
from systemprompt_analytics.web.server import create_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
TOKEN = "screenshot-token"
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def demo_database(directory: Path) -> str:
    url = f"sqlite:///{directory / 'demo.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        generate_demo(engine, end=datetime.now(UTC).replace(second=0, microsecond=0))
    finally:
        engine.dispose()
    return url


@contextlib.contextmanager
def serving(database_url: str, data_dir: Path) -> Iterator[str]:
    """The app on a free local port (uvicorn in a thread); yields its base URL."""
    settings = load_settings(
        database_url=database_url, data_dir=data_dir, api_token=TOKEN, anomaly_enabled=False
    )
    app = create_app(Analytics(settings, migrate=True))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def screenshot(base: str, output: Path, args: argparse.Namespace) -> None:
    from playwright.sync_api import sync_playwright  # the test extra, not a runtime dependency

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        context = browser.new_context(
            viewport={"width": args.width, "height": args.height},
            color_scheme="light",
            user_agent=DESKTOP_CHROME,
        )
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#password", TOKEN)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        if args.range != "7d":
            page.goto(f"{base}/?range={args.range}")
        page.wait_for_selector("svg[data-chart]")
        output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(output), full_page=args.full_page)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormat)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "dashboard.png")
    parser.add_argument("--database-url", help="a database that already holds (demo) data")
    parser.add_argument("--range", default="7d", choices=("24h", "7d", "30d"))
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1200)
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sp-dashboard-") as scratch:
        directory = Path(scratch)
        url = args.database_url or demo_database(directory)
        with serving(url, directory / "data") as base:
            screenshot(base, args.output, args)
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
