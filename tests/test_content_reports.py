"""Content reports on both databases: stats against the previous period with trend direction,
top pages (shares of all page views), zero-filled trends including the current bucket, and
engagement per page and per session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.content import content_stats, content_trends, top_content
from systemprompt_analytics.reports.engagement import page_engagement, session_engagement
from systemprompt_analytics.reports.filters import SessionFilter
from tests.factories import (
    add_client_event,
    add_content_item,
    add_engagement,
    add_request,
    add_session,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
PERIOD = Period(NOW - timedelta(days=1), NOW)
CURRENT = NOW - timedelta(hours=3)
PREVIOUS = NOW - timedelta(days=1, hours=3)
HUMANS = SessionFilter()


def views(conn: Connection, path: str, count: int, at: datetime, visitor: str = "v1",
          **session: object) -> str:  # fmt: skip
    """``count`` page views of ``path`` in one session of ``visitor``."""
    session_id = add_session(conn, at=at, visitor_hash=visitor, **session)
    for _ in range(count):
        add_request(conn, session_id, at=at, path=path)
    return session_id


def test_stats_against_the_previous_period(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        first = views(conn, "/docs/", 2, CURRENT, "a")
        views(conn, "/docs", 1, CURRENT, "b")
        views(conn, "/pricing", 1, CURRENT, "a")
        views(conn, "/pricing", 5, CURRENT, "bot", is_bot=True)
        add_request(conn, first, at=CURRENT, path="/api/v1/me", kind="api")  # not a page view
        add_engagement(conn, first, at=CURRENT, path="/docs", engaged_time_ms=40 * 60_000,
                       max_scroll_depth=80)  # fmt: skip
        add_engagement(conn, first, at=CURRENT, path="/docs", engaged_time_ms=20_000,
                       max_scroll_depth=40)  # fmt: skip
        views(conn, "/docs", 4, PREVIOUS, "c")
        stats = content_stats(conn, PERIOD, HUMANS).to_dict()
        with_bots = content_stats(conn, PERIOD, SessionFilter(include_bots=True)).to_dict()
    assert stats["page_views"] == {"current": 4, "previous": 4, "change_pct": 0.0,
                                   "trend": "flat"}  # fmt: skip
    assert stats["unique_visitors"]["current"] == 2
    assert stats["pages_viewed"]["current"] == 2  # /docs/ and /docs are one page
    assert stats["engaged_page_views"] == {"current": 2, "previous": 0, "change_pct": None,
                                           "trend": "up"}  # fmt: skip
    assert stats["avg_time_on_page_seconds"]["current"] == (1800 + 20) / 2
    assert stats["avg_time_on_page_seconds"]["previous"] is None
    assert stats["avg_time_on_page_seconds"]["trend"] is None
    assert stats["avg_scroll_depth"]["current"] == 60.0
    assert with_bots["page_views"]["current"] == 9
    assert with_bots["filters"]["include_bots"] is True


def test_top_pages_with_true_shares_registry_titles_and_trends(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        views(conn, "/flat", 21, CURRENT)  # +5% exactly: flat
        views(conn, "/flat", 20, PREVIOUS)
        views(conn, "/up/", 10, CURRENT)
        views(conn, "/up", 5, PREVIOUS)
        views(conn, "/down", 3, CURRENT)
        views(conn, "/down", 10, PREVIOUS)
        views(conn, "/new", 2, CURRENT)
        views(conn, "/gone", 7, PREVIOUS)  # no views now: not a top page
        add_content_item(conn, "/up", slug="up", title="Going up")
        top = top_content(conn, PERIOD, HUMANS, limit=3)
        everything = top_content(conn, PERIOD, HUMANS, limit=20)
    summary = [
        (r["path"], r["page_views"], r["share_of_all"], r["previous_page_views"], r["trend"])
        for r in top.rows
    ]
    assert summary == [
        ("/flat", 21, 0.583333, 20, "flat"),
        ("/up", 10, 0.277778, 5, "up"),
        ("/down", 3, 0.083333, 10, "down"),
    ]
    assert top.total_rows == 4
    assert top.totals["page_views"]["current"] == 36
    assert (top.rows[1]["title"], top.rows[1]["slug"], top.rows[1]["change_pct"]) == (
        "Going up",
        "up",
        100.0,
    )
    assert everything.rows[-1]["path"] == "/new" and everything.rows[-1]["trend"] == "up"
    assert sum(row["share_of_all"] for row in everything.rows) == pytest.approx(1.0, abs=1e-5)


def test_top_pages_carry_their_engagement(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        session_id = views(conn, "/guide", 2, CURRENT)
        add_engagement(conn, session_id, at=CURRENT, path="/guide", engaged_time_ms=30_000,
                       max_scroll_depth=100)  # fmt: skip
        views(conn, "/quiet", 1, CURRENT)
        rows = top_content(conn, PERIOD, HUMANS).rows
    guide, quiet = rows
    assert (guide["engaged_views"], guide["avg_time_on_page_seconds"], guide["avg_scroll_depth"]) \
        == (1, 30.0, 100.0)  # fmt: skip
    assert (quiet["engaged_views"], quiet["avg_time_on_page_seconds"]) == (0, None)


def test_trends_are_zero_filled_and_include_the_current_bucket(db_engine: Engine) -> None:
    period = Period(datetime(2026, 11, 24, tzinfo=UTC), NOW)  # NOW is midday: today is partial
    with db_engine.begin() as conn:
        monday = views(conn, "/docs", 2, datetime(2026, 11, 24, 9, tzinfo=UTC), "a")
        add_engagement(conn, monday, at=datetime(2026, 11, 24, 9, 5, tzinfo=UTC), path="/docs",
                       engaged_time_ms=12_000, max_scroll_depth=50)  # fmt: skip
        views(conn, "/pricing", 1, NOW - timedelta(minutes=30), "b")  # today, before now
        views(conn, "/docs", 1, NOW - timedelta(minutes=10), "c")
        views(conn, "/docs", 9, NOW, "d")  # at `until`: outside the half-open period
        series = content_trends(conn, period, "day", HUMANS)
        docs = content_trends(conn, period, "day", HUMANS, path="/docs")
    assert [point["bucket"][:10] for point in series] == [
        "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27",
    ]  # fmt: skip
    assert [(p["page_views"], p["visitors"], p["engaged_views"]) for p in series] == [
        (2, 1, 1),
        (0, 0, 0),
        (0, 0, 0),
        (2, 2, 0),
    ]
    assert (series[0]["avg_time_on_page_seconds"], series[0]["avg_scroll_depth"]) == (12.0, 50.0)
    assert series[1]["avg_time_on_page_seconds"] is None  # no engagement: no average
    assert [p["page_views"] for p in docs] == [2, 0, 0, 1]


def test_hourly_trends_cover_every_hour(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        views(conn, "/", 3, NOW - timedelta(minutes=1))
        series = content_trends(conn, PERIOD, "hour", HUMANS)
    assert len(series) == 24
    assert series[-1]["bucket"] == (NOW - timedelta(hours=1)).isoformat()
    assert series[-1]["page_views"] == 3
    assert sum(point["page_views"] for point in series) == 3


# --------------------------------------------------------------------------------------
# Engagement
# --------------------------------------------------------------------------------------
def test_page_engagement_mix_and_frustration(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        session_id = add_session(conn, at=CURRENT, page_view_count=5)
        for pattern, rage, dead, scroll in (("read", 0, 0, 90), ("read", 4, 0, 70),
                                            ("skim", 0, 2, 20), (None, 0, 0, 0)):  # fmt: skip
            add_engagement(conn, session_id, at=CURRENT, path="/docs/", reading_pattern=pattern,
                           rage_click_count=rage, dead_click_count=dead, click_count=rage + dead,
                           max_scroll_depth=scroll, engaged_time_ms=60_000)  # fmt: skip
        add_engagement(conn, session_id, at=CURRENT, path="/", reading_pattern="bounce")
        bot = add_session(conn, at=CURRENT, is_bot=True)
        add_engagement(conn, bot, at=CURRENT, path="/", reading_pattern="bounce")
        add_content_item(conn, "/docs", title="Docs")
        report = page_engagement(conn, PERIOD, HUMANS, limit=1)
        only_home = page_engagement(conn, PERIOD, HUMANS, path="/")
    (docs,) = report.rows
    assert (docs["path"], docs["title"], docs["engaged_views"], docs["share_of_all"]) == (
        "/docs",
        "Docs",
        4,
        0.8,
    )
    assert (docs["rage_clicks"], docs["dead_clicks"], docs["clicks"]) == (4, 2, 6)
    assert (docs["views_with_rage_clicks"], docs["views_with_dead_clicks"]) == (1, 1)
    assert docs["avg_scroll_depth"] == 45.0
    assert docs["avg_time_on_page_seconds"] == 60.0
    mix = {name: value["views"] for name, value in docs["reading_patterns"].items()}
    assert mix == {"bounce": 0, "skim": 1, "scan": 0, "read": 2, "engaged": 0, "unknown": 1}
    assert docs["reading_patterns"]["read"]["share"] == 0.5
    assert report.total_rows == 2
    assert report.totals["engaged_views"] == 5
    flat = report.csv_rows()[0]
    assert flat["pattern_read_share"] == 0.5 and "reading_patterns" not in flat
    assert [row["path"] for row in only_home.rows] == ["/"]
    assert only_home.totals["engaged_views"] == 1


def test_session_engagement_summary(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        session_id = add_session(conn, at=CURRENT, page_view_count=2, landing_page="/",
                                 last_activity_at=CURRENT + timedelta(minutes=2))  # fmt: skip
        add_engagement(conn, session_id, at=CURRENT + timedelta(minutes=2), path="/b",
                       engaged_time_ms=5_000, max_scroll_depth=30, click_count=1)  # fmt: skip
        add_engagement(conn, session_id, at=CURRENT + timedelta(minutes=1), path="/a/",
                       engaged_time_ms=40_000, max_scroll_depth=90, rage_click_count=3,
                       click_count=3, reading_pattern="read")  # fmt: skip
        add_client_event(conn, session_id, "link_click", at=CURRENT, target_url="https://x.y")
        add_client_event(conn, session_id, "page_view", at=CURRENT)
        add_client_event(conn, session_id, "page_view", at=CURRENT)
        report = session_engagement(conn, session_id).to_dict()
    assert report["session"]["id"] == session_id
    assert report["session"]["is_bounce"] is False
    assert report["session"]["has_interactive_event"] is True
    assert report["session"]["duration_seconds"] == 120.0
    assert [page["path"] for page in report["pages"]] == ["/a", "/b"]  # in time order
    assert report["summary"] == {
        "engaged_pages": 2,
        "time_on_page_seconds": 45.0,
        "avg_scroll_depth": 60.0,
        "clicks": 4,
        "rage_clicks": 3,
        "dead_clicks": 0,
    }
    assert report["events"] == {"link_click": 1, "page_view": 2}


def test_unknown_session_is_a_clear_error(db_engine: Engine) -> None:
    with db_engine.connect() as conn, pytest.raises(InvalidInputError) as raised:
        session_engagement(conn, "sess_missing")
    assert raised.value.field == "--session"
    assert "sess_missing" in raised.value.problem
