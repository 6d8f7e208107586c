"""Who may see the dashboard: the login session in the request's cookie, the keys that sign
sessions and form tokens, the failed-login limiter and the logged-out list."""

from __future__ import annotations

import logging
import time

from fastapi import Request

from systemprompt_analytics.config import Settings
from systemprompt_analytics.ingest.client_ip import client_ip
from systemprompt_analytics.web.facts import facts_from_scope
from systemprompt_analytics.web.server.dashboard.credentials import Credentials
from systemprompt_analytics.web.server.dashboard.csrf import own_origin, same_origin
from systemprompt_analytics.web.server.dashboard.login_limiter import LoginLimiter
from systemprompt_analytics.web.server.dashboard.session import (
    COOKIE_NAME,
    LoggedOut,
    LoginSession,
    decode,
    derive_key,
)

logger = logging.getLogger("systemprompt_analytics.web.dashboard")


class DashboardAuth:
    def __init__(self, settings: Settings) -> None:
        secret = settings.resolve_secret_key()
        self.credentials = Credentials.from_settings(settings)
        self.session_key = derive_key(secret, "session", self.credentials.fingerprint())
        self.login_form_key = derive_key(secret, "login-form")
        self.limiter = LoginLimiter()
        self.logged_out = LoggedOut()
        self._trusted_proxies = tuple(settings.trusted_proxies)

    def current(self, request: Request) -> LoginSession | None:
        """The request's valid, unexpired, not logged-out session, if any."""
        session = decode(request.cookies.get(COOKIE_NAME), self.session_key, time.time())
        if session is None or session in self.logged_out:
            return None
        return session

    def client(self, request: Request) -> str | None:
        """The client's IP, believing forwarding headers from trusted proxies only."""
        facts = facts_from_scope(request.scope)
        return client_ip(facts.peer_ip, facts.headers, self._trusted_proxies)


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def from_this_site(request: Request) -> bool:
    """False when the browser says the form was posted from another origin."""
    expected = own_origin(request.url.scheme, request.headers.get("host"))
    origin, referer = request.headers.get("origin"), request.headers.get("referer")
    if same_origin(origin, referer, expected):
        return True
    # Origins are not secrets; saying both helps when a proxy rewrites the Host header.
    logger.warning(
        "dashboard form refused: it came from %s, this site is %s",
        (origin or referer or "")[:200],
        expected,
    )
    return False
