"""Identity resolution rules, with an explicit clock (pure; no I/O)."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from systemprompt_analytics.cli.render import session_label
from systemprompt_analytics.ingest.identity import (
    IdentityPolicy,
    IdentityResolver,
    new_session_id,
)
from systemprompt_analytics.ingest.session_cookie import (
    REFRESH_AFTER_SECONDS,
    SessionCookie,
    decode,
    derive_cookie_key,
    encode,
)

KEY = derive_cookie_key("k")
T0 = 1_800_000_000.0
MINUTE = 60.0


def resolver(**policy: float) -> IdentityResolver:
    return IdentityResolver(KEY, IdentityPolicy(**policy))  # type: ignore[arg-type]


def test_first_request_starts_a_session_and_sets_a_cookie() -> None:
    r = resolver()
    first = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    assert first.is_new and first.evidence == "new" and first.new_reason == "no cookie"
    cookie = decode(first.cookie_value, KEY)
    assert cookie is not None and cookie.session_id == first.session_id


def test_cookie_keeps_the_session_and_is_refreshed_only_when_stale() -> None:
    r = resolver()
    first = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    soon = r.resolve(
        cookie_value=first.cookie_value, fingerprint_hash="x", user_id=None, now=T0 + 5
    )
    assert (soon.session_id, soon.evidence, soon.is_new) == (first.session_id, "cookie", False)
    assert soon.cookie_value is None
    later = r.resolve(
        cookie_value=first.cookie_value,
        fingerprint_hash="x",
        user_id=None,
        now=T0 + REFRESH_AFTER_SECONDS + 1,
    )
    assert later.session_id == first.session_id and later.cookie_value is not None


def test_idle_timeout_starts_a_new_session() -> None:
    r = resolver(idle_timeout_seconds=30 * MINUTE)
    first = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    after = r.resolve(
        cookie_value=first.cookie_value, fingerprint_hash="fp", user_id=None, now=T0 + 31 * MINUTE
    )
    assert after.is_new and after.session_id != first.session_id


def test_sessions_are_capped_at_max_age_even_when_active() -> None:
    r = resolver(max_age_seconds=3600, idle_timeout_seconds=30 * MINUTE)
    current = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    first_id, cookie = current.session_id, current.cookie_value
    now = T0
    while now < T0 + 3600:
        now += 10 * MINUTE
        current = r.resolve(cookie_value=cookie, fingerprint_hash="fp", user_id=None, now=now)
        cookie = current.cookie_value or cookie
    assert current.is_new and current.session_id != first_id


def test_cookie_from_another_instance_is_trusted_without_the_database() -> None:
    other = resolver()
    issued = other.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    here = resolver()
    result = here.resolve(
        cookie_value=issued.cookie_value, fingerprint_hash="fp", user_id=None, now=T0 + 60
    )
    assert result.session_id == issued.session_id and not result.is_new


def test_cookie_less_requests_join_by_fingerprint() -> None:
    r = resolver()
    first = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    second = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0 + 30)
    assert second.session_id == first.session_id and second.evidence == "fingerprint"
    stranger = r.resolve(cookie_value=None, fingerprint_hash="other", user_id=None, now=T0 + 30)
    assert stranger.is_new


def test_cookie_less_client_is_offered_the_same_cookie_until_it_is_stale() -> None:
    # A client that never sends the cookie back (API client, crawler) must not cost a new
    # signature on every request: the value issued less than a refresh interval ago is reused.
    r = resolver()
    first = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    again = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0 + 30)
    assert again.cookie_value == first.cookie_value
    later = r.resolve(
        cookie_value=None,
        fingerprint_hash="fp",
        user_id=None,
        now=T0 + REFRESH_AFTER_SECONDS + 1,
    )
    assert later.session_id == first.session_id
    assert later.cookie_value is not None and later.cookie_value != first.cookie_value
    refreshed = decode(later.cookie_value, KEY)
    assert refreshed is not None
    assert refreshed.last_seen == int(T0 + REFRESH_AFTER_SECONDS + 1)
    assert refreshed.started == int(T0)


def test_stale_cookie_gets_the_value_issued_within_the_refresh_interval() -> None:
    # Two tabs of one browser: one refreshed the cookie a moment ago, the other still sends
    # the old value; both leave with the fresh one, not a third signature.
    r = resolver()
    first = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    stale_at = T0 + REFRESH_AFTER_SECONDS + 1
    tab1 = r.resolve(
        cookie_value=first.cookie_value, fingerprint_hash="fp", user_id=None, now=stale_at
    )
    tab2 = r.resolve(
        cookie_value=first.cookie_value, fingerprint_hash="fp", user_id=None, now=stale_at + 2
    )
    assert tab1.cookie_value is not None and tab1.cookie_value != first.cookie_value
    assert tab2.cookie_value == tab1.cookie_value


def test_cookie_less_request_never_joins_a_registered_users_session() -> None:
    r = resolver()
    user = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id="alice", now=T0)
    anonymous = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0 + 1)
    assert anonymous.is_new and anonymous.session_id != user.session_id
    mallory = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id="mallory", now=T0 + 2)
    assert mallory.session_id not in {user.session_id}


def test_cookie_less_request_of_the_same_user_joins_their_session() -> None:
    r = resolver()
    first = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id="alice", now=T0)
    again = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id="alice", now=T0 + 5)
    assert again.session_id == first.session_id


def test_login_within_a_session_identifies_it_once() -> None:
    r = resolver()
    first = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id=None, now=T0)
    login = r.resolve(
        cookie_value=first.cookie_value, fingerprint_hash="fp", user_id="bob", now=T0 + 5
    )
    assert login.session_id == first.session_id and login.identified_user_id == "bob"
    again = r.resolve(
        cookie_value=first.cookie_value, fingerprint_hash="fp", user_id="bob", now=T0 + 6
    )
    assert again.identified_user_id is None


def test_another_user_with_the_same_cookie_gets_a_new_session() -> None:
    r = resolver()
    bob = r.resolve(cookie_value=None, fingerprint_hash="fp", user_id="bob", now=T0)
    carol = r.resolve(
        cookie_value=bob.cookie_value, fingerprint_hash="fp", user_id="carol", now=T0 + 5
    )
    assert carol.is_new and carol.new_reason == "cookie session expired or left"


def test_forged_or_foreign_cookie_does_not_attach_to_its_session() -> None:
    victim = resolver().resolve(cookie_value=None, fingerprint_hash="v", user_id="alice", now=T0)
    cookie = decode(victim.cookie_value, KEY)
    assert cookie is not None
    forged = encode(SessionCookie(cookie.session_id, cookie.started, cookie.last_seen), b"wrong")
    r = resolver()
    result = r.resolve(cookie_value=forged, fingerprint_hash="m", user_id=None, now=T0 + 1)
    assert result.is_new and result.session_id != victim.session_id
    assert result.new_reason == "invalid cookie"


def test_index_is_bounded() -> None:
    r = resolver(index_size=100)
    for i in range(1_000):
        r.resolve(cookie_value=None, fingerprint_hash=f"fp{i}", user_id=None, now=T0 + i)
    assert len(r) == 100


def _twins() -> tuple[IdentityResolver, IdentityResolver, str]:
    """Two resolvers in the same state, and the cookie their one session was given."""
    a, b = resolver(), resolver()
    first = a.resolve(cookie_value=None, fingerprint_hash="fp", user_id="bob", now=T0)
    b.resolve(cookie_value=None, fingerprint_hash="fp", user_id="bob", now=T0)
    assert first.cookie_value is not None
    # Same session id in both, so their answers can be compared field by field.
    b._index = copy.deepcopy(a._index)
    return a, b, first.cookie_value


@pytest.mark.parametrize(
    ("user_id", "after"),
    [
        (None, 5.0),  # plain return visit
        ("bob", 5.0),  # the owner, authenticated
        (None, REFRESH_AFTER_SECONDS + 1),  # the cookie is refreshed
        (None, 29 * MINUTE),  # just inside the idle timeout
    ],
)
def test_resume_answers_as_resolve_does_for_a_live_session(
    user_id: str | None, after: float
) -> None:
    a, b, cookie = _twins()
    resumed = a.resume(cookie, user_id, T0 + after)
    resolved = b.resolve(
        cookie_value=cookie, fingerprint_hash="fp", user_id=user_id, now=T0 + after
    )
    assert resumed is not None and resolved.evidence == "cookie"
    assert resumed == resolved


@pytest.mark.parametrize(
    ("case", "user_id", "after"),
    [
        ("idle past the timeout", None, 31 * MINUTE),
        ("another user", "carol", 5.0),
        ("revoked", None, 5.0),
        ("unknown here (another instance's session)", None, 5.0),
        ("invalid cookie", None, 5.0),
    ],
)
def test_resume_leaves_every_other_case_to_resolve(
    case: str, user_id: str | None, after: float
) -> None:
    r, _, cookie = _twins()
    if case == "revoked":
        first = decode(cookie, KEY)
        assert first is not None
        r.revoke(first.session_id)
    elif case.startswith("unknown"):
        r = resolver()
    elif case == "invalid cookie":
        cookie = cookie[:-2] + "xx"
    assert r.resume(cookie, user_id, T0 + after) is None


SESSION_ID = re.compile(r"^sess_[0-9a-f]{32}$")
# 2000-01-01 (the log import's floor) to 2200-01-01, in epoch seconds.
STARTS = st.floats(min_value=946_684_800, max_value=7_258_118_400, allow_nan=False)


@given(STARTS, STARTS)
def test_session_ids_sort_by_their_start(first: float, second: float) -> None:
    """Ids that sort by start keep the writer's index inserts near the end of the B-trees."""
    a, b = new_session_id(first), new_session_id(second)
    assert SESSION_ID.match(a) and SESSION_ID.match(b)
    if int(first * 1000) < int(second * 1000):
        assert a < b
    assert int(a[5:17], 16) == int(first * 1000)


def test_session_ids_of_one_millisecond_are_unique_and_unpredictable() -> None:
    ids = {new_session_id(T0) for _ in range(20_000)}
    assert len(ids) == 20_000
    assert len({session_id[17:19] for session_id in ids}) == 256  # the random part varies
    state = resolver().resolve(cookie_value=None, fingerprint_hash="f", user_id=None, now=T0)
    assert SESSION_ID.match(state.session_id)
    assert decode(state.cookie_value or "", KEY) is not None  # the cookie accepts the id


def test_session_labels_are_the_random_tail_and_tell_one_milliseconds_ids_apart() -> None:
    ids = [new_session_id(T0) for _ in range(1_000)]
    labels = {session_label(session_id) for session_id in ids}
    assert all(label.startswith("…") and len(label) == 9 for label in labels)
    assert len(labels) >= 999  # 32 random bits each: a repeat among 1,000 is ~1 in 8,600
    assert {session_id[:13] for session_id in ids} == {ids[0][:13]}  # what the tables showed
    assert session_label("sess_short") == "sess_short"  # short ids (tests, imports) stay whole
