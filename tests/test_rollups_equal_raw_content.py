"""The content, engagement and navigation reports give the same JSON from their rollups as
from raw rows, on the demo dataset (both databases): whole-day, ragged and hourly windows,
human-only and with bots, filters the rollups cannot express (read raw), one page, and with
dirty hours (rows changed after they were rolled up) read raw until a refresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update

from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.reports.content import content_stats, content_trends, top_content
from systemprompt_analytics.reports.engagement import page_engagement
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.navigation import navigation
from systemprompt_analytics.storage.rollups import RollupReader, rebuild_rollups, refresh_rollups
from systemprompt_analytics.storage.rollups.state import mark_dirty, read_coverage
from systemprompt_analytics.storage.schema import (
    engagement_events,
    request_events,
    rollup_content_views_daily,
    rollup_navigation_daily,
    sessions,
)
from tests.rollup_equality import DAYS, END, WINDOWS, Report, differences, rollup_rows

CONTENT_ROLLUPS = ("content_views", "content_totals", "content_engagement",
                   "content_engagement_totals", "navigation", "navigation_totals")  # fmt: skip
HUMANS = SessionFilter()
EVERYONE = SessionFilter(include_bots=True)
SEARCH = SessionFilter(channel="search")  # not a rollup key: read raw
HOME = "/"

REPORTS: dict[str, Report] = {
    "content stats": lambda c, p, r: content_stats(c, p, HUMANS, use_rollups=r),
    "content stats, bots": lambda c, p, r: content_stats(c, p, EVERYONE, use_rollups=r),
    "content stats, search": lambda c, p, r: content_stats(c, p, SEARCH, use_rollups=r),
    "content top": lambda c, p, r: top_content(c, p, HUMANS, 5, use_rollups=r),
    "content top, all rows": lambda c, p, r: top_content(c, p, HUMANS, 10_000, use_rollups=r),
    "content top, bots": lambda c, p, r: top_content(c, p, EVERYONE, 5, use_rollups=r),
    "content top, search": lambda c, p, r: top_content(c, p, SEARCH, 5, use_rollups=r),
    "content trends by day": lambda c, p, r: content_trends(c, p, "day", HUMANS, use_rollups=r),
    "content trends by hour": lambda c, p, r: content_trends(c, p, "hour", EVERYONE, use_rollups=r),
    "content trends by week, one page": lambda c, p, r: content_trends(
        c, p, "week", HUMANS, HOME, use_rollups=r
    ),
    "content engagement": lambda c, p, r: page_engagement(c, p, HUMANS, 5, use_rollups=r),
    "content engagement, one page": lambda c, p, r: page_engagement(
        c, p, EVERYONE, 5, HOME, use_rollups=r
    ),
    "content engagement, search": lambda c, p, r: page_engagement(c, p, SEARCH, use_rollups=r),
    "traffic navigation": lambda c, p, r: navigation(c, p, HUMANS, 5, use_rollups=r),
    "traffic navigation, all rows": lambda c, p, r: navigation(c, p, HUMANS, 10_000, use_rollups=r),
    "traffic navigation, bots": lambda c, p, r: navigation(c, p, EVERYONE, 5, use_rollups=r),
    "traffic navigation --from": lambda c, p, r: navigation(
        c, p, HUMANS, 5, from_path=HOME, use_rollups=r
    ),
    "traffic navigation --to": lambda c, p, r: navigation(
        c, p, EVERYONE, 5, to_path=HOME, use_rollups=r
    ),
    "traffic navigation, search": lambda c, p, r: navigation(c, p, SEARCH, 5, use_rollups=r),
}


@pytest.fixture
def demo(db_engine: Engine) -> Engine:
    generate_demo(db_engine, days=DAYS, sessions=600, seed=5, end=END)
    rebuild_rollups(db_engine, datetime.now(UTC), names=CONTENT_ROLLUPS)
    return db_engine


def test_the_reports_have_something_to_compare(demo: Engine) -> None:
    """The comparison means something: every rollup is built and read in every tier, and the
    reports find page views, visitors, engagement and transitions."""
    with demo.connect() as conn:
        coverage = read_coverage(conn, CONTENT_ROLLUPS)
        plans = [
            RollupReader(conn).plan(name, [WINDOWS["ragged"].since, END])
            for name in CONTENT_ROLLUPS
        ]
        period = WINDOWS["whole days"]
        stats = content_stats(conn, period, HUMANS).to_dict()
        moves = navigation(conn, period, HUMANS)
        top = top_content(conn, period, HUMANS, 3)
        entries = conn.execute(
            select(func.count())
            .select_from(rollup_navigation_daily)
            .where(rollup_navigation_daily.c.from_path.is_(None))
        ).scalar_one()
        view_rows = conn.execute(
            select(func.count()).select_from(rollup_content_views_daily)
        ).scalar_one()
    assert all(found.covered_until is not None for found in coverage.values())
    assert all(plan.daily and plan.hourly and plan.raw for plan in plans)
    assert view_rows > 0
    assert stats["page_views"]["current"] > stats["unique_visitors"]["current"] > 0
    assert stats["engaged_page_views"]["current"] > 0
    assert stats["avg_time_on_page_seconds"]["current"] is not None
    assert moves.totals["transitions"] > moves.totals["sessions"] > 0
    assert 0 < top.rows[0]["visitors"] <= top.rows[0]["page_views"]
    assert entries > 0  # first page views are kept (the report leaves them out)


def test_rollup_backed_reports_equal_the_raw_rows(demo: Engine) -> None:
    assert differences(demo, REPORTS) == []


def test_dirty_hours_are_read_raw_until_a_refresh_recomputes_them(demo: Engine) -> None:
    """Changes after the hours were rolled up — sessions turned bot, engagement rows deleted,
    a page view inserted late into a session (which changes the next view's previous page) —
    are read raw from the marked hours; a refresh recomputes them."""
    before = rollup_rows(demo, CONTENT_ROLLUPS)
    hour = datetime(2026, 10, 31, 10, tzinfo=UTC)
    late = {hour, hour + timedelta(hours=1), hour + timedelta(hours=5)}
    with demo.begin() as conn:
        r, e, s = request_events.c, engagement_events.c, sessions.c
        conn.execute(
            update(sessions)
            .where(s.started_at >= hour, s.started_at < hour + timedelta(hours=1))
            .values(is_behavioral_bot=True)
        )
        conn.execute(
            delete(engagement_events).where(
                e.occurred_at >= hour + timedelta(hours=5),
                e.occurred_at < hour + timedelta(hours=6),
            )
        )
        # Inserted just before a page view, it becomes that view's previous page.
        next_view = conn.execute(
            select(r.session_id, r.occurred_at)
            .where(r.kind == "page", r.occurred_at > hour + timedelta(hours=5))
            .order_by(r.occurred_at)
            .limit(1)
        ).one()
        conn.execute(
            insert(request_events).values(
                occurred_at=next_view.occurred_at - timedelta(microseconds=1),
                session_id=next_view.session_id,
                method="GET",
                path="/a-page-inserted-late/",
                status_code=200,
                kind="page",
            )
        )
        # The sessions' page views may reach into the next hour: it is marked too.
        mark_dirty(conn, dict.fromkeys(CONTENT_ROLLUPS, late), datetime.now(UTC))
    assert (
        rollup_rows(demo, CONTENT_ROLLUPS) == before
    )  # the rollups are stale: only the marks save them
    assert differences(demo, REPORTS) == []
    result = refresh_rollups(demo, datetime.now(UTC), settle=timedelta(0), names=CONTENT_ROLLUPS)
    assert result.marks == len(CONTENT_ROLLUPS) * len(late)
    refreshed = rollup_rows(demo, CONTENT_ROLLUPS)
    assert all(refreshed[name] != before[name] for name in refreshed)
    assert differences(demo, REPORTS) == []
