"""The dashboard login's pure parts: the signed session cookie, credentials, form tokens, the
same-origin check, the login form parser and the failed-login limiter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.web.ingestion.body import BodyError
from systemprompt_analytics.web.server.dashboard.credentials import Credentials
from systemprompt_analytics.web.server.dashboard.csrf import (
    form_token,
    new_nonce,
    own_origin,
    same_origin,
    token_matches,
    valid_nonce,
)
from systemprompt_analytics.web.server.dashboard.forms import MAX_FORM_BYTES, parse_form
from systemprompt_analytics.web.server.dashboard.login_limiter import LoginLimiter
from systemprompt_analytics.web.server.dashboard.session import (
    LIFETIME_SECONDS,
    LoggedOut,
    LoginSession,
    clear_cookie_header,
    cookie_header,
    decode,
    derive_key,
    encode,
    issue,
)

KEY = derive_key("secret", "session", b"credentials")
NOW = 1_800_000_000.0


# -- session cookie ----------------------------------------------------------------------------


def test_a_session_round_trips_until_it_expires() -> None:
    session = issue(NOW)
    value = encode(session, KEY)
    assert session.expires - session.issued == LIFETIME_SECONDS
    assert decode(value, KEY, NOW) == session
    assert decode(value, KEY, NOW + LIFETIME_SECONDS - 1) == session
    assert decode(value, KEY, NOW + LIFETIME_SECONDS) is None
    assert decode(value, KEY, NOW - 10) is None  # issued in the future: not ours


def test_sessions_get_fresh_ids() -> None:
    assert len({issue(NOW).id for _ in range(100)}) == 100


def test_a_cookie_signed_with_another_key_is_refused() -> None:
    value = encode(issue(NOW), KEY)
    assert decode(value, derive_key("secret", "session", b"rotated token"), NOW) is None
    assert decode(value, derive_key("other secret", "session", b"credentials"), NOW) is None
    assert decode(value, derive_key("secret", "login-form", b"credentials"), NOW) is None


def test_an_extended_expiry_breaks_the_signature() -> None:
    session = issue(NOW)
    value = encode(session, KEY)
    forged = value.replace(f".{session.expires}.", f".{session.expires + 10**6}.")
    assert forged != value
    assert decode(forged, KEY, NOW) is None


@given(st.text(max_size=300))
def test_any_cookie_value_decodes_to_a_session_or_none(value: str) -> None:
    found = decode(value, KEY, NOW)
    assert found is None or isinstance(found, LoginSession)


@given(st.integers(min_value=0, max_value=len(encode(issue(NOW), KEY)) - 1), st.characters())
def test_changing_any_character_invalidates_the_cookie(position: int, replacement: str) -> None:
    value = encode(LoginSession("A" * 22, int(NOW), int(NOW) + 60), KEY)
    changed = value[:position] + replacement + value[position + 1 :]
    if changed != value:
        assert decode(changed, KEY, NOW) is None


def test_cookie_attributes() -> None:
    header = cookie_header("sp_dashboard", "v", max_age=60, secure=False)
    assert header == "sp_dashboard=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict"
    assert cookie_header("a", "b", max_age=1, secure=True, path="/login").endswith(
        "Path=/login; Max-Age=1; HttpOnly; SameSite=Strict; Secure"
    )
    assert "Max-Age=0" in clear_cookie_header("sp_dashboard", secure=False)


def test_logged_out_sessions_are_remembered_until_they_expire() -> None:
    logged_out = LoggedOut(capacity=2)
    first, second, third = (LoginSession(f"{n}" * 22, 0, 100 + n) for n in range(3))
    logged_out.add(first, now=10)
    assert first in logged_out and second not in logged_out
    logged_out.add(second, now=10)
    logged_out.add(third, now=10)  # over capacity: the one expiring first is dropped
    assert first not in logged_out and second in logged_out and third in logged_out
    logged_out.add(LoginSession("x" * 22, 0, 500), now=102)  # second and third expired
    assert second not in logged_out and third not in logged_out


# -- credentials -------------------------------------------------------------------------------


def test_the_token_and_the_password_are_both_accepted() -> None:
    settings = load_settings(api_token="the-token", dashboard_password="the password")
    credentials = Credentials.from_settings(settings)
    assert credentials.configured
    assert credentials.accepts("the-token")
    assert credentials.accepts("the password")
    assert not credentials.accepts("the-token ")
    assert not credentials.accepts("")
    assert not credentials.accepts("THE-TOKEN")


def test_nothing_configured_accepts_nothing() -> None:
    credentials = Credentials(None, "")
    assert not credentials.configured
    assert not credentials.accepts("anything")


def test_the_fingerprint_changes_with_any_credential() -> None:
    assert Credentials("a", "b").fingerprint() == Credentials("a", "b").fingerprint()
    assert Credentials("a", "b").fingerprint() != Credentials("a", "c").fingerprint()
    assert Credentials("a", None).fingerprint() != Credentials("b", None).fingerprint()


@given(st.text(), st.text())
def test_only_the_secret_itself_is_accepted(secret: str, presented: str) -> None:
    assert Credentials(secret).accepts(presented) == (bool(secret) and presented == secret)


# -- form tokens and origins -------------------------------------------------------------------


def test_a_form_token_is_bound_to_its_cookie() -> None:
    nonce = new_nonce()
    assert valid_nonce(nonce)
    token = form_token(KEY, nonce)
    assert token_matches(KEY, nonce, token)
    assert not token_matches(KEY, new_nonce(), token)
    assert not token_matches(derive_key("other", "login-form"), nonce, token)
    assert not token_matches(KEY, nonce, "")
    assert not token_matches(KEY, nonce, token + "é")


@pytest.mark.parametrize("nonce", [None, "", "short", "a" * 23, "a" * 21 + "!"])
def test_malformed_nonces_are_refused(nonce: str | None) -> None:
    assert not valid_nonce(nonce)


@pytest.mark.parametrize(
    ("origin", "referer", "allowed"),
    [
        ("http://dash.test:8000", None, True),
        ("http://DASH.test:8000", None, True),
        ("https://dash.test:8000", None, False),
        ("http://evil.test", None, False),
        ("null", None, False),
        ("garbage", None, False),
        (None, "http://dash.test:8000/login?x=1", True),
        (None, "http://evil.test/dash.test:8000", False),
        (None, None, True),  # no browser evidence: the form token stands alone
        ("http://evil.test", "http://dash.test:8000/login", False),  # Origin wins
    ],
)
def test_same_origin(origin: str | None, referer: str | None, allowed: bool) -> None:
    assert same_origin(origin, referer, own_origin("http", "dash.test:8000")) is allowed


def test_own_origin_drops_default_ports_and_refuses_garbage() -> None:
    assert own_origin("https", "Dash.Test:443") == "https://dash.test"
    assert own_origin("http", None) is None
    assert own_origin("http", "bad host/with path") is None
    assert not same_origin("http://dash.test", None, None)


# -- the login form ----------------------------------------------------------------------------


def test_the_form_keeps_known_fields_only() -> None:
    body = b"password=p%C3%A4ss+word&csrf=abc&csrf=second&extra=1"
    assert parse_form(body) == {"password": "päss word", "csrf": "abc"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"password=" + b"x" * 1025, 400, "password"),
        (b"csrf=" + b"x" * 65, 400, "csrf"),
        (b"password=\xff", 400, "body"),
        (b"&".join(b"f%d=1" % i for i in range(20)), 400, "body"),
        (b"password=" + b"x" * MAX_FORM_BYTES, 413, "body"),
    ],
)
def test_bad_forms_name_the_field(body: bytes, status: int, field: str) -> None:
    with pytest.raises(BodyError) as caught:
        parse_form(body)
    assert (caught.value.status, caught.value.field) == (status, field)


@given(st.binary(max_size=MAX_FORM_BYTES + 10))
def test_any_body_is_a_form_or_a_named_error(body: bytes) -> None:
    try:
        fields = parse_form(body)
    except BodyError as exc:
        assert exc.status in (400, 413)
        return
    assert set(fields) <= {"password", "csrf"}


# -- failed-login limiter ----------------------------------------------------------------------


def test_five_failures_in_a_minute_lock_the_client_out_for_a_while() -> None:
    limiter = LoginLimiter()
    for _ in range(5):
        assert limiter.retry_after("198.51.100.7") is None
        limiter.failed("198.51.100.7")
    wait = limiter.retry_after("198.51.100.7")
    assert wait is not None and 1 <= wait <= 60
    assert limiter.retry_after("198.51.100.8") is None  # others are not affected
    assert limiter.retry_after(None) is None


def test_unknown_clients_share_one_budget() -> None:
    limiter = LoginLimiter(failures=1)
    limiter.failed(None)
    assert limiter.retry_after(None) is not None
