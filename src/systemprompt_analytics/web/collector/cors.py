"""Which other sites' pages may call the collector from a browser (CORS), and what to answer.

Only origins listed in ``collector_cors_origins`` get CORS headers; with none listed, only
pages of the collector's own origin can read its answers or send it JSON. Requests that
carry no ``Origin`` (curl, servers, same-origin navigations) need no CORS at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from systemprompt_analytics.config import normalise_origin

ALLOWED_METHODS = "POST"
ALLOWED_HEADERS = "Content-Type, X-SP-Fingerprint"
PREFLIGHT_MAX_AGE = 86_400  # browsers cap it lower (Chromium: 2 h); they then simply ask again


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    origins: frozenset[str]

    @classmethod
    def of(cls, origins: Iterable[str]) -> CorsPolicy:
        return cls(frozenset(normalise_origin(origin) for origin in origins))

    def allows(self, origin: str | None) -> bool:
        if not origin or not self.origins:
            return False
        try:
            return normalise_origin(origin) in self.origins
        except ValueError:  # "null" (sandboxed frames, file: pages) and garbage
            return False

    def headers(self, origin: str | None) -> dict[str, str]:
        """CORS headers of an actual response: for listed origins only. The tracker's beacons
        carry the session cookie, so credentials are allowed (for exactly that origin)."""
        headers = {"Vary": "Origin"}
        if origin is not None and self.allows(origin):
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def preflight_headers(self, origin: str | None) -> dict[str, str] | None:
        """The answer headers to an ``OPTIONS`` preflight, or None when the origin is not
        listed (the browser then refuses to send the request)."""
        if origin is None or not self.allows(origin):
            return None
        return {
            **self.headers(origin),
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
        }
