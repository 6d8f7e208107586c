"""The dashboard's login session: a signed, expiring cookie; nothing is stored server-side
except the ids of sessions logged out before they expired.

Value: ``d1.<id>.<issued>.<expires>.<signature>`` — times in whole seconds since the epoch, the
signature an HMAC-SHA256 (URL-safe base64) over everything before it. The key is derived from
the secret key *and* the configured credentials, so changing the token or the password ends
every session. Cookie attributes: HttpOnly, SameSite=Strict, Secure over HTTPS, Max-Age.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass

COOKIE_NAME = "sp_dashboard"
VERSION = "d1"
LIFETIME_SECONDS = 12 * 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_MAX_LENGTH = 160


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def derive_key(secret_key: str, purpose: str, bound_to: bytes = b"") -> bytes:
    """A key for one purpose only, so one secret never signs two kinds of things."""
    label = f"sp-analytics/dashboard/{purpose}".encode() + b"\0" + bound_to
    return hmac.new(secret_key.encode(), label, hashlib.sha256).digest()


def sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def new_id() -> str:
    return secrets.token_urlsafe(16)  # 22 characters


@dataclass(frozen=True, slots=True)
class LoginSession:
    id: str
    issued: int
    expires: int


def issue(now: float, lifetime: int = LIFETIME_SECONDS) -> LoginSession:
    issued = int(now)
    return LoginSession(new_id(), issued, issued + lifetime)


def encode(session: LoginSession, key: bytes) -> str:
    payload = f"{VERSION}.{session.id}.{session.issued}.{session.expires}"
    return f"{payload}.{sign(key, payload)}"


def decode(value: str | None, key: bytes, now: float) -> LoginSession | None:
    """The session if ``value`` is well-formed, signed with ``key`` and not expired."""
    if not value or len(value) > _MAX_LENGTH or not value.isascii():
        return None
    payload, _, signature = value.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        return None
    if not hmac.compare_digest(signature, sign(key, payload)):
        return None
    _, session_id, issued, expires = parts
    if not _ID.match(session_id) or not issued.isdigit() or not expires.isdigit():
        return None
    session = LoginSession(session_id, int(issued), int(expires))
    if not session.issued <= now < session.expires:
        return None
    return session


def cookie_header(name: str, value: str, *, max_age: int, secure: bool, path: str = "/") -> str:
    """A ``Set-Cookie`` value: HttpOnly, SameSite=Strict, Secure on HTTPS."""
    attributes = [f"{name}={value}", f"Path={path}", f"Max-Age={max_age}", "HttpOnly"]
    attributes.append("SameSite=Strict")
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


def clear_cookie_header(name: str, *, secure: bool, path: str = "/") -> str:
    return cookie_header(name, "", max_age=0, secure=secure, path=path)


class LoggedOut:
    """Ids of sessions logged out before they expired, kept until they would have expired.

    Per process: with several instances a logged-out cookie stays valid on the others until
    it expires (at most :data:`LIFETIME_SECONDS`), see docs/dashboard.md.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._until: dict[str, int] = {}
        self._capacity = capacity
        self._lock = threading.Lock()

    def add(self, session: LoginSession, now: float) -> None:
        with self._lock:
            self._forget_expired(now)
            if len(self._until) >= self._capacity:  # the oldest entries expire first
                oldest = min(self._until, key=self._until.__getitem__)
                del self._until[oldest]
            self._until[session.id] = session.expires

    def __contains__(self, session: LoginSession) -> bool:
        with self._lock:
            return session.id in self._until

    def _forget_expired(self, now: float) -> None:
        for session_id in [sid for sid, until in self._until.items() if until <= now]:
            del self._until[session_id]
