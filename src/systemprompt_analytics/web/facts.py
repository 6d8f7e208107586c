"""Turning an ASGI scope or a WSGI environ into the pipeline's framework-neutral RequestFacts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from systemprompt_analytics.ingest.pipeline import RequestFacts


def _join(key: str, earlier: str, value: str) -> str:
    """Repeated headers joined as one: with ", " (RFC 9110), but cookies with "; " (RFC 9113
    §8.2.3: HTTP/2 clients may send each cookie in a header of its own)."""
    return f"{earlier}; {value}" if key == "cookie" else f"{earlier}, {value}"


def _join_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = _join(key, headers[key], value) if key in headers else value
    return headers


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` without lone surrogates, which no database encoding can store. A server that
    decodes a path with ``surrogateescape`` leaves the bytes that were not UTF-8 as surrogates:
    they are turned back into bytes and decoded again, the rest become U+FFFD."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates surrogateescape did not make
        return _SURROGATE.sub("\ufffd", value)


def _wsgi_path(environ: Mapping[str, Any]) -> str:
    """PATH_INFO as text: PEP 3333 hands it over as the raw bytes decoded as latin-1, so the
    UTF-8 a browser sends for ``/café`` arrives as ``/cafÃ©`` until decoded again."""
    path = str(environ.get("PATH_INFO", "/")) or "/"
    if path.isascii():
        return path
    try:
        return path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # already text (a server that does not follow PEP 3333)
        return clean_text(path)


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
            headers[key] = _join(key, headers[key], value) if key in headers else value
    client = scope.get("client")
    query = scope.get("query_string")
    path = scope.get("path") or "/"
    return RequestFacts(
        scope.get("method") or "GET",
        path if path.isascii() else clean_text(path),
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
        path=_wsgi_path(environ),
        query_string=str(environ.get("QUERY_STRING", "")),
        headers=_join_headers(pairs),
        peer_ip=environ.get("REMOTE_ADDR") or None,
        secure=environ.get("wsgi.url_scheme") == "https",
        user_id=user_id,
    )
