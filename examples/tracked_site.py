"""A small FastAPI site with the browser tracker: page views, scroll depth, SPA navigation, events.

    pip install 'systemprompt-analytics' uvicorn
    uvicorn examples.tracked_site:app --port 8000
    # open http://127.0.0.1:8000/, scroll the article, click around the app, then:
    sp-analytics sessions live --include-bots

Three things wire the tracker in: the middleware (sessions), the collector router (it serves
``/api/v1/tracker.js`` and receives ``/api/v1/collect``) and one script tag per page.
``create_app(analytics)`` lets tests pass their own :class:`Analytics` (and database).
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from systemprompt_analytics import Analytics
from systemprompt_analytics.web import AnalyticsMiddleware
from systemprompt_analytics.web.collector import collector_router

OUTBOUND_URL = "https://www.python.org/"

# A fixed header: clicking its links never scrolls the page, so scroll depth stays what the
# visitor scrolled.
LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<script src="/api/v1/tracker.js" defer></script>
<style>
  body {{ font: 16px/1.6 system-ui, sans-serif; margin: 0; }}
  nav {{ position: fixed; top: 0; left: 0; right: 0; background: #f4f4f4; padding: 8px 16px; }}
  nav a {{ margin-right: 16px; }}
  main {{ padding: 56px 16px 16px; max-width: 720px; }}
</style>
</head>
<body>
<nav>
  <a id="nav-home" href="/">Home</a>
  <a id="nav-article" href="/article">Article</a>
  <a id="nav-app" href="/app">App</a>
  <a id="nav-outbound" href="{outbound}">python.org</a>
</nav>
<main>{body}</main>
</body>
</html>
"""

HOME = """<h1>Tracked site</h1>
<p>Every page loads <code>/api/v1/tracker.js</code>. Read the <a href="/article">article</a>,
try the <a href="/app">single-page app</a> or leave for <a href="{outbound}">python.org</a>.</p>
<button id="signup" onclick="spa.track('signup', {{plan: 'pro'}})">Sign up (custom event)</button>
"""

ARTICLE_PARAGRAPH = (
    "<p>Paragraph {n}. Scroll depth is the share of the page that has been on screen; the "
    "tracker measures it at most once per animation frame while you scroll, and reports the "
    "deepest point when you leave the page.</p>"
)

# The SPA: links marked data-spa are handled in the page with history.pushState and a
# content swap; the back button (popstate) renders the view for the restored path.
APP = """<h1>App</h1>
<p>
  <a id="app-home" data-spa href="/app">Overview</a>
  <a id="app-pricing" data-spa href="/app/pricing">Pricing</a>
  <a id="app-settings" data-spa href="/app/settings">Settings</a>
</p>
<section id="view"></section>
<button id="signup" onclick="spa.track('signup', {plan: 'pro'})">Sign up</button>
<button id="buy" onclick="spa.conversion('purchase', {plan: 'pro', amount_usd: 49})">Buy</button>
<script>
  const views = {
    "/app": "<h2>Overview</h2><p>Your dashboard.</p>",
    "/app/pricing": "<h2>Pricing</h2><p>Pro: $49 a month.</p>",
    "/app/settings": "<h2>Settings</h2><p>Nothing to configure yet.</p>",
  };
  const render = () => {
    document.getElementById("view").innerHTML = views[location.pathname] || "<h2>Not found</h2>";
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-spa]");
    if (!link) return;
    event.preventDefault();
    history.pushState({}, "", link.getAttribute("href"));
    render();
  });
  addEventListener("popstate", render);
  render();
</script>
"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(LAYOUT.format(title=escape(title), body=body, outbound=OUTBOUND_URL))


def create_app(analytics: Analytics | None = None) -> FastAPI:
    analytics = analytics or Analytics.from_env(site_hosts=["localhost", "127.0.0.1"])
    app = FastAPI(title="Tracked site", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(AnalyticsMiddleware, analytics=analytics)
    app.include_router(collector_router(analytics), prefix="/api/v1")

    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        return _page("Tracked site", HOME.format(outbound=OUTBOUND_URL))

    @app.get("/article", response_class=HTMLResponse)
    def article() -> HTMLResponse:
        paragraphs = "\n".join(ARTICLE_PARAGRAPH.format(n=n) for n in range(1, 81))
        return _page("A long article", f"<h1>A long article</h1>\n{paragraphs}")

    @app.get("/app", response_class=HTMLResponse)
    @app.get("/app/{view}", response_class=HTMLResponse)
    def spa_shell(view: str = "") -> HTMLResponse:
        return _page("App", APP)

    return app


app = create_app()
