"""Security headers on every HTTP response of the app (an ASGI middleware).

A strict Content-Security-Policy (nothing but same-origin stylesheets and images, no script,
no framing), ``nosniff``, a same-origin referrer policy, no framing, no powerful browser
features, and HSTS when the request came over HTTPS. A header the route set itself is kept.

The OpenAPI pages (Swagger UI at ``/docs``, ReDoc at ``/redoc``) load their scripts and styles
from a CDN and run an inline script, so those paths alone get a policy that allows exactly
that. ``tracker.js`` and the collector are unaffected: a CSP applies to documents, not to a
script another site loads, and CORS headers are the collector's own.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCS_CSP = (
    "default-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src https://fonts.gstatic.com; connect-src 'self'; worker-src blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
COMMON_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
        "accelerometer=(), gyroscope=(), magnetometer=()"
    ),
    "cross-origin-opener-policy": "same-origin",
}
HSTS = "max-age=31536000"


def docs_paths(app: FastAPI) -> tuple[str, ...]:
    """The paths of the app's OpenAPI pages (those FastAPI serves from a CDN)."""
    paths = (app.docs_url, app.swagger_ui_oauth2_redirect_url, app.redoc_url)
    return tuple(path for path in paths if path)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)

    def headers_for(self, scope: Scope) -> dict[str, str]:
        path = str(scope.get("root_path", "")) + str(scope.get("path", ""))
        relaxed = scope.get("path") in self.docs_paths or path in self.docs_paths
        headers = {
            "content-security-policy": DOCS_CSP if relaxed else STRICT_CSP,
            **COMMON_HEADERS,
        }
        if scope.get("scheme") == "https":
            headers["strict-transport-security"] = HSTS
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = self.headers_for(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in added.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
