"""Rollup-backed traffic and session reports give exactly what the raw rows give, on the demo
dataset (both databases): traffic sources, landing pages, geography at every level, devices,
session stats and trends — for windows aligned to days, ragged windows (raw rows at both
edges) and hourly windows, with and without bots, with a filter the rollup reads from its keys
(a channel) and one it cannot (a source host on landing pages: read raw), and with dirty hours
(sessions changed after they were rolled up) that are read raw until a refresh recomputes
them. Visitors are distinct counts: exact over days and regrouped levels."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, update

from systemprompt_analytics.demo.generator import generate_demo
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.definitions import bounce_session, content_path, in_period
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.sessions import session_stats, session_trends
from systemprompt_analytics.reports.traffic import (
    GEO_LEVELS,
    GeoLevel,
    landing_pages,
    session_totals,
    traffic_devices,
    traffic_geo,
    traffic_sources,
)
from systemprompt_analytics.reports.traffic_figures import Label, label_visitors
from systemprompt_analytics.storage.dialect import Granularity
from systemprompt_analytics.storage.rollups import RollupReader, rebuild_rollups, refresh_rollups
from systemprompt_analytics.storage.rollups.state import floor_hour, mark_dirty, read_coverage
from systemprompt_analytics.storage.rollups.values import KEY_TYPECODE
from systemprompt_analytics.storage.schema import sessions
from tests.factories import add_engagement, add_session
from tests.rollup_equality import DAYS, END, WINDOWS, Report, differences, rollup_rows

HUMANS = SessionFilter()
EVERYONE = SessionFilter(include_bots=True)
SEARCH = SessionFilter(channel="search")  # the sources rollup has the channel: no raw read
GOOGLE = SessionFilter(source="google.com")  # landing pages have no source key: read raw
ROLLUPS = ("sessions", "session_visitors", "traffic_sources", "traffic_landing", "traffic_geo",
           "traffic_devices")  # fmt: skip

TRENDS: tuple[Granularity, ...] = ("hour", "day", "week")


def _geo(level: GeoLevel) -> Report:
    return lambda c, p, r: traffic_geo(c, p, HUMANS, 4, level, use_rollups=r)


def _trends(granularity: Granularity) -> Report:
    return lambda c, p, r: session_trends(c, p, granularity, use_rollups=r)


REPORTS: dict[str, Report] = {
    "traffic sources": lambda c, p, r: traffic_sources(c, p, HUMANS, 5, use_rollups=r),
    "traffic sources, bots": lambda c, p, r: traffic_sources(c, p, EVERYONE, 5, use_rollups=r),
    "traffic sources, channel": lambda c, p, r: traffic_sources(c, p, SEARCH, 5, use_rollups=r),
    "traffic pages": lambda c, p, r: landing_pages(c, p, HUMANS, 6, use_rollups=r),
    "traffic pages, bots": lambda c, p, r: landing_pages(c, p, EVERYONE, 6, use_rollups=r),
    "traffic pages, source": lambda c, p, r: landing_pages(c, p, GOOGLE, 6, use_rollups=r),
    **{f"traffic geo by {level}": _geo(level) for level in GEO_LEVELS},
    "traffic geo, bots": lambda c, p, r: traffic_geo(c, p, EVERYONE, 4, "city", use_rollups=r),
    "traffic devices": lambda c, p, r: traffic_devices(c, p, HUMANS, 3, use_rollups=r),
    "traffic devices, bots": lambda c, p, r: traffic_devices(c, p, EVERYONE, 3, use_rollups=r),
    "session totals, channel": lambda c, p, r: session_totals(c, p, SEARCH, use_rollups=r),
    "sessions stats": lambda c, p, r: session_stats(c, p, p.until, use_rollups=r),
    **{f"sessions trends by {granularity}": _trends(granularity) for granularity in TRENDS},
}


@pytest.fixture
def demo(db_engine: Engine) -> Engine:
    generate_demo(db_engine, days=DAYS, sessions=600, seed=5, end=END)
    rebuild_rollups(db_engine, datetime.now(UTC), names=ROLLUPS)
    return db_engine


def test_rollup_backed_traffic_reports_equal_the_raw_rows(demo: Engine) -> None:
    with demo.connect() as conn:
        coverage = read_coverage(conn, ROLLUPS)
        plans = [RollupReader(conn).plan(name, [WINDOWS["ragged"].since, END]) for name in ROLLUPS]
        pages = landing_pages(conn, WINDOWS["whole days"], HUMANS, 6)
    assert all(found.covered_until is not None for found in coverage.values())
    assert all(plan.daily and plan.hourly and plan.raw for plan in plans)  # every tier is read
    # The figures are not trivially equal: the demo has bounces, repeat visitors and groups
    # beyond the rows shown.
    totals = pages.totals
    assert 0 < totals["bounces"] < totals["sessions"]
    assert 0 < totals["visitors"] < totals["sessions"]
    assert pages.lists["landing_pages"].total_rows > 6
    assert differences(demo, REPORTS) == []


VISITOR_LISTS: dict[str, tuple[Callable[..., Any], SessionFilter, dict[str, tuple[str, ...]]]] = {
    "sources": (traffic_sources, EVERYONE, {"by_channel": ("channel",), "by_source": ("source",)}),
    "pages": (landing_pages, HUMANS, {"landing_pages": ("path",)}),
    "geo": (traffic_geo, HUMANS, {"locations": ("country",)}),
    "devices": (traffic_devices, HUMANS, {"by_browser": ("browser",), "by_os": ("os",)}),
}
RAW_COLUMNS = {"channel": sessions.c.channel, "source": sessions.c.referrer_source,
               "path": content_path(sessions.c.landing_page), "country": sessions.c.country,
               "browser": sessions.c.browser, "os": sessions.c.os}  # fmt: skip


def _distinct_visitors(
    conn: Connection, period: Period, where: SessionFilter, labels: tuple[str, ...] = ()
) -> dict[tuple[Any, ...], int]:
    """``count(DISTINCT visitor_hash)`` of the matching sessions by the labels' raw columns."""
    columns = [RAW_COLUMNS[label] for label in labels]
    statement = (
        select(*columns, func.count(sessions.c.visitor_hash.distinct()))
        .where(in_period(sessions.c.started_at, period), where.condition())
        .group_by(*columns)
    )
    return {tuple(row[:-1]): int(row[-1]) for row in conn.execute(statement)}


@pytest.mark.parametrize("report", VISITOR_LISTS)
def test_visitors_equal_a_distinct_count_of_the_raw_sessions(demo: Engine, report: str) -> None:
    """Independent of the report code: each row's and the totals' visitors are the SQL distinct
    count of its sessions' visitor hashes (an empty label is NULL)."""
    build, where, lists = VISITOR_LISTS[report]
    with demo.connect() as conn:
        for period in WINDOWS.values():
            found = build(conn, period, where, 4)
            assert found.totals["visitors"] == _distinct_visitors(conn, period, where)[()]
            for name, labels in lists.items():
                expected = _distinct_visitors(conn, period, where, labels)
                rows = found.lists[name].rows
                assert rows
                for row in rows:
                    key = tuple(None if row[label].startswith("(") else row[label]
                                for label in labels)  # fmt: skip
                    assert row["visitors"] == expected[key]
            stats = session_stats(conn, period, period.until)
            human_visitors = _distinct_visitors(conn, period, HUMANS)[()]
            assert stats.to_dict()["unique_visitors"]["current"] == human_visitors


def test_visitors_are_distinct_across_days_and_regrouped_levels(db_engine: Engine) -> None:
    """One visitor in two cities of a country on two days is one visitor of the country, two
    sessions; the rollups hold one set per city and day and their union counts them once."""
    day = datetime(2026, 10, 20, tzinfo=UTC)
    with db_engine.begin() as conn:
        add_session(conn, at=day + timedelta(hours=9), visitor_hash="v-1", country="US",
                    region="California", city="San Francisco")  # fmt: skip
        add_session(conn, at=day + timedelta(days=1, hours=9), visitor_hash="v-1", country="US",
                    region="New York", city="New York")  # fmt: skip
        add_session(conn, at=day + timedelta(hours=10), visitor_hash="v-2", country="US",
                    region="New York", city="New York")  # fmt: skip
    rebuild_rollups(db_engine, datetime.now(UTC), names=ROLLUPS)
    period = Period(day, day + timedelta(days=2))
    with db_engine.connect() as conn:
        assert RollupReader(conn).plan("traffic_geo", [period.since, period.until]).daily
        countries = traffic_geo(conn, period, HUMANS, level="country")
        cities = traffic_geo(conn, period, HUMANS, level="city")
        stats = session_stats(conn, period, period.until)
    (us,) = countries.lists["locations"].rows
    assert (us["country"], us["sessions"], us["visitors"]) == ("US", 3, 2)
    assert countries.totals["visitors"] == 2
    by_city = {
        row["city"]: (row["sessions"], row["visitors"]) for row in cities.lists["locations"].rows
    }
    assert by_city == {"New York": (2, 2), "San Francisco": (1, 1)}
    assert stats.to_dict()["unique_visitors"]["current"] == 2


@pytest.mark.parametrize(
    "sets",
    [
        [],
        [{1, 2}],
        [{1, 2, 3}, {3, 4}, {4, 5, 1}],  # a few overlapping runs
        [set(range(n, n + 40)) for n in range(0, 400, 30)],  # many small runs
        [set(range(n, 40_000, 7)) for n in range(5)],  # enough keys to count by slices
        [{-(2**63), 2**63 - 1}, {-(2**63), 0}],  # the ends of the key space
    ],
)
def test_label_visitors_count_each_visitor_once_across_runs(sets: list[set[int]]) -> None:
    """A label's visitors from its finer groups' runs (one per bucket) — with the groups of
    other labels left out."""
    label = Label("channel", "channel", "(unknown)")
    fine = {("web", n): [array(KEY_TYPECODE, sorted(found))] for n, found in enumerate(sets)}
    fine[("email", 0)] = [array(KEY_TYPECODE, [3, 10**6])]
    counted = label_visitors(fine, ["channel", "source"], [label], [("web",), ("api",)])
    assert counted == {("web",): len(set().union(*sets)), ("api",): 0}


def _first_bounce_hour(conn: Connection, after: datetime) -> tuple[str, datetime]:
    """A bouncing human session started on or after ``after`` and the hour it started in."""
    found = conn.execute(
        select(sessions.c.id, sessions.c.started_at)
        .where(sessions.c.started_at >= after, bounce_session(conn.dialect.name))
        .order_by(sessions.c.started_at)
        .limit(1)
    ).one()
    return str(found.id), floor_hour(found.started_at)


def test_dirty_hours_are_read_raw_until_a_refresh_recomputes_them(demo: Engine) -> None:
    """Sessions changed after their hours were rolled up (a late verdict, an engagement row
    that ends a bounce, a visitor recognised as a returning one): the marked hours are read
    raw, so the reports stay right; a refresh recomputes them."""
    before = rollup_rows(demo, ROLLUPS)
    hour = datetime(2026, 10, 31, 10, tzinfo=UTC)
    s = sessions.c
    with demo.begin() as conn:
        bounced, bounce_hour = _first_bounce_hour(conn, hour + timedelta(hours=2))
        add_engagement(conn, bounced, at=bounce_hour, engaged_time_ms=60_000, click_count=3)
        conn.execute(
            update(sessions)
            .where(s.started_at >= hour, s.started_at < hour + timedelta(hours=1))
            .values(is_behavioral_bot=True)
        )
        moved = hour + timedelta(hours=1)
        in_moved = (s.started_at >= moved, s.started_at < moved + timedelta(hours=1))
        assert conn.execute(select(func.count()).where(*in_moved)).scalar_one() > 1
        conn.execute(
            update(sessions)
            .where(*in_moved)
            .values(
                country="NZ",
                city="Auckland",
                channel="referral",
                landing_page="/moved/",
                visitor_hash="returning-visitor",
                browser="Lynx",
            )
        )
        late = frozenset({hour, moved, bounce_hour})
        mark_dirty(conn, dict.fromkeys(ROLLUPS, late), datetime.now(UTC))
    assert rollup_rows(demo, ROLLUPS) == before  # the rollups are stale: only the marks save them
    assert differences(demo, REPORTS) == []
    result = refresh_rollups(demo, datetime.now(UTC), names=ROLLUPS, settle=timedelta(0))
    assert result.marks == len(ROLLUPS) * len(late)
    with demo.connect() as conn:
        assert all(not found.dirty for found in read_coverage(conn, ROLLUPS).values())
    assert rollup_rows(demo, ROLLUPS) != before
    assert differences(demo, REPORTS) == []
