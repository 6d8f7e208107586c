"""The dashboard over real HTTP (uvicorn): login and logout, form tokens and the origin check,
the failed-login limit, request limits, period errors, and the security headers of every
response of the app."""

from __future__ import annotations

import itertools
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import upgrade
from systemprompt_analytics.web.server import create_app
from systemprompt_analytics.web.server.dashboard.static import STYLESHEET
from systemprompt_analytics.web.server.security import STRICT_CSP
from tests.servers import run_asgi

TOKEN = "api-token-for-dashboard-tests"
PASSWORD = "correct horse battery staple"
SITE = "https://site.test"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def database_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard") / "analytics.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _app(database_file: Path, data_dir: Path, **settings: Any) -> Any:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{database_file}",
        "data_dir": data_dir,
        "anomaly_enabled": False,
        "trusted_proxies": "127.0.0.1/32",
        "collector_cors_origins": SITE,
        **settings,
    }
    return create_app(Analytics(load_settings(**values), migrate=False))


@contextmanager
def serve(database_file: Path, data_dir: Path, **settings: Any) -> Iterator[httpx.Client]:
    app = _app(database_file, data_dir, **settings)
    with run_asgi(app) as base, httpx.Client(base_url=base, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def server(database_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("data")
    app = _app(database_file, data_dir, api_token=TOKEN, dashboard_password=PASSWORD)
    with run_asgi(app) as base:
        yield base


_clients = itertools.count(1)


@pytest.fixture
def client(server: str) -> Iterator[httpx.Client]:
    """A fresh client of the shared server, from an address of its own (the server believes
    127.0.0.1's X-Forwarded-For), so failed logins of one test never limit another."""
    address = f"192.0.2.{next(_clients) % 250 + 1}"
    headers = {"x-forwarded-for": address}
    with httpx.Client(base_url=server, follow_redirects=False, headers=headers) as c:
        yield c


def form_token(client: httpx.Client, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def log_in(client: httpx.Client, password: str = TOKEN, **headers: str) -> httpx.Response:
    token = form_token(client)
    return client.post("/login", data={"password": password, "csrf": token}, headers=headers)


def cookies_set(response: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


# -- login -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/?range=24h"])
def test_strangers_are_sent_to_the_login_page(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert response.headers["cache-control"] == "no-store"


def test_the_login_page_binds_its_form_token_to_a_strict_cookie(client: httpx.Client) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    cookie = cookies_set(response)["sp_dashboard_login"]
    assert re.fullmatch(
        r"sp_dashboard_login=[\w-]{22}; Path=/login; Max-Age=3600; HttpOnly; SameSite=Strict",
        cookie,
    )
    assert 'type="password"' in response.text and 'name="csrf"' in response.text
    assert "no dashboard credential is configured" not in response.text


@pytest.mark.parametrize("secret", [TOKEN, PASSWORD], ids=["api-token", "dashboard-password"])
def test_the_token_or_the_password_opens_the_dashboard(client: httpx.Client, secret: str) -> None:
    response = log_in(client, secret)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookies = cookies_set(response)
    assert re.fullmatch(
        r"sp_dashboard=d1\.[\w-]{22}\.\d+\.\d+\.[\w-]{43}; Path=/; Max-Age=43200; HttpOnly; "
        r"SameSite=Strict",
        cookies["sp_dashboard"],
    )
    assert cookies["sp_dashboard_login"].startswith("sp_dashboard_login=; Path=/login; Max-Age=0")
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'data-card="visitors"' in page.text and 'action="/logout"' in page.text
    assert client.get("/login").headers["location"] == "/"  # already logged in


def test_a_wrong_password_is_refused_and_never_logged(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = log_in(client, "not-the-password")
    assert response.status_code == 403
    assert "Wrong password or token." in response.text
    assert "sp_dashboard" not in cookies_set(response)
    assert client.get("/").status_code == 303
    assert log_in(client, PASSWORD).status_code == 303
    assert f"dashboard login failed from {client.headers['x-forwarded-for']}" in caplog.text
    for secret in ("not-the-password", PASSWORD, TOKEN):
        assert secret not in caplog.text


def test_an_empty_password_names_the_field(client: httpx.Client) -> None:
    response = log_in(client, "")
    assert response.status_code == 400
    assert "password: enter the API token or the password." in response.text


def test_a_form_without_its_token_is_refused(client: httpx.Client) -> None:
    form_token(client)  # the form cookie is set, but the token is left out or wrong
    for data in ({"password": TOKEN}, {"password": TOKEN, "csrf": "forged"}):
        response = client.post("/login", data=data)
        assert response.status_code == 403
        assert "did not come from this dashboard" in response.text
    token = form_token(client)
    client.cookies.clear()  # the token without its cookie
    assert client.post("/login", data={"password": TOKEN, "csrf": token}).status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{"origin": "https://evil.test"}, {"origin": "null"}, {"referer": "https://evil.test/x"}],
)
def test_a_cross_site_login_is_refused(
    client: httpx.Client, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    response = log_in(client, TOKEN, **headers)
    assert response.status_code == 403
    assert "sp_dashboard" not in cookies_set(response)
    claimed = headers.get("origin") or headers["referer"]
    assert f"dashboard form refused: it came from {claimed}, this site is http://127.0.0.1:" in (
        caplog.text
    )


def test_a_same_origin_login_is_accepted(client: httpx.Client) -> None:
    assert log_in(client, TOKEN, origin=str(client.base_url).rstrip("/")).status_code == 303


def test_five_failures_lock_the_client_out_with_retry_after(client: httpx.Client) -> None:
    attacker = {"x-forwarded-for": "203.0.113.9"}
    for _ in range(5):
        assert log_in(client, "guess", **attacker).status_code == 403
    refused = log_in(client, TOKEN, **attacker)  # even the right one, while locked out
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 60
    assert f"try again in {wait} seconds" in refused.text
    assert "sp_dashboard" not in cookies_set(refused)
    assert log_in(client, TOKEN, **{"x-forwarded-for": "203.0.113.10"}).status_code == 303


def test_the_login_form_has_size_and_type_limits(client: httpx.Client) -> None:
    token = form_token(client)
    huge = client.post("/login", content=b"password=" + b"x" * 5000 + b"&csrf=" + token.encode(),
                       headers={"content-type": FORM})  # fmt: skip
    assert huge.status_code == 413 and "body: larger than 4,096 bytes" in huge.text
    as_json = client.post("/login", json={"password": TOKEN, "csrf": token})
    assert as_json.status_code == 415 and "Content-Type" in as_json.text
    latin = client.post(
        "/login", content=b"password=x", headers={"content-type": FORM + "; charset=latin-1"}
    )
    assert latin.status_code == 415
    long_password = client.post("/login", data={"password": "x" * 1025, "csrf": token})
    assert (
        long_password.status_code == 400 and "password: must be at most 1,024" in long_password.text
    )


def test_no_credential_configured_says_how_to_configure_one(
    database_file: Path, tmp_path: Path
) -> None:
    with serve(database_file, tmp_path) as client:
        page = client.get("/login")
        assert "SP_ANALYTICS_API_TOKEN or SP_ANALYTICS_DASHBOARD_PASSWORD" in page.text
        response = log_in(client, "anything")
        assert response.status_code == 503
        assert "SP_ANALYTICS_DASHBOARD_PASSWORD" in response.text


# -- the session -------------------------------------------------------------------------------


def test_logout_ends_the_session_even_for_a_copied_cookie(client: httpx.Client) -> None:
    log_in(client)
    copied = client.cookies.get("sp_dashboard")
    token = _logout_token(client)
    response = client.post("/logout", data={"csrf": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert cookies_set(response)["sp_dashboard"].startswith("sp_dashboard=; Path=/; Max-Age=0")
    client.cookies.clear()
    client.cookies.set("sp_dashboard", copied or "")
    assert client.get("/").status_code == 303


def _logout_token(client: httpx.Client) -> str:
    page = client.get("/")
    found = re.search(
        r'action="/logout"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"', page.text
    )
    assert found is not None, page.text[:500]
    return found.group(1)


def test_logout_needs_its_form_token_and_this_origin(client: httpx.Client) -> None:
    log_in(client)
    token = _logout_token(client)
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    cross = client.post("/logout", data={"csrf": token}, headers={"origin": "https://evil.test"})
    assert cross.status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_logging_out_without_a_session_just_goes_to_the_login_page(client: httpx.Client) -> None:
    response = client.post("/logout", data={"csrf": "whatever"})
    assert response.status_code == 303 and response.headers["location"] == "/login"


@pytest.mark.parametrize("value", ["garbage", "d1.x.1.2.sig", ""])
def test_a_forged_cookie_is_ignored(client: httpx.Client, value: str) -> None:
    client.cookies.set("sp_dashboard", value)
    assert client.get("/").status_code == 303


def test_changing_the_credentials_ends_every_session(database_file: Path, tmp_path: Path) -> None:
    with serve(database_file, tmp_path, api_token=TOKEN) as first:
        assert log_in(first).status_code == 303
        cookie = first.cookies.get("sp_dashboard") or ""
    for token, status in (("rotated-token", 303), (TOKEN, 200)):  # same secret key
        with serve(database_file, tmp_path, api_token=token) as again:
            again.cookies.set("sp_dashboard", cookie)
            assert again.get("/").status_code == status


# -- the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [("range=week", "range"), ("range=custom&since=nope", "since"),
     ("range=custom&since=1d&until=2d", "since"), ("range=custom&since=7d&until=later", "until")],
)  # fmt: skip
def test_bad_period_parameters_are_400_naming_the_field(
    client: httpx.Client, query: str, field: str
) -> None:
    log_in(client)
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert re.search(rf'role="alert" id="page-error">{field}: ', response.text)
    assert 'name="since"' in response.text  # the picker is still there to fix it


def test_an_unreadable_database_is_a_503_page(tmp_path: Path) -> None:
    unmigrated = tmp_path / "empty.db"  # no tables: every report query fails
    with serve(unmigrated, tmp_path, api_token=TOKEN) as client:
        assert log_in(client).status_code == 303
        response = client.get("/")
        assert response.status_code == 503
        assert "The database could not be read (OperationalError); see /healthz." in response.text
        assert "Traceback" not in response.text


def test_the_period_picker_marks_the_current_range(client: httpx.Client) -> None:
    log_in(client)
    page = client.get("/?range=30d").text
    assert '<a href="/?range=30d" title="Last 30 days" aria-current="page">' in page
    custom = client.get("/?range=custom&since=2026-01-01&until=2026-02-01").text
    assert "01 Jan 2026 – 01 Feb 2026 UTC" in custom
    assert 'value="2026-01-01"' in custom


def test_the_stylesheet_is_cached_by_version(client: httpx.Client) -> None:
    page = client.get("/login").text
    assert f'href="{STYLESHEET.url}"' in page
    css = client.get(STYLESHEET.url)
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert "immutable" in css.headers["cache-control"]
    again = client.get(STYLESHEET.url, headers={"if-none-match": css.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/dashboard/static/other.css").status_code == 404


# -- security headers --------------------------------------------------------------------------

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


def _assert_secured(response: httpx.Response, csp: str = STRICT_CSP) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert response.headers["content-security-policy"] == csp
    assert "camera=()" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers  # plain HTTP


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/", 303), ("GET", "/login", 200), ("GET", "/healthz", 200),
     ("GET", "/metrics", 401), ("GET", "/openapi.json", 200), ("GET", "/no/such/page", 404),
     ("GET", "/api/v1/tracker.js", 200), ("GET", STYLESHEET.url, 200)],
)  # fmt: skip
def test_every_response_carries_the_security_headers(
    client: httpx.Client, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    _assert_secured(response)


def test_the_collector_keeps_its_cors_answers(client: httpx.Client) -> None:
    preflight = client.options(
        "/api/v1/collect",
        headers={"origin": SITE, "access-control-request-method": "POST",
                 "access-control-request-headers": "content-type"},
    )  # fmt: skip
    assert preflight.headers["access-control-allow-origin"] == SITE
    _assert_secured(preflight)
    event = {"type": "page_view", "url": f"{SITE}/pricing"}
    posted = client.post("/api/v1/collect", json=event, headers={"origin": SITE})
    assert posted.status_code == 202
    assert posted.headers["access-control-allow-origin"] == SITE
    assert posted.headers["access-control-allow-credentials"] == "true"
    _assert_secured(posted)
    script = client.get("/api/v1/tracker.js", headers={"origin": SITE})
    assert script.headers["content-type"].startswith("application/javascript")
    assert "cross-origin-resource-policy" not in script.headers  # other sites may load it


def test_the_api_docs_alone_may_load_from_their_cdn(client: httpx.Client) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy
    assert "cdn.jsdelivr.net" in client.get("/redoc").headers["content-security-policy"]
    assert client.get("/docs/other").headers["content-security-policy"] == STRICT_CSP


@contextmanager
def behind_tls_proxy(app: Any) -> Iterator[str]:
    """uvicorn believing ``X-Forwarded-Proto`` from 127.0.0.1, as behind a TLS proxy."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_level="warning", proxy_headers=True, forwarded_allow_ips="127.0.0.1"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def test_over_https_cookies_are_secure_and_hsts_is_sent(
    database_file: Path, tmp_path: Path
) -> None:
    app = _app(database_file, tmp_path, api_token=TOKEN)
    tls = {"x-forwarded-proto": "https"}
    with behind_tls_proxy(app) as base, httpx.Client(base_url=base, headers=tls) as client:
        page = client.get("/login")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        login_cookie = cookies_set(page)["sp_dashboard_login"]
        assert login_cookie.endswith("SameSite=Strict; Secure")
        # httpx keeps Secure cookies for https, and this hop is plain HTTP: send it by hand.
        nonce = login_cookie.split(";", 1)[0]
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token is not None
        response = client.post(
            "/login",
            data={"password": TOKEN, "csrf": token.group(1)},
            headers={"cookie": nonce, "origin": "https://" + base.removeprefix("http://")},
        )
        assert response.status_code == 303
        assert cookies_set(response)["sp_dashboard"].endswith("SameSite=Strict; Secure")
