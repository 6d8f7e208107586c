"""The signed session cookie: round trip, tampering, parsing (pure)."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.ingest.session_cookie import (
    SessionCookie,
    decode,
    derive_cookie_key,
    encode,
    read_cookie_header,
    set_cookie_header,
)

KEY = derive_cookie_key("test-secret")
OTHER_KEY = derive_cookie_key("another-secret")
COOKIE = SessionCookie("sess_" + "ab" * 16, 1_700_000_000, 1_700_000_100)


def test_round_trip() -> None:
    assert decode(encode(COOKIE, KEY), KEY) == COOKIE


def test_a_cookie_signed_with_another_key_is_rejected() -> None:
    assert decode(encode(COOKIE, OTHER_KEY), KEY) is None


@given(st.integers(min_value=0), st.sampled_from(string.ascii_letters + string.digits + "._-"))
def test_any_single_character_change_is_rejected(position: int, replacement: str) -> None:
    value = encode(COOKIE, KEY)
    index = position % len(value)
    if value[index] == replacement:
        return
    tampered = value[:index] + replacement + value[index + 1 :]
    assert decode(tampered, KEY) is None


@given(st.text(max_size=300))
def test_arbitrary_values_never_raise_and_are_never_accepted(value: str) -> None:
    assert decode(value, KEY) is None


@given(st.text(max_size=40), st.text(max_size=40), st.integers(min_value=0))
def test_cookie_shaped_values_with_any_characters_never_raise(
    middle: str, signature: str, position: int
) -> None:
    """A header is decoded as latin-1, so a client can send any of its characters in the
    five-part shape (found by audit: `sp_sid=v1.\xe9.1.2.x` raised UnicodeEncodeError)."""
    value = f"v1.{middle}.1.2.{signature}"
    assert decode(value, KEY) is None
    good = encode(COOKIE, KEY)
    index = position % len(good)
    assert decode(good[:index] + "\xe9" + good[index + 1 :], KEY) is None


def test_malformed_shapes_are_rejected() -> None:
    good = encode(COOKIE, KEY)
    assert decode(None, KEY) is None
    assert decode("", KEY) is None
    assert decode(good + ".x", KEY) is None
    assert decode("v2" + good[2:], KEY) is None
    assert decode(good * 3, KEY) is None
    backwards = SessionCookie(COOKIE.session_id, 200, 100)
    assert decode(encode(backwards, KEY), KEY) is None


def test_cookie_header_parsing() -> None:
    assert read_cookie_header("a=1; sp_sid=abc.def; b=2") == "abc.def"
    assert read_cookie_header('sp_sid="quoted"') == "quoted"
    assert read_cookie_header("xsp_sid=1; other=2") is None
    assert read_cookie_header(None) is None
    assert read_cookie_header("garbage;;;=") is None


def test_set_cookie_attributes() -> None:
    header = set_cookie_header("v", max_age=1800, secure=True)
    assert header.startswith("sp_sid=v; Path=/; Max-Age=1800")
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    assert "Secure" not in set_cookie_header("v", max_age=1, secure=False)
