"""The dashboard's pages: ``GET /`` (the dashboard), ``GET|POST /login``, ``POST /logout`` and
the stylesheet under ``/dashboard/static/``.

Every page answers ``Cache-Control: no-store``; unauthenticated requests for ``/`` are sent
to the login page (303). Errors are pages that say what was not accepted and keep the form
usable; no password, token or cookie value is ever logged.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.exc import SQLAlchemyError

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.web.ingestion.body import BodyError
from systemprompt_analytics.web.server.dashboard.assemble import build_dashboard
from systemprompt_analytics.web.server.dashboard.auth import (
    DashboardAuth,
    from_this_site,
    is_secure,
)
from systemprompt_analytics.web.server.dashboard.credentials import NOT_CONFIGURED
from systemprompt_analytics.web.server.dashboard.csrf import (
    LOGIN_COOKIE,
    LOGIN_COOKIE_MAX_AGE,
    form_token,
    new_nonce,
    token_matches,
    valid_nonce,
)
from systemprompt_analytics.web.server.dashboard.forms import read_form
from systemprompt_analytics.web.server.dashboard.render import render
from systemprompt_analytics.web.server.dashboard.session import (
    COOKIE_NAME,
    LIFETIME_SECONDS,
    clear_cookie_header,
    cookie_header,
    encode,
    issue,
)
from systemprompt_analytics.web.server.dashboard.static import ASSETS, CACHE_CONTROL, STATIC_PREFIX
from systemprompt_analytics.web.server.dashboard.window import PRESET_LABELS, parse_window

logger = logging.getLogger("systemprompt_analytics.web.dashboard")

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
NO_STORE = {"Cache-Control": "no-store"}
WRONG_CREDENTIAL = "Wrong password or token."
FORGED = "The form did not come from this dashboard (or it expired): please try again."


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(_root(request) + path, status_code=303, headers=NO_STORE)


class LoginPage:
    """Renders the login form with a fresh form token bound to a pre-login cookie."""

    def __init__(self, auth: DashboardAuth) -> None:
        self.auth = auth

    def __call__(
        self,
        request: Request,
        status: int = 200,
        error: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        nonce = request.cookies.get(LOGIN_COOKIE)
        if nonce is None or not valid_nonce(nonce) or status != 200:
            nonce = new_nonce()  # a new token after every refusal
        html = render(
            "login.html",
            root=_root(request),
            csrf=form_token(self.auth.login_form_key, nonce),
            error=error,
            configured=self.auth.credentials.configured,
            not_configured=NOT_CONFIGURED,
        )
        response = HTMLResponse(html, status, headers={**NO_STORE, **(headers or {})})
        response.headers.append(
            "set-cookie",
            cookie_header(
                LOGIN_COOKIE,
                nonce,
                max_age=LOGIN_COOKIE_MAX_AGE,
                secure=is_secure(request),
                path=_root(request) + LOGIN_PATH,
            ),
        )
        return response


def _form_token_ok(auth: DashboardAuth, request: Request, presented: str) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE)
    return valid_nonce(nonce) and token_matches(auth.login_form_key, nonce or "", presented)


def dashboard_router(analytics: Analytics) -> APIRouter:
    auth = DashboardAuth(analytics.settings)
    login_page = LoginPage(auth)
    router = APIRouter(include_in_schema=False)

    @router.get(LOGIN_PATH)
    def show_login(request: Request) -> Response:
        if auth.current(request) is not None:
            return _redirect(request, "/")
        return login_page(request)

    @router.post(LOGIN_PATH)
    async def log_in(request: Request) -> Response:
        client = auth.client(request)
        if not from_this_site(request):
            return login_page(request, 403, FORGED)
        wait = auth.limiter.retry_after(client)
        if wait is not None:
            logger.warning("dashboard login refused: too many failures from %s", client)
            message = f"Too many failed logins: try again in {wait} seconds."
            return login_page(request, 429, message, {"Retry-After": str(wait)})
        try:
            form = await read_form(request)
        except BodyError as exc:
            return login_page(request, exc.status, f"{exc.field}: {exc.problem}")
        if not _form_token_ok(auth, request, form.get("csrf", "")):
            return login_page(request, 403, FORGED)
        if not auth.credentials.configured:
            return login_page(request, 503, NOT_CONFIGURED)
        password = form.get("password", "")
        if not password:
            return login_page(request, 400, "password: enter the API token or the password.")
        if not auth.credentials.accepts(password):
            auth.limiter.failed(client)
            logger.warning("dashboard login failed from %s", client)
            return login_page(request, 403, WRONG_CREDENTIAL)
        session = issue(time.time())
        logger.info("dashboard login from %s", client)
        response = _redirect(request, "/")
        secure = is_secure(request)
        response.headers.append(
            "set-cookie",
            cookie_header(
                COOKIE_NAME,
                encode(session, auth.session_key),
                max_age=LIFETIME_SECONDS,
                secure=secure,
                path=_root(request) + "/",
            ),
        )
        response.headers.append(
            "set-cookie",
            clear_cookie_header(LOGIN_COOKIE, secure=secure, path=_root(request) + LOGIN_PATH),
        )
        return response

    @router.post(LOGOUT_PATH)
    async def log_out(request: Request) -> Response:
        session = auth.current(request)
        if session is not None:
            try:
                form = await read_form(request)
            except BodyError as exc:
                return _plain_page(request, exc.status, f"{exc.field}: {exc.problem}")
            forged = not from_this_site(request) or not token_matches(
                auth.session_key, session.id, form.get("csrf", "")
            )
            if forged:
                return _plain_page(request, 403, FORGED)
            auth.logged_out.add(session, time.time())
        response = _redirect(request, LOGIN_PATH)
        response.headers.append(
            "set-cookie",
            clear_cookie_header(COOKIE_NAME, secure=is_secure(request), path=_root(request) + "/"),
        )
        return response

    @router.get("/")
    def dashboard(request: Request) -> Response:  # sync: FastAPI runs it in a thread
        session = auth.current(request)
        if session is None:
            return _redirect(request, LOGIN_PATH)
        now = datetime.now(UTC)
        context: dict[str, Any] = {
            "root": _root(request),
            "csrf": form_token(auth.session_key, session.id),
            "presets": PRESET_LABELS,
            "params": {
                name: request.query_params.get(name, "") for name in ("range", "since", "until")
            },
            "window": None,
            "dashboard": None,
            "error": None,
        }
        try:
            window = parse_window(request.query_params, now)
        except InvalidInputError as exc:
            context["error"] = str(exc)
            return HTMLResponse(render("dashboard.html", **context), 400, headers=NO_STORE)
        context["window"] = window
        try:
            with analytics.engine.connect() as conn:
                context["dashboard"] = build_dashboard(conn, window, now)
        except SQLAlchemyError as exc:
            logger.warning("dashboard: the database could not be read (%s)", type(exc).__name__)
            context["error"] = (
                f"The database could not be read ({type(exc).__name__}); see /healthz."
            )
            return HTMLResponse(render("dashboard.html", **context), 503, headers=NO_STORE)
        return HTMLResponse(render("dashboard.html", **context), headers=NO_STORE)

    @router.get(STATIC_PREFIX + "/{name}")
    def static_asset(name: str, request: Request) -> Response:
        asset = ASSETS.get(name)
        if asset is None:
            return Response("no such file", 404, media_type="text/plain")
        headers = {"ETag": asset.file.etag, "Cache-Control": CACHE_CONTROL}
        if asset.file.is_current(request.headers.get("if-none-match")):
            return Response(status_code=304, headers=headers)
        return Response(asset.file.body, media_type=asset.media_type, headers=headers)

    return router


def _plain_page(request: Request, status: int, message: str) -> HTMLResponse:
    html = render("message.html", root=_root(request), message=message)
    return HTMLResponse(html, status, headers=NO_STORE)
