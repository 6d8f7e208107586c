"""A FastAPI/Starlette app with systemprompt-analytics in five lines.

    pip install 'systemprompt-analytics' uvicorn starlette
    uvicorn examples.starlette_app:app --port 8000
    curl -i http://127.0.0.1:8000/            # note the sp_sid cookie
    sp-analytics sessions live --include-bots # after a minute of traffic

With FastAPI the same two lines apply: ``app.add_middleware(AnalyticsMiddleware, analytics=...)``.
"""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from systemprompt_analytics import Analytics
from systemprompt_analytics.web import AnalyticsMiddleware


async def home(request: Request) -> HTMLResponse:
    return HTMLResponse("<h1>Hello</h1><p><a href='/pricing'>Pricing</a></p>")


async def pricing(request: Request) -> HTMLResponse:
    return HTMLResponse("<h1>Pricing</h1>")


async def me(request: Request) -> JSONResponse:
    # Tell analytics who the user is once your auth has run:
    request.state.analytics_user_id = "user_123"
    return JSONResponse({"user": "user_123"})


app = Starlette(routes=[Route("/", home), Route("/pricing", pricing), Route("/api/me", me)])
app.add_middleware(AnalyticsMiddleware, analytics=Analytics.from_env(site_hosts=["localhost"]))
