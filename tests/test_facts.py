"""Turning ASGI scopes and WSGI environs into RequestFacts (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.ingest.session_cookie import read_session_cookie
from systemprompt_analytics.web.facts import clean_text, facts_from_environ, facts_from_scope


@given(st.text())
def test_any_asgi_path_becomes_text_a_database_can_store(path: str) -> None:
    facts = facts_from_scope({"type": "http", "path": path, "headers": []})
    facts.path.encode("utf-8")  # raises on a lone surrogate
    if path and path.isascii():
        assert facts.path == path


@given(st.binary(max_size=60))
def test_any_wsgi_path_becomes_text_a_database_can_store(raw: bytes) -> None:
    environ = {"PATH_INFO": raw.decode("latin-1"), "REQUEST_METHOD": "GET"}
    path = facts_from_environ(environ).path
    path.encode("utf-8")
    if raw:
        assert path == raw.decode("utf-8", "replace")


def test_wsgi_paths_are_decoded_as_utf8() -> None:
    environ = {"PATH_INFO": "/café/€".encode().decode("latin-1")}
    assert facts_from_environ(environ).path == "/café/€"
    assert facts_from_environ({"PATH_INFO": "/plain"}).path == "/plain"
    assert facts_from_environ({}).path == "/"


def test_clean_text_recovers_escaped_bytes_and_replaces_other_surrogates() -> None:
    assert clean_text("/caf\udcc3\udca9") == "/café"
    assert clean_text("/a\ud800b") == "/a\ufffdb"
    assert clean_text("/ok") == "/ok"


def test_repeated_cookie_headers_are_joined_as_one_cookie_header() -> None:
    scope = {
        "type": "http",
        "path": "/",
        "headers": [(b"cookie", b"theme=dark"), (b"cookie", b"sp_sid=abc"), (b"accept", b"a")],
    }
    headers = facts_from_scope(scope).headers
    assert headers["cookie"] == "theme=dark; sp_sid=abc"
    assert read_session_cookie(headers["cookie"]) == "abc"
    # Other repeated headers keep the comma (RFC 9110 field-line joining).
    scope["headers"] = [(b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-for", b"2.2.2.2")]
    assert facts_from_scope(scope).headers["x-forwarded-for"] == "1.1.1.1, 2.2.2.2"
