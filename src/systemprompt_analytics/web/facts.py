"""Turning an ASGI scope or a WSGI environ into the pipeline's framework-neutral RequestFacts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from systemprompt_analytics.ingest.pipeline import RequestFacts


def _join_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


# The only headers the pipeline reads (raw ASGI name → its key in RequestFacts.headers); the
# rest are not even decoded.
PIPELINE_HEADERS = {
    name: name.decode("latin-1")
    for name in (
        b"user-agent",
        b"accept",
        b"accept-language",
        b"referer",
        b"cookie",
        b"x-forwarded-for",
        b"x-real-ip",
        b"cf-connecting-ip",
        b"fly-client-ip",
        b"x-sp-fingerprint",
    )
}


def facts_from_scope(scope: Mapping[str, Any], user_id: str | None = None) -> RequestFacts:
    # Runs on every request: positional arguments and no conversions of values the ASGI spec
    # already types (method and path are str, query_string bytes).
    headers: dict[str, str] = {}
    wanted = PIPELINE_HEADERS.get
    for name, raw_value in scope.get("headers") or ():
        key = wanted(name)  # ASGI servers send lower-case names
        if key is not None:
            value = raw_value.decode("latin-1")
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
    client = scope.get("client")
    query = scope.get("query_string")
    return RequestFacts(
        scope.get("method") or "GET",
        scope.get("path") or "/",
        query.decode("latin-1") if query else "",
        headers,
        str(client[0]) if client else None,
        scope.get("scheme") in ("https", "wss"),
        None,
        user_id,
    )


def facts_from_environ(environ: Mapping[str, Any], user_id: str | None = None) -> RequestFacts:
    pairs = [
        (key[5:].replace("_", "-"), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            pairs.append((key.replace("_", "-"), str(environ[key])))
    return RequestFacts(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        path=str(environ.get("PATH_INFO", "/")) or "/",
        query_string=str(environ.get("QUERY_STRING", "")),
        headers=_join_headers(pairs),
        peer_ip=environ.get("REMOTE_ADDR") or None,
        secure=environ.get("wsgi.url_scheme") == "https",
        user_id=user_id,
    )
