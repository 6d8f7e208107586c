"""The signed first-party session cookie.

Value: ``v1.<session id>.<started>.<last seen>.<signature>`` — times in whole seconds since the
epoch, the signature an HMAC-SHA256 (truncated to 128 bits, URL-safe base64) over everything
before it, keyed with the secret key. Carrying the session's start and last-seen times lets any
app instance decide whether the session is still alive without asking the database; the cookie
is re-issued when "last seen" is more than :data:`REFRESH_AFTER_SECONDS` old, so the idle timeout
is judged within that slack.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache

COOKIE_NAME = "sp_sid"
VERSION = "v1"
REFRESH_AFTER_SECONDS = 60
_SESSION_ID = re.compile(r"^sess_[0-9a-f]{32}$")
_MAX_COOKIE_LENGTH = 200


@dataclass(frozen=True, slots=True)
class SessionCookie:
    session_id: str
    started: int
    last_seen: int


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def derive_cookie_key(secret_key: str) -> bytes:
    """A key for cookies only, so the same secret never signs two kinds of things."""
    return hmac.new(secret_key.encode(), b"sp-analytics/session-cookie", hashlib.sha256).digest()


def encode(cookie: SessionCookie, key: bytes) -> str:
    payload = f"{VERSION}.{cookie.session_id}.{cookie.started}.{cookie.last_seen}"
    return f"{payload}.{_signature(key, payload)}"


def decode(value: str | None, key: bytes) -> SessionCookie | None:
    """The cookie's content if the value is well-formed and its signature is ours, else None."""
    # A genuine value is ASCII; anything else (a header's latin-1 bytes) is simply not ours.
    if not value or len(value) > _MAX_COOKIE_LENGTH or not value.isascii():
        return None
    parts = value.split(".")
    if len(parts) != 5 or parts[0] != VERSION:
        return None
    _, session_id, started, last_seen, signature = parts
    payload = value.rsplit(".", 1)[0]
    if not hmac.compare_digest(signature, _signature(key, payload)):
        return None
    if not _SESSION_ID.match(session_id) or not started.isdigit() or not last_seen.isdigit():
        return None
    cookie = SessionCookie(session_id, int(started), int(last_seen))
    return cookie if cookie.started <= cookie.last_seen else None


def read_cookie_header(header: str | None, name: str = COOKIE_NAME) -> str | None:
    """The value of cookie ``name`` in a ``Cookie:`` header, without a full cookie parser.

    Runs on every request, so it searches instead of splitting the whole header.
    """
    if not header:
        return None
    marker = name + "="
    start = header.find(marker)
    while start != -1:
        if start == 0 or header[start - 1] in "; ":
            begin = start + len(marker)
            end = header.find(";", begin)
            value = header[begin:] if end == -1 else header[begin:end]
            return value.strip().strip('"')
        start = header.find(marker, start + 1)
    return None


_MAX_CACHED_HEADER = 4096


@lru_cache(maxsize=16_384)
def _session_cookie_cached(header: str) -> str | None:
    return read_cookie_header(header)


def read_session_cookie(header: str | None) -> str | None:
    """:func:`read_cookie_header` for the session cookie, cached per header value: a client
    sends the same ``Cookie:`` header with every request (long ones are not cached, so junk
    cannot fill the cache with big keys)."""
    if not header:
        return None
    if len(header) > _MAX_CACHED_HEADER:
        return read_cookie_header(header)
    return _session_cookie_cached(header)


def set_cookie_header(
    value: str, *, max_age: int, secure: bool, name: str = COOKIE_NAME, path: str = "/"
) -> str:
    """A ``Set-Cookie`` value: HttpOnly, SameSite=Lax, Secure on HTTPS."""
    attributes = [
        f"{name}={value}",
        f"Path={path}",
        f"Max-Age={max_age}",
        "HttpOnly",
        "SameSite=Lax",
    ]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)
