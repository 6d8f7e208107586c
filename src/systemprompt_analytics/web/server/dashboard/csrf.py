"""Cross-site request forgery defences of the login and logout forms.

1. Every form carries a token bound to a cookie the page set: the login form's to a random
   pre-login cookie (signed double submit), the logout form's to the login session. A forged
   form from another site cannot know it.
2. The cookies are SameSite=Strict, so another site's form does not even send them.
3. A POST whose ``Origin`` (or, without one, ``Referer``) names another origin is refused.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import urlsplit

from systemprompt_analytics.config import normalise_origin
from systemprompt_analytics.web.server.dashboard.session import new_id, sign

LOGIN_COOKIE = "sp_dashboard_login"
LOGIN_COOKIE_MAX_AGE = 3600
_NONCE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_nonce() -> str:
    return new_id()


def valid_nonce(value: str | None) -> bool:
    return bool(value) and _NONCE.match(value or "") is not None


def form_token(key: bytes, bound_to: str) -> str:
    """The token a form carries for the cookie value ``bound_to`` (nonce or session id)."""
    return sign(key, f"csrf.{bound_to}")


def token_matches(key: bytes, bound_to: str, presented: str) -> bool:
    expected = form_token(key, bound_to).encode("ascii")
    return hmac.compare_digest(expected, presented.encode("utf-8", "surrogatepass"))


def own_origin(scheme: str, host: str | None) -> str | None:
    """The origin the request was addressed to (``scheme://host[:port]``), if readable."""
    if not host:
        return None
    try:
        return normalise_origin(f"{scheme}://{host}")
    except ValueError:
        return None


def _origin_of(value: str) -> str | None:
    if value == "null":
        return value
    try:
        parts = urlsplit(value)
        return normalise_origin(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        return None


def same_origin(origin: str | None, referer: str | None, expected: str | None) -> bool:
    """False when the browser says the form came from elsewhere (``Origin``, else
    ``Referer``); True when it says nothing — the token then stands alone (non-browser
    clients send neither header)."""
    claimed = origin if origin else referer
    if not claimed:
        return True
    found = _origin_of(claimed.strip())
    return expected is not None and found == expected
