"""The engagement definitions (DESIGN.md §6) on both databases: bounce — each condition on its
own — interactive events, the 30-minute time-on-page cap, and the trend direction's flat band."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.content import content_stats
from systemprompt_analytics.reports.definitions import (
    bounce_session,
    interactive_session,
    session_engaged_ms,
    trend_direction,
)
from systemprompt_analytics.reports.engagement import session_engagement
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.traffic import session_totals
from systemprompt_analytics.storage.schema import sessions
from tests.factories import add_client_event, add_engagement, add_session

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
AT = NOW - timedelta(hours=2)
PERIOD = Period(NOW - timedelta(days=1), NOW)
MINUTE_MS = 60_000


def one_page_session(conn: Connection, **values: object) -> str:
    """A human session with one page view and nothing else: the plainest bounce."""
    return add_session(conn, at=AT, page_view_count=1, landing_page="/", **values)


def _engaged(ms: int) -> Callable[[Connection], str]:
    def build(conn: Connection) -> str:
        session_id = one_page_session(conn)
        add_engagement(conn, session_id, at=AT, engaged_time_ms=ms)
        return session_id

    return build


def _with_event(event_type: str) -> Callable[[Connection], str]:
    def build(conn: Connection) -> str:
        session_id = one_page_session(conn)
        add_client_event(conn, session_id, event_type, at=AT, name="x")
        return session_id

    return build


def _flagged(flag: str) -> Callable[[Connection], str]:
    return lambda conn: one_page_session(conn, **{flag: True})


def _two_short_pages(conn: Connection) -> str:
    session_id = one_page_session(conn)
    add_engagement(conn, session_id, at=AT, engaged_time_ms=6_000)
    add_engagement(conn, session_id, at=AT, engaged_time_ms=5_000)  # 11 s in all
    return session_id


def _clicked(conn: Connection) -> str:
    session_id = one_page_session(conn)
    add_engagement(conn, session_id, at=AT, engaged_time_ms=2_000, click_count=1)
    return session_id


def _other_session_clicked(conn: Connection) -> str:
    session_id = one_page_session(conn)
    other = one_page_session(conn)
    add_client_event(conn, other, "link_click", at=AT)
    add_engagement(conn, other, at=AT, click_count=3)
    return session_id


CASES: dict[str, tuple[Callable[[Connection], str], bool]] = {
    "one page, no engagement row (no JavaScript)": (one_page_session, True),
    "one page, 9.999 s engaged": (_engaged(9_999), True),
    "one page, exactly 10 s engaged": (_engaged(10_000), False),
    "one page, 11 s over two engagement rows": (_two_short_pages, False),
    "two page views": (lambda conn: add_session(conn, at=AT, page_view_count=2), False),
    "no page view (API only)": (lambda conn: add_session(conn, at=AT, page_view_count=0), False),
    "is_bot": (_flagged("is_bot"), False),
    "is_ai_crawler": (_flagged("is_ai_crawler"), False),
    "is_scanner": (_flagged("is_scanner"), False),
    "is_behavioral_bot": (_flagged("is_behavioral_bot"), False),
    "link_click event": (_with_event("link_click"), False),
    "custom event": (_with_event("custom"), False),
    "conversion event": (_with_event("conversion"), False),
    "scroll event is not interactive": (_with_event("scroll"), True),
    "page_view event is not interactive": (_with_event("page_view"), True),
    "engagement row with a click": (_clicked, False),
    "another session's events do not count": (_other_session_clicked, True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bounce_conditions_one_at_a_time(db_engine: Engine, case: str) -> None:
    build, expected = CASES[case]
    with db_engine.begin() as conn:
        session_id = build(conn)
        bounced = conn.execute(
            select(bounce_session(conn.dialect.name)).where(sessions.c.id == session_id)
        ).scalar_one()
        summary = session_engagement(conn, session_id)
    assert bool(bounced) is expected
    assert summary.session["is_bounce"] is expected


def test_bounce_rate_is_over_human_sessions_with_a_page_view(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        one_page_session(conn)  # bounce
        _engaged(12_000)(conn)  # one page but engaged: not a bounce
        add_session(conn, at=AT, page_view_count=3)
        add_session(conn, at=AT, page_view_count=0)  # ghost: not in the denominator
        one_page_session(conn, is_bot=True)  # bots never count
        totals = session_totals(conn, PERIOD, SessionFilter())
        with_bots = session_totals(conn, PERIOD, SessionFilter(include_bots=True))
    assert (totals["sessions"], totals["bounces"]) == (4, 1)
    assert totals["bounce_rate"] == pytest.approx(1 / 3, abs=1e-6)
    assert (with_bots["sessions"], with_bots["bot_sessions"]) == (5, 1)
    assert with_bots["bounce_rate"] == totals["bounce_rate"]  # a human metric


def test_interactive_session_and_engaged_time(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        quiet = one_page_session(conn)
        add_engagement(conn, quiet, at=AT, engaged_time_ms=45 * MINUTE_MS)  # capped to 30
        add_engagement(conn, quiet, at=AT, engaged_time_ms=90_000, click_count=0)
        busy = one_page_session(conn)
        add_client_event(conn, busy, "custom", at=AT, name="copy_code")
        rows: dict[str, object] = dict(
            conn.execute(
                select(sessions.c.id, interactive_session()).where(sessions.c.id.in_([quiet, busy]))
            ).all()
        )
        engaged: dict[str, int] = dict(
            conn.execute(
                select(sessions.c.id, session_engaged_ms(conn.dialect.name)).where(
                    sessions.c.id.in_([quiet, busy])
                )
            ).all()
        )
    assert (bool(rows[quiet]), bool(rows[busy])) == (False, True)
    assert int(engaged[quiet]) == 30 * MINUTE_MS + 90_000
    assert int(engaged[busy]) == 0


def test_time_on_page_is_capped_at_30_minutes_per_page_view(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        session_id = add_session(conn, at=AT, page_view_count=3)
        add_engagement(conn, session_id, at=AT, engaged_time_ms=3 * 60 * MINUTE_MS)  # → 30 min
        add_engagement(conn, session_id, at=AT, engaged_time_ms=10 * MINUTE_MS)
        add_engagement(conn, session_id, at=AT, engaged_time_ms=30 * MINUTE_MS)  # at the cap
        stats = content_stats(conn, PERIOD, SessionFilter()).to_dict()
        summary = session_engagement(conn, session_id)
    assert stats["avg_time_on_page_seconds"]["current"] == (30 + 10 + 30) * 60 / 3
    assert [page["time_on_page_seconds"] for page in summary.pages] == [1800.0, 600.0, 1800.0]
    assert [page["engaged_seconds"] for page in summary.pages] == [10800.0, 600.0, 1800.0]
    assert summary.summary["time_on_page_seconds"] == 4200.0


# --------------------------------------------------------------------------------------
# Trend direction: flat within ±5% of the previous value (inclusive)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (105, 100, "flat"),  # +5% exactly: still flat
        (106, 100, "up"),
        (95, 100, "flat"),  # −5% exactly
        (94, 100, "down"),
        (100, 100, "flat"),
        (0, 0, "flat"),
        (1, 0, "up"),  # from nothing to something
        (0, 3, "down"),
        (10.5, 10.0, "flat"),
        (10.51, 10.0, "up"),
        (None, 5, None),
        (5, None, None),
    ],
)
def test_trend_direction_band(
    current: float | None, previous: float | None, expected: str | None
) -> None:
    assert trend_direction(current, previous) == expected


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
)
def test_trend_direction_properties(current: int, previous: int) -> None:
    direction = trend_direction(current, previous)
    assert direction in ("up", "down", "flat")
    if direction == "up":
        assert (current - previous) * 20 > previous
    elif direction == "down":
        assert (previous - current) * 20 > previous
    else:
        assert abs(current - previous) * 20 <= previous or current == previous
