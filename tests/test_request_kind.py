"""Request kinds: health, beacon, api, asset and page, by path rules, method and Accept."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.ingest.request_kind import (
    DEFAULT_KIND_RULES,
    REQUEST_KINDS,
    KindRules,
    request_kind,
)

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
IMAGE = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


@pytest.mark.parametrize(
    ("method", "path", "accept", "expected"),
    [
        # health: exact paths, any method, trailing slash and query ignored
        ("GET", "/healthz", None, "health"),
        ("GET", "/health", HTML, "health"),
        ("HEAD", "/livez", None, "health"),
        ("GET", "/readyz?verbose=1", None, "health"),
        ("GET", "/metrics", "text/plain", "health"),
        ("GET", "/healthz/", None, "health"),
        ("GET", "/HEALTHZ", None, "health"),
        ("GET", "/healthz/deep", None, "page"),
        ("GET", "/healthcheck", None, "page"),
        # beacon: the collector, before the api rule that would otherwise match
        ("POST", "/api/v1/collect", "*/*", "beacon"),
        ("POST", "/api/v1/collect/engagement", None, "beacon"),
        ("GET", "/api/v1/collect?e=pageview", None, "beacon"),
        ("POST", "/api/v1/collector", None, "api"),
        # api: by prefix, on whole segments
        ("GET", "/api", None, "api"),
        ("GET", "/api/users", HTML, "api"),
        ("POST", "/api/v2/chat", "application/json", "api"),
        ("GET", "/v1/models", None, "api"),
        ("GET", "/v2/things", None, "api"),
        ("POST", "/graphql", None, "api"),
        ("POST", "/mcp", "application/json, text/event-stream", "api"),
        ("GET", "/mcp/sse", "text/event-stream", "api"),
        ("GET", "/apiary", HTML, "page"),
        ("GET", "/v10/page", HTML, "page"),
        ("GET", "/API/users", None, "api"),
        # asset: exact files, prefixes, suffixes (case-insensitive)
        ("GET", "/favicon.ico", IMAGE, "asset"),
        ("GET", "/robots.txt", "*/*", "asset"),
        ("GET", "/sitemap.xml", None, "asset"),
        ("GET", "/site.webmanifest", None, "asset"),
        ("GET", "/static/app.3f2a.js", "*/*", "asset"),
        ("GET", "/static/anything", HTML, "asset"),
        ("GET", "/assets/x", None, "asset"),
        ("GET", "/_next/static/chunks/main.js", None, "asset"),
        ("GET", "/_next/image?url=/a.png&w=64", None, "asset"),
        ("GET", "/_nuxt/entry.js", None, "asset"),
        ("GET", "/.well-known/security.txt", None, "asset"),
        ("GET", "/img/logo.PNG", None, "asset"),
        ("GET", "/fonts/inter.woff2", None, "asset"),
        ("GET", "/theme.css?v=3", None, "asset"),
        ("GET", "/bundle.mjs", None, "asset"),
        ("GET", "/app.js.map", None, "asset"),
        ("GET", "/whitepaper.pdf", HTML, "asset"),
        ("GET", "/logo.svg#icon", None, "asset"),
        ("GET", "/staticky", HTML, "page"),
        ("GET", "/blog/how-js-works", HTML, "page"),
        ("GET", "/docs/index.html", HTML, "page"),
        # api prefix beats an asset suffix
        ("GET", "/api/avatar.png", None, "api"),
        # everything else: by method, then Accept
        ("GET", "/", HTML, "page"),
        ("GET", "/", None, "page"),
        ("GET", "", None, "page"),
        ("GET", "/pricing", "*/*", "page"),
        ("GET", "/pricing", "", "page"),
        ("HEAD", "/pricing", HTML, "page"),
        ("get", "/pricing", HTML, "page"),
        ("GET", "/pricing", "application/json", "api"),
        ("GET", "/pricing", "application/vnd.api+json", "api"),
        ("GET", "/events", "text/event-stream", "api"),
        ("GET", "/export", "application/xml", "api"),
        ("GET", "/pricing", "application/json, text/html", "page"),
        ("GET", "/avatar/42", IMAGE, "asset"),
        ("GET", "/theme", "text/css,*/*;q=0.1", "asset"),
        ("GET", "/clip", "video/webm", "asset"),
        ("GET", "/font", "font/woff2", "asset"),
        ("GET", "/x", "text/plain", "page"),
        ("GET", "/x", "garbage;;;", "page"),
        ("POST", "/contact", HTML, "api"),
        ("PUT", "/things/1", None, "api"),
        ("DELETE", "/things/1", None, "api"),
        ("OPTIONS", "/anything", None, "api"),
        ("PATCH", "/", HTML, "api"),
        ("BREW", "/pot", None, "api"),
    ],
)
def test_default_rules(method: str, path: str, accept: str | None, expected: str) -> None:
    assert request_kind(method, path, accept) == expected


def test_rules_are_configurable() -> None:
    rules = replace(
        DEFAULT_KIND_RULES,
        beacon_prefixes=("/t/collect/",),
        api_prefixes=("/rpc",),
        health_paths=("/ping",),
        asset_prefixes=("/cdn",),
        asset_suffixes=(".JSON",),
        asset_paths=(),
        page_methods=("get", "head", "post"),
    )
    assert request_kind("POST", "/t/collect", rules=rules) == "beacon"
    assert request_kind("POST", "/api/v1/collect", rules=rules) == "page"
    assert request_kind("GET", "/rpc/call", rules=rules) == "api"
    assert request_kind("GET", "/api/users", rules=rules) == "page"
    assert request_kind("GET", "/ping", rules=rules) == "health"
    assert request_kind("GET", "/healthz", rules=rules) == "page"
    assert request_kind("GET", "/cdn/x", rules=rules) == "asset"
    assert request_kind("GET", "/data.json", rules=rules) == "asset"
    assert request_kind("GET", "/favicon.ico", rules=rules) == "page"
    assert request_kind("POST", "/contact", "text/html", rules=rules) == "page"
    assert request_kind("DELETE", "/contact", rules=rules) == "api"


def test_root_and_empty_prefixes_are_ignored_rather_than_matching_everything() -> None:
    rules = KindRules(api_prefixes=("/", ""), asset_prefixes=("/",), beacon_prefixes=())
    assert request_kind("GET", "/about", "text/html", rules) == "page"


def test_rules_are_hashable_values() -> None:
    assert KindRules() == DEFAULT_KIND_RULES
    assert hash(KindRules()) == hash(DEFAULT_KIND_RULES)
    assert replace(DEFAULT_KIND_RULES, api_prefixes=("/x",)) != DEFAULT_KIND_RULES


@given(
    method=st.text(max_size=10),
    path=st.text(max_size=300),
    accept=st.none() | st.text(max_size=200),
)
def test_request_kind_never_raises(method: str, path: str, accept: str | None) -> None:
    assert request_kind(method, path, accept) in REQUEST_KINDS
