"""Which session a request belongs to, decided without waiting on the database.

Order of evidence:

1. A valid signed session cookie whose session is still alive (idle less than the timeout,
   younger than the cap) → that session. The cookie carries start and last-seen times, so any
   instance can judge it. A session that belongs to a registered user is left (a new one begins)
   only if the request is authenticated as a *different* user.
2. Otherwise the fingerprint → the most recent live session with that fingerprint, held in a
   bounded in-memory index, but **only** if that session is anonymous or belongs to the user the
   request is authenticated as. A cookie-less request can never join a registered user's session.
3. Otherwise a new session.

There is no database fallback: a cookie is its own proof on any instance, and a cookie-less
client whose requests reach several instances gets one session per instance.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from systemprompt_analytics.ingest import session_cookie
from systemprompt_analytics.ingest.session_cookie import SessionCookie

Evidence = Literal["cookie", "fingerprint", "key", "new"]


@dataclass(slots=True)
class SessionState:
    """What the index remembers about a live session (times in epoch seconds)."""

    session_id: str
    started: float
    last_seen: float
    fingerprint_hash: str
    user_id: str | None = None
    # The last cookie value issued for the session and when: a client that does not send
    # cookies back (an API client, a crawler) is offered this same value again until it is
    # REFRESH_AFTER_SECONDS old, instead of a freshly signed one on every request.
    cookie: str | None = None
    cookie_issued: float = 0.0


# Not frozen: a frozen dataclass's __init__ costs several times more, and one of these is made
# per request on the hot path. Treat it as immutable.
@dataclass(slots=True)
class Resolution:
    session_id: str
    evidence: Evidence
    is_new: bool
    started: float
    # Set when the user became known on this request (the writer records it on the session).
    identified_user_id: str | None
    # A Set-Cookie value to send, or None when the client's cookie is still good.
    cookie_value: str | None
    # Why a new session began ("no cookie", "expired", "user changed", ...); None when reused.
    new_reason: str | None = None


@dataclass(frozen=True, slots=True)
class IdentityPolicy:
    idle_timeout_seconds: float = 30 * 60
    max_age_seconds: float = 24 * 3600
    index_size: int = 200_000


_SESSION_KEY_NAMESPACE = uuid.UUID("5b0f3c9e-8a57-4d0e-9c41-7f2f1d3b6a10")


_MAX_MILLIS = (1 << 48) - 1  # 12 hex digits: until the year 10889


def new_session_id(started: float) -> str:
    """``sess_`` and 32 hex digits: the start in milliseconds since the epoch (12 digits) and
    80 random bits, as in a UUIDv7.

    Ids that sort by start keep the index inserts of the writer (``sessions`` by id,
    ``request_events`` by session and time) near the end of their B-trees, where the pages of
    the sessions still active are; random ids scatter them over the whole index, and once it
    outgrows the page cache every event costs page reads (3 million events: SQLite 44–55 µs per
    event row with random ids, 15–16 µs with these; PostgreSQL 9.8 against 7.5 µs). The start
    is no secret: the signed cookie carries it too.
    """
    return f"sess_{int(started * 1000) & _MAX_MILLIS:012x}{secrets.randbits(80):020x}"


@dataclass
class _Index:
    sessions: OrderedDict[str, SessionState] = field(default_factory=OrderedDict)
    by_fingerprint: OrderedDict[str, str] = field(default_factory=OrderedDict)


class IdentityResolver:
    """Thread-safe; every method is O(1) and touches memory only."""

    def __init__(self, cookie_key: bytes, policy: IdentityPolicy | None = None) -> None:
        self._key = cookie_key
        self.policy = policy or IdentityPolicy()
        # Verifying a cookie's HMAC costs more than the rest of resolution; a cookie value is
        # re-sent unchanged for up to a minute, so remember the verdict per value.
        self._decode = lru_cache(maxsize=65_536)(
            lambda value: session_cookie.decode(value, cookie_key)
        )
        self._index = _Index()
        self._revoked: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    # -- public ---------------------------------------------------------------------------

    def resolve(
        self,
        *,
        cookie_value: str | None,
        fingerprint_hash: str,
        user_id: str | None,
        now: float,
    ) -> Resolution:
        cookie = self._decode(cookie_value) if cookie_value else None
        with self._lock:
            if cookie is not None:
                resolution = self._from_cookie(cookie, fingerprint_hash, user_id, now)
                if resolution is not None:
                    return resolution
                reason = "cookie session expired or left"
            else:
                reason = "invalid cookie" if cookie_value else "no cookie"
            state = self._live_by_fingerprint(fingerprint_hash, now)
            if state is not None and state.user_id in (None, user_id):
                return self._reuse(state, "fingerprint", user_id, now, None)
            return self._start(fingerprint_hash, user_id, now, reason)

    def resume(self, cookie_value: str, user_id: str | None, now: float) -> Resolution | None:
        """The session a valid cookie continues, when this instance holds it and it is alive;
        None when :meth:`resolve` must decide (with the request's fingerprint).

        The common request of a returning browser, answered without the fingerprint: what
        :meth:`resolve` would answer for the same cookie, user and time.
        """
        cookie = self._decode(cookie_value)
        if cookie is None:
            return None
        with self._lock:
            state = self._index.sessions.get(cookie.session_id)
            if state is None:
                return None
            return self._continue(state, cookie, user_id, now)

    def resolve_keyed(self, session_key: str, fingerprint_hash: str, now: float) -> Resolution:
        """The session named by an explicit key (e.g. a log's session field): one session per
        key, its id derived from the key so that re-importing the same log names it again."""
        session_id = f"sess_{uuid.uuid5(_SESSION_KEY_NAMESPACE, session_key).hex}"
        with self._lock:
            state = self._index.sessions.get(session_id)
            if state is not None:
                if now > state.last_seen:
                    state.last_seen = now
                self._store(state)
                return Resolution(session_id, "key", False, state.started, None, None)
            state = SessionState(session_id, now, now, fingerprint_hash)
            self._store(state)
            return Resolution(session_id, "new", True, now, None, None, "new session key")

    def identify(self, session_id: str, user_id: str) -> bool:
        """Record that an anonymous session's user became known (after the app authenticated
        the request). True when this changed the session; a session that already belongs to
        someone keeps its owner."""
        with self._lock:
            state = self._index.sessions.get(session_id)
            if state is None:
                return True  # evicted: the database merge keeps an existing owner anyway
            if state.user_id is not None:
                return False
            state.user_id = user_id
            return True

    def revoke(self, session_id: str) -> None:
        """Stop honouring a session here: its cookie and fingerprint start a new session."""
        with self._lock:
            self._revoked[session_id] = None
            while len(self._revoked) > self.policy.index_size:
                self._revoked.popitem(last=False)
            self._index.sessions.pop(session_id, None)

    def is_alive(self, started: float, last_seen: float, now: float) -> bool:
        return (
            now - last_seen < self.policy.idle_timeout_seconds
            and now - started < self.policy.max_age_seconds
        )

    def __len__(self) -> int:
        return len(self._index.sessions)

    # -- internals (called with the lock held) --------------------------------------------

    def _from_cookie(
        self, cookie: SessionCookie, fingerprint_hash: str, user_id: str | None, now: float
    ) -> Resolution | None:
        state = self._index.sessions.get(cookie.session_id)
        if state is None:
            # Another instance (or this one before a restart) created it: the cookie is proof.
            state = SessionState(
                cookie.session_id, float(cookie.started), float(cookie.last_seen), fingerprint_hash
            )
        return self._continue(state, cookie, user_id, now)

    def _continue(
        self, state: SessionState, cookie: SessionCookie, user_id: str | None, now: float
    ) -> Resolution | None:
        """The cookie's session, if it is not revoked, alive and not another user's; else None."""
        if state.session_id in self._revoked:
            return None
        if cookie.last_seen > state.last_seen:
            state.last_seen = float(cookie.last_seen)
        policy = self.policy  # is_alive(), inlined: this runs on nearly every request
        if (
            now - state.last_seen >= policy.idle_timeout_seconds
            or now - state.started >= policy.max_age_seconds
        ):
            return None
        if state.user_id is not None and user_id is not None and state.user_id != user_id:
            return None
        return self._reuse(state, "cookie", user_id, now, cookie.last_seen)

    def _live_by_fingerprint(self, fingerprint_hash: str, now: float) -> SessionState | None:
        session_id = self._index.by_fingerprint.get(fingerprint_hash)
        if session_id is None:
            return None
        state = self._index.sessions.get(session_id)
        if state is None or not self.is_alive(state.started, state.last_seen, now):
            return None
        return state

    def _reuse(
        self,
        state: SessionState,
        evidence: Evidence,
        user_id: str | None,
        now: float,
        cookie_last_seen: int | None,
    ) -> Resolution:
        identified = None
        if user_id is not None and state.user_id is None:
            state.user_id = identified = user_id
        if now > state.last_seen:
            state.last_seen = now
        self._store(state)
        stale = cookie_last_seen is None or now - cookie_last_seen >= (
            session_cookie.REFRESH_AFTER_SECONDS
        )
        return Resolution(
            state.session_id,
            evidence,
            False,
            state.started,
            identified,
            self._cookie(state, now) if stale else None,
        )

    def _start(
        self, fingerprint_hash: str, user_id: str | None, now: float, reason: str
    ) -> Resolution:
        state = SessionState(new_session_id(now), now, now, fingerprint_hash, user_id)
        self._store(state)
        return Resolution(
            session_id=state.session_id,
            evidence="new",
            is_new=True,
            started=now,
            identified_user_id=user_id,
            cookie_value=self._cookie(state, now),
            new_reason=reason,
        )

    def _cookie(self, state: SessionState, now: float) -> str:
        if state.cookie is None or not (
            0 <= now - state.cookie_issued < session_cookie.REFRESH_AFTER_SECONDS
        ):
            value = SessionCookie(state.session_id, int(state.started), int(now))
            state.cookie = session_cookie.encode(value, self._key)
            state.cookie_issued = now
        return state.cookie

    def _store(self, state: SessionState) -> None:
        sessions = self._index.sessions
        sessions[state.session_id] = state
        sessions.move_to_end(state.session_id)
        fingerprints = self._index.by_fingerprint
        # Only anonymous-or-same-user reuse happens by fingerprint, but the newest session of a
        # fingerprint is the one to offer.
        fingerprints[state.fingerprint_hash] = state.session_id
        fingerprints.move_to_end(state.fingerprint_hash)
        limit = self.policy.index_size
        while len(sessions) > limit:
            sessions.popitem(last=False)
        while len(fingerprints) > limit:
            fingerprints.popitem(last=False)
