"""What kind of request this is: page, api, asset, beacon or health.

Rules are checked in this order; the first that matches decides:

1. **health** — the path is one of ``health_paths``;
2. **beacon** — the path is, or is under, one of ``beacon_prefixes`` (the tracker's posts);
3. **api** — the path is, or is under, one of ``api_prefixes``;
4. **asset** — the path is one of ``asset_paths``, is under one of ``asset_prefixes`` or ends
   with one of ``asset_suffixes``;
5. otherwise by method and ``Accept``: a method outside ``page_methods`` (GET, HEAD) is
   **api**; a GET/HEAD whose ``Accept`` names HTML, or names nothing specific, is a **page**;
   one whose first media type is JSON, an event stream or another API type is **api**; one
   whose first media type is an image, font, style sheet, audio or video is an **asset**.

Paths are compared in lower case, without query string or fragment. A prefix matches whole
path segments: ``/api`` matches ``/api`` and ``/api/x`` but not ``/apiary``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

RequestKind = Literal["page", "api", "asset", "beacon", "health"]
REQUEST_KINDS: tuple[RequestKind, ...] = ("page", "api", "asset", "beacon", "health")

_API_MEDIA_TYPES = (
    "application/json",
    "application/problem+json",
    "application/x-ndjson",
    "application/grpc",
    "application/graphql",
    "application/octet-stream",
    "application/xml",
    "text/event-stream",
)
_ASSET_MEDIA_PREFIXES = ("image/", "font/", "audio/", "video/", "text/css")
_CACHEABLE_LENGTH = 512  # longer inputs are classified uncached, so they cannot bloat caches


@dataclass(frozen=True, slots=True)
class KindRules:
    """Path rules for :func:`request_kind`; every field is configurable.

    Customise with :func:`dataclasses.replace`, e.g.
    ``replace(DEFAULT_KIND_RULES, beacon_prefixes=("/t/collect",))``.
    """

    health_paths: tuple[str, ...] = ("/healthz", "/health", "/livez", "/readyz", "/metrics")
    beacon_prefixes: tuple[str, ...] = ("/api/v1/collect",)
    api_prefixes: tuple[str, ...] = ("/api", "/v1", "/v2", "/graphql", "/mcp")
    asset_paths: tuple[str, ...] = (
        "/favicon.ico",
        "/robots.txt",
        "/sitemap.xml",
        "/manifest.json",
        "/site.webmanifest",
        "/browserconfig.xml",
        "/apple-touch-icon.png",
        "/apple-touch-icon-precomposed.png",
    )
    asset_prefixes: tuple[str, ...] = (
        "/static",
        "/assets",
        "/_next",
        "/_nuxt",
        "/build",
        "/dist",
        "/fonts",
        "/.well-known",
    )
    asset_suffixes: tuple[str, ...] = (
        ".js",
        ".mjs",
        ".cjs",
        ".map",
        ".css",
        ".wasm",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".avif",
        ".svg",
        ".ico",
        ".bmp",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".mp3",
        ".mp4",
        ".webm",
        ".ogg",
        ".wav",
        ".pdf",
        ".zip",
        ".gz",
        ".webmanifest",
    )
    page_methods: tuple[str, ...] = ("GET", "HEAD")
    _compiled: _CompiledRules = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", _CompiledRules.build(self))


@dataclass(frozen=True, slots=True)
class _CompiledRules:
    """The rules in the shapes the C-level ``in``/``startswith``/``endswith`` want."""

    health: frozenset[str]
    beacon_exact: frozenset[str]
    beacon_under: tuple[str, ...]
    api_exact: frozenset[str]
    api_under: tuple[str, ...]
    asset_exact: frozenset[str]
    asset_under: tuple[str, ...]
    asset_suffixes: tuple[str, ...]
    page_methods: frozenset[str]
    # Paths, methods and Accept values repeat from request to request.
    cached: Callable[[str, str, str | None], RequestKind] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "cached", lru_cache(maxsize=8192)(self.classify))

    def classify(self, method: str, path: str, accept: str | None) -> RequestKind:
        clean = _clean_path(path)
        if clean in self.health:
            return "health"
        if clean in self.beacon_exact or clean.startswith(self.beacon_under):
            return "beacon"
        if clean in self.api_exact or clean.startswith(self.api_under):
            return "api"
        if (
            clean in self.asset_exact
            or clean.startswith(self.asset_under)
            or clean.endswith(self.asset_suffixes)
        ):
            return "asset"
        if method.upper() not in self.page_methods:
            return "api"
        return _kind_from_accept(accept[:_CACHEABLE_LENGTH]) if accept else "page"

    @classmethod
    def build(cls, rules: KindRules) -> _CompiledRules:
        beacon = _prefixes(rules.beacon_prefixes)
        api = _prefixes(rules.api_prefixes)
        asset = _prefixes(rules.asset_prefixes)
        return cls(
            health=frozenset(_path(p) for p in rules.health_paths),
            beacon_exact=frozenset(beacon),
            beacon_under=tuple(p + "/" for p in beacon),
            api_exact=frozenset(api),
            api_under=tuple(p + "/" for p in api),
            asset_exact=frozenset(_path(p) for p in rules.asset_paths),
            asset_under=tuple(p + "/" for p in asset),
            asset_suffixes=tuple(s.lower() for s in rules.asset_suffixes),
            page_methods=frozenset(m.upper() for m in rules.page_methods),
        )


def _path(path: str) -> str:
    cleaned = path.strip().lower().rstrip("/")
    return cleaned or "/"


def _prefixes(prefixes: tuple[str, ...]) -> list[str]:
    return [p for p in (_path(prefix) for prefix in prefixes) if p != "/"]


DEFAULT_KIND_RULES = KindRules()


def request_kind(
    method: str,
    path: str,
    accept: str | None = None,
    rules: KindRules = DEFAULT_KIND_RULES,
) -> RequestKind:
    """Classify one request; never raises."""
    compiled = rules._compiled
    if len(path) <= _CACHEABLE_LENGTH and (accept is None or len(accept) <= _CACHEABLE_LENGTH):
        return compiled.cached(method, path, accept)
    return compiled.classify(method, path, accept)


def _clean_path(path: str) -> str:
    clean = path.split("?", 1)[0].split("#", 1)[0].lower()
    if len(clean) > 1:
        clean = clean.rstrip("/") or "/"
    return clean or "/"


@lru_cache(maxsize=1024)
def _kind_from_accept(accept: str) -> RequestKind:
    lowered = accept.lower()
    if "html" in lowered:
        return "page"
    first = lowered.split(",", 1)[0].split(";", 1)[0].strip()
    if first.startswith(_API_MEDIA_TYPES) or (first.startswith("application/") and "json" in first):
        return "api"
    if first.startswith(_ASSET_MEDIA_PREFIXES):
        return "asset"
    return "page"
