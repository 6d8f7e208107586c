"""Traffic reports on both databases: sources and channels, landing pages with source filters,
geography, devices and navigation — shares of the true total, human-only by default."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.filters import SessionFilter, parse_channel, parse_source
from systemprompt_analytics.reports.navigation import navigation
from systemprompt_analytics.reports.traffic import (
    landing_pages,
    traffic_devices,
    traffic_geo,
    traffic_sources,
)
from tests.factories import add_content_item, add_request, add_session

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
AT = NOW - timedelta(hours=3)
PERIOD = Period(NOW - timedelta(days=1), NOW)
HUMANS = SessionFilter()


def visit(conn: Connection, source: str | None, channel: str, landing: str | None = "/",
          pages: int = 2, at: datetime = AT, **values: Any) -> str:  # fmt: skip
    return add_session(
        conn,
        at=at,
        referrer_source=source,
        channel=channel,
        landing_page=landing,
        page_view_count=pages,
        **values,
    )


def seed_sources(conn: Connection) -> None:
    """10 human sessions: search 4 (google.com 3, bing.com 1), direct 3, social 2 (t.co),
    email 1 (newsletter); and 2 bot sessions from google.com."""
    for _ in range(3):
        visit(conn, "google.com", "search", "/docs/")
    visit(conn, "bing.com", "search", "/pricing")
    for _ in range(3):
        visit(conn, None, "direct", "/")
    visit(conn, "t.co", "social", "/docs")
    visit(conn, "t.co", "social", None, pages=0)  # an API-only session: no landing page
    visit(conn, "newsletter", "email", "/pricing", pages=1)  # a bounce
    visit(conn, "google.com", "search", "/docs", is_bot=True)
    visit(conn, "google.com", "search", "/", is_ai_crawler=True)
    visit(conn, "google.com", "search", "/", at=NOW - timedelta(days=2))  # previous period


def names(rows: list[dict[str, Any]], key: str) -> list[tuple[Any, int, float | None]]:
    return [(row[key], row["sessions"], row["share_of_all"]) for row in rows]


def test_shares_are_of_the_true_total_not_of_the_rows_shown(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        seed_sources(conn)
        report = traffic_sources(conn, PERIOD, HUMANS, limit=2)
    assert report.totals["sessions"] == 10
    channels = report.lists["by_channel"]
    assert names(channels.rows, "channel") == [("search", 4, 0.4), ("direct", 3, 0.3)]
    assert channels.total_rows == 4
    sources = report.lists["by_source"]
    assert names(sources.rows, "source") == [("(none)", 3, 0.3), ("google.com", 3, 0.3)]
    assert sources.total_rows == 5


def test_include_bots_adds_bot_sessions_to_counts_and_shares(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        seed_sources(conn)
        humans = traffic_sources(conn, PERIOD, HUMANS, limit=20)
        everyone = traffic_sources(conn, PERIOD, SessionFilter(include_bots=True), limit=20)
    assert (everyone.totals["sessions"], everyone.totals["bot_sessions"]) == (12, 2)
    google = everyone.lists["by_source"].rows[0]
    assert (google["source"], google["sessions"], google["bot_sessions"]) == ("google.com", 5, 2)
    assert google["share_of_all"] == pytest.approx(5 / 12, abs=1e-6)
    # Bounce rate and visit duration are human metrics whatever the filter.
    assert everyone.totals["bounce_rate"] == humans.totals["bounce_rate"]
    assert humans.totals["bounce_rate"] == pytest.approx(1 / 9, abs=1e-6)  # 9 with a page view
    assert sum(row["sessions"] for row in humans.lists["by_channel"].rows) == 10


def test_landing_pages_normalised_with_titles_and_source_filters(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        seed_sources(conn)
        add_content_item(conn, "/docs", slug="docs", title="Documentation")
        everything = landing_pages(conn, PERIOD, HUMANS, limit=20)
        google = landing_pages(conn, PERIOD, SessionFilter(source="google.com"), limit=20)
        search = landing_pages(conn, PERIOD, SessionFilter(channel="search"), limit=20)
        social = landing_pages(conn, PERIOD, SessionFilter(channel="social"), limit=20)
    rows = everything.lists["landing_pages"].rows
    assert names(rows, "path") == [
        ("/docs", 4, 0.4),  # /docs/ and /docs are one page
        ("/", 3, 0.3),
        ("/pricing", 2, 0.2),
        ("(none)", 1, 0.1),
    ]
    assert (rows[0]["title"], rows[0]["slug"]) == ("Documentation", "docs")
    assert rows[1]["title"] is None
    google_rows = google.lists["landing_pages"].rows
    assert names(google_rows, "path") == [("/docs", 3, 1.0)]
    assert google.totals["sessions"] == 3
    assert names(search.lists["landing_pages"].rows, "path") == [
        ("/docs", 3, 0.75),
        ("/pricing", 1, 0.25),
    ]
    assert names(social.lists["landing_pages"].rows, "path") == [
        ("(none)", 1, 0.5),
        ("/docs", 1, 0.5),
    ]
    pricing = next(row for row in rows if row["path"] == "/pricing")
    assert (pricing["bounces"], pricing["bounce_rate"]) == (1, 0.5)


def test_visit_duration_reuses_the_capped_session_duration(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_session(conn, at=AT, last_activity_at=AT + timedelta(minutes=10), country="DE")
        add_session(conn, at=AT, last_activity_at=AT + timedelta(hours=3), country="DE")
        report = traffic_geo(conn, PERIOD, HUMANS)
    (row,) = report.lists["locations"].rows
    assert row["country"] == "DE"
    assert row["avg_visit_duration_seconds"] == (600 + 1800) / 2


def test_geo_levels_and_devices(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        add_session(conn, at=AT, country="US", region="California", city="San Francisco",
                    device_type="desktop", browser="Chrome", os="Mac OS X")  # fmt: skip
        add_session(conn, at=AT, country="US", region="New York", city="New York",
                    device_type="mobile", browser="Mobile Safari", os="iOS")  # fmt: skip
        add_session(conn, at=AT, country="FR", device_type="desktop", browser="Firefox",
                    os="Windows")  # fmt: skip
        add_session(conn, at=AT)
        countries = traffic_geo(conn, PERIOD, HUMANS, level="country")
        cities = traffic_geo(conn, PERIOD, HUMANS, level="city", limit=2)
        devices = traffic_devices(conn, PERIOD, HUMANS, limit=2)
    assert names(countries.lists["locations"].rows, "country") == [
        ("US", 2, 0.5),
        ("(unknown)", 1, 0.25),
        ("FR", 1, 0.25),
    ]
    city_rows = cities.lists["locations"].rows
    assert [(r["country"], r["region"], r["city"]) for r in city_rows] == [
        ("(unknown)", "(unknown)", "(unknown)"),
        ("FR", "(unknown)", "(unknown)"),
    ]
    assert cities.lists["locations"].total_rows == 4
    assert cities.to_dict()["level"] == "city"
    assert names(devices.lists["by_device_type"].rows, "device_type") == [
        ("desktop", 2, 0.5),
        ("(unknown)", 1, 0.25),
    ]
    assert devices.lists["by_browser"].total_rows == 4
    assert set(devices.to_dict()) >= {"by_device_type", "by_browser", "by_os", "totals"}


def test_csv_rows_name_their_list(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        seed_sources(conn)
        report = traffic_sources(conn, PERIOD, HUMANS, limit=1)
    assert report.csv_columns()[:3] == ("list", "channel", "source")
    assert [(row["list"], row.get("channel"), row.get("source")) for row in report.csv_rows()] == [
        ("by_channel", "search", None),
        ("by_source", None, "(none)"),
    ]


# --------------------------------------------------------------------------------------
# Navigation
# --------------------------------------------------------------------------------------
def pages(conn: Connection, session_id: str, *paths: str, start: datetime = AT) -> None:
    for offset, path in enumerate(paths):
        kind = "api" if path.startswith("/api") else "page"
        add_request(conn, session_id, at=start + timedelta(seconds=10 * offset), path=path,
                    kind=kind)  # fmt: skip


def seed_navigation(conn: Connection) -> None:
    pages(conn, add_session(conn, at=AT), "/", "/pricing", "/signup")
    pages(conn, add_session(conn, at=AT), "/", "/pricing", "/pricing", "/docs/")  # a reload
    pages(conn, add_session(conn, at=AT), "/docs", "/")
    pages(conn, add_session(conn, at=AT), "/", "/api/v1/me", "/pricing")  # API calls are skipped
    pages(conn, add_session(conn, at=AT, is_bot=True), "/", "/pricing")


def transitions(rows: list[dict[str, Any]]) -> list[tuple[str, str, int, float | None]]:
    return [(r["from_path"], r["to_path"], r["transitions"], r["share_of_all"]) for r in rows]


def test_navigation_counts_consecutive_page_views(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        seed_navigation(conn)
        add_content_item(conn, "/pricing", title="Pricing")
        report = navigation(conn, PERIOD, HUMANS)
        top = navigation(conn, PERIOD, HUMANS, limit=1)
        with_bots = navigation(conn, PERIOD, SessionFilter(include_bots=True))
    assert report.totals == {"transitions": 6, "sessions": 4}
    assert transitions(report.rows) == [
        ("/", "/pricing", 3, 0.5),
        ("/docs", "/", 1, pytest.approx(1 / 6, abs=1e-6)),
        ("/pricing", "/docs", 1, pytest.approx(1 / 6, abs=1e-6)),
        ("/pricing", "/signup", 1, pytest.approx(1 / 6, abs=1e-6)),
    ]
    assert report.rows[0]["to_title"] == "Pricing" and report.rows[0]["from_title"] is None
    assert (transitions(top.rows), top.total_rows) == ([("/", "/pricing", 3, 0.5)], 4)
    assert with_bots.totals == {"transitions": 7, "sessions": 5}


def test_navigation_from_and_to_a_page(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        seed_navigation(conn)
        leaving = navigation(conn, PERIOD, HUMANS, from_path="/pricing")
        reaching = navigation(conn, PERIOD, HUMANS, to_path="/pricing")
        both = navigation(conn, PERIOD, HUMANS, from_path="/docs", to_path="/")
    assert transitions(leaving.rows) == [
        ("/pricing", "/docs", 1, 0.5),
        ("/pricing", "/signup", 1, 0.5),
    ]
    assert transitions(reaching.rows) == [("/", "/pricing", 3, 1.0)]
    assert reaching.totals == {"transitions": 3, "sessions": 3}
    assert transitions(both.rows) == [("/docs", "/", 1, 1.0)]
    assert leaving.to_dict()["filters"]["from"] == "/pricing"


def test_a_transition_is_in_the_period_of_its_later_view(db_engine: Engine) -> None:
    """The previous page is found however long before the period it was viewed; a transition
    whose later view is after the period is not in it."""
    with db_engine.begin() as conn:
        early = add_session(conn, at=PERIOD.since - timedelta(minutes=1))
        pages(conn, early, "/", "/docs", "/pricing", start=PERIOD.since - timedelta(seconds=15))
        late = add_session(conn, at=PERIOD.until - timedelta(minutes=1))
        pages(conn, late, "/signup", "/docs", start=PERIOD.until - timedelta(seconds=5))
        report = navigation(conn, PERIOD, HUMANS)
    assert transitions(report.rows) == [("/docs", "/pricing", 1, 1.0)]
    assert report.totals == {"transitions": 1, "sessions": 1}


def test_views_at_the_same_instant_are_ordered_by_id(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        session_id = add_session(conn, at=AT)
        for path in ("/a", "/b", "/c"):
            add_request(conn, session_id, at=AT, path=path)
        report = navigation(conn, PERIOD, HUMANS)
    assert [(r["from_path"], r["to_path"]) for r in report.rows] == [("/a", "/b"), ("/b", "/c")]


# --------------------------------------------------------------------------------------
# Filter values
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [("google.com", "google.com"), ("WWW.Google.com", "google.com"),
     ("https://news.ycombinator.com/item?id=1", "news.ycombinator.com")],
)  # fmt: skip
def test_parse_source(value: str, expected: str) -> None:
    assert parse_source(value) == expected


@pytest.mark.parametrize("value", ["", "  ", "not a host", "ftp://x.y"])
def test_parse_source_rejects(value: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_source(value)
    assert raised.value.field == "--source"


def test_parse_channel() -> None:
    assert parse_channel(" Search ") == "search"
    with pytest.raises(InvalidInputError, match="ai_assistant") as raised:
        parse_channel("organic")
    assert raised.value.field == "--channel"
