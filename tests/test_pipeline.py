"""The request pipeline end to end (extract → classify → identify → writer) on both databases."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from systemprompt_analytics.config import load_settings
from systemprompt_analytics.ingest.pipeline import RequestFacts
from systemprompt_analytics.service import Analytics
from systemprompt_analytics.storage.schema import request_events, sessions

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/141.0.0.0 Safari/537.36"
)
T0 = datetime(2026, 11, 27, 10, tzinfo=UTC)


@pytest.fixture
def analytics(db_engine: Engine, database_url: str, tmp_path: Path) -> Analytics:
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "data")
    return Analytics(settings, engine=db_engine, site_hosts=["example.test"])


def request(
    analytics: Analytics,
    at: datetime,
    *,
    ip: str = "203.0.113.10",
    cookie: str | None = None,
    hint: str | None = None,
    path: str = "/",
    ua: str = CHROME,
    referer: str | None = None,
    status: int = 200,
) -> tuple[str, str | None]:
    headers = {"user-agent": ua, "accept": "text/html", "accept-language": "en-GB,en;q=0.8"}
    if cookie:
        headers["cookie"] = cookie
    if hint:
        headers["x-sp-fingerprint"] = hint
    if referer:
        headers["referer"] = referer
    context = analytics.pipeline.begin(RequestFacts("GET", path, "", headers, ip, at=at))
    assert context is not None
    analytics.pipeline.finish(context, status, 100)
    new_cookie = context.set_cookie.split(";", 1)[0] if context.set_cookie else None
    return context.resolution.session_id, new_cookie


def _session(engine: Engine, session_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(sessions).where(sessions.c.id == session_id)).one()
    return dict(row._mapping)


def test_a_forged_client_hint_cannot_pick_another_visitors_session(
    analytics: Analytics, db_engine: Engine
) -> None:
    victim, _ = request(analytics, T0, ip="203.0.113.10", hint="device-123")
    # Same hint, different network: the hint only refines, it never overrides.
    attacker, _ = request(analytics, T0 + timedelta(seconds=5), ip="198.51.100.66",
                          hint="device-123")  # fmt: skip
    assert attacker != victim
    # Same network and browser, different hint: kept apart too.
    sibling, _ = request(analytics, T0 + timedelta(seconds=6), ip="203.0.113.10", hint="dev-9")
    assert sibling != victim
    again, _ = request(analytics, T0 + timedelta(seconds=7), ip="203.0.113.10", hint="device-123")
    assert again == victim


def test_session_attributes_referrer_channel_and_internal_navigation(
    analytics: Analytics, db_engine: Engine
) -> None:
    session_id, cookie = request(
        analytics, T0, path="/pricing", referer="https://www.google.com/search?q=ai"
    )
    request(analytics, T0 + timedelta(seconds=30), cookie=cookie, path="/signup",
            referer="https://example.test/pricing")  # fmt: skip
    request(analytics, T0 + timedelta(seconds=40), cookie=cookie, path="/nope", status=404)
    assert analytics.close()
    row = _session(db_engine, session_id)
    assert (row["referrer_source"], row["channel"]) == ("google.com", "search")
    assert row["landing_page"] == "/pricing"
    assert (row["request_count"], row["page_view_count"], row["error_count"]) == (3, 2, 1)
    assert row["locale"] == "en-GB"
    assert row["started_at"] == T0 and row["last_activity_at"] == T0 + timedelta(seconds=40)


def test_idle_timeout_splits_sessions_at_the_requests_own_time(
    analytics: Analytics, db_engine: Engine
) -> None:
    first, cookie = request(analytics, T0)
    second, _ = request(analytics, T0 + timedelta(minutes=45), cookie=cookie)
    assert first != second


def test_conversion_and_revocation(analytics: Analytics, db_engine: Engine) -> None:
    session_id, cookie = request(analytics, T0)
    analytics.mark_converted(session_id, T0 + timedelta(minutes=1))
    analytics.mark_converted(session_id, T0 + timedelta(minutes=2))  # the first one is kept
    analytics.revoke_session(session_id, T0 + timedelta(minutes=3))
    after, _ = request(analytics, T0 + timedelta(minutes=4), cookie=cookie)
    assert after != session_id  # a revoked session's cookie is no longer honoured
    assert analytics.close()
    row = _session(db_engine, session_id)
    assert row["converted_at"] == T0 + timedelta(minutes=1)
    assert row["revoked_at"] == T0 + timedelta(minutes=3)


def test_bot_sessions_are_kept_with_flags_and_reason(
    analytics: Analytics, db_engine: Engine
) -> None:
    bot, _ = request(analytics, T0, ua="sqlmap/1.7.2#stable (https://sqlmap.org)", path="/.env",
                     status=404)  # fmt: skip
    claude_ua = "Mozilla/5.0 (compatible; ClaudeBot/1.0; +claudebot@anthropic.com)"
    crawler, _ = request(analytics, T0, ip="66.249.66.1", ua=claude_ua)
    assert analytics.close()
    scanner = _session(db_engine, bot)
    assert scanner["is_bot"] and scanner["is_scanner"] and scanner["bot_category"] == "scanner"
    assert scanner["bot_reason"]
    claude = _session(db_engine, crawler)
    assert claude["is_ai_crawler"] and claude["bot_category"] == "ai_crawler"
    with db_engine.connect() as conn:
        flags = conn.execute(
            select(request_events.c.is_scanner).where(request_events.c.session_id == bot)
        ).scalar_one()
    assert flags is True


def test_privacy_mode_truncates_stored_addresses(
    db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = load_settings(
        database_url=database_url, data_dir=tmp_path / "d", privacy_mode="truncate"
    )
    analytics = Analytics(settings, engine=db_engine)
    session_id, _ = request(analytics, T0, ip="203.0.113.77")
    assert analytics.close()
    assert _session(db_engine, session_id)["ip"] == "203.0.113.0"


def test_a_valid_cookie_decides_without_a_fingerprint(
    analytics: Analytics, db_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    def begin(of: Analytics, cookie: str | None) -> tuple[str, str | None, str, str | None]:
        headers = {"user-agent": CHROME, "accept": "text/html"}
        if cookie:
            headers["cookie"] = cookie
        context = of.pipeline.begin(RequestFacts("GET", "/", "", headers, "203.0.113.9"))
        assert context is not None
        set_cookie = context.set_cookie.split(";", 1)[0] if context.set_cookie else None
        resolution = context.resolution
        return resolution.session_id, context.fingerprint_hash, resolution.evidence, set_cookie

    session_id, first_print, _, cookie = begin(analytics, None)
    assert first_print is not None and cookie is not None  # cookie-less: fingerprinted
    again_id, fingerprint, evidence, _ = begin(analytics, cookie)
    assert (again_id, fingerprint, evidence) == (session_id, None, "cookie")  # cookie alone
    # Another instance that never saw the session still honours the cookie, fingerprinting
    # the request to index the session under it.
    other = Analytics(
        load_settings(database_url=database_url, data_dir=tmp_path / "data"), engine=db_engine
    )
    other_id, other_print, other_evidence, _ = begin(other, cookie)
    assert (other_id, other_evidence) == (session_id, "cookie") and other_print is not None


def test_queued_requests_are_left_alone_by_the_garbage_collector(analytics: Analytics) -> None:
    """What a request of a known session queues for the writer (nearly every request of a
    busy site) holds plain values only, so the thousands queued between two flushes are
    neither walked by the collector nor promoted until they trigger full collections of the
    host's whole heap (tens of milliseconds each). A session's first request carries its
    attributes as a dict, which keeps that one record tracked."""
    assert analytics.writer.pending == 0
    for i in range(40):  # 20 new sessions, then a second request of each
        request(analytics, T0 + timedelta(seconds=i), ip=f"203.0.113.{i % 20}", status=200 + i)
    items = list(analytics.writer._queue)
    assert len(items) == 40
    gc.collect()
    gc.collect()  # a tuple is left alone once the tuples in it are
    returning = [item for item in items if item[1][-1] is None]
    assert len(returning) == 20
    assert [item for item in returning if gc.is_tracked(item)] == []
