"""The behavioural bot detector: each signal on a positive and a negative fixture, boundaries,
the release table, configuration, and properties over arbitrary evidence."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from systemprompt_analytics.detection.behavioral import (
    DEFAULT_SIGNALS,
    EXTENDED_SIGNALS,
    BehavioralBotDetector,
    BehavioralConfig,
    BehavioralVerdict,
    FiredSignal,
    PageHit,
    SessionEvidence,
)
from systemprompt_analytics.detection.browser_releases import (
    RELEASES,
    family_of,
    major_of,
    superseded_on,
)
from systemprompt_analytics.errors import ConfigError

T0 = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
DETECTOR = BehavioralBotDetector()
EXTENDED = BehavioralBotDetector(BehavioralConfig.extended_profile())
# Paths a person follows by links: no order to them.
BROWSE = ["/", "/pricing", "/blog/zeta", "/docs/setup", "/about", "/blog/alpha", "/agents/x"]


def walk(
    paths: Sequence[str], gaps: float | Sequence[float], start: datetime = T0
) -> list[PageHit]:
    """Hits on ``paths``; ``gaps`` seconds between successive hits (one value or one per gap)."""
    steps = [gaps] * (len(paths) - 1) if isinstance(gaps, int | float) else list(gaps)
    assert len(steps) == max(0, len(paths) - 1)
    at, hits = start, []
    for index, path in enumerate(paths):
        hits.append(PageHit(path, at))
        if index < len(steps):
            at += timedelta(seconds=steps[index])
    return hits


def pages_with_api(pages: Sequence[str], dwell: Sequence[float], api: int = 3) -> list[PageHit]:
    """Each page followed by ``api`` API calls 0.2 s apart, then ``dwell`` seconds of reading."""
    at, hits = T0, []
    for page, seconds in zip(pages, dwell, strict=True):
        hits.append(PageHit(page, at))
        for call in range(api):
            hits.append(PageHit(f"/api/call{call}", at + timedelta(seconds=0.2 * (call + 1))))
        at += timedelta(seconds=seconds)
    return hits


def evidence(**changes: Any) -> SessionEvidence:
    """An unremarkable session (one page, current Chrome), with ``changes`` applied."""
    base = SessionEvidence(
        hits=walk(["/"], 0),
        site_page_count=40,
        fingerprint_session_count=1,
        browser="Chrome",
        browser_version="136.0",
        first_seen=T0,
    )
    return replace(base, **changes)


def fired(verdict: BehavioralVerdict) -> set[str]:
    return {signal.name for signal in verdict.signals}


def numbered(count: int) -> list[str]:
    return [f"/docs/{i:03d}" for i in range(count)]


READER_GAPS = [35, 80, 42, 61, 90, 33, 55, 71]
SHUFFLED = random.Random(4).sample(numbered(12), 12)

# (signal, fixture name, evidence, fires?)
CASES: list[tuple[str, str, SessionEvidence, bool]] = [
    ("high_request_count", "51 hits", evidence(hits=walk(["/api/x"] * 51, 5)), True),
    ("high_request_count", "exactly 50 hits", evidence(hits=walk(["/api/x"] * 50, 5)), False),
    ("high_request_count", "reader reloads a page", evidence(hits=walk(["/a"] * 12, 9)), False),
    (
        "high_page_coverage",
        "13 of 20 pages",
        evidence(hits=walk(numbered(13), 30), site_page_count=20),
        True,
    ),
    (
        "high_page_coverage",
        "12 of 20 pages (exactly 60%)",
        evidence(hits=walk(numbered(12), 30), site_page_count=20),
        False,
    ),
    (
        "high_page_coverage",
        "all of a 3-page site",
        evidence(hits=walk(["/", "/a", "/b"], 30), site_page_count=3),
        False,
    ),
    (
        "high_page_coverage",
        "API paths are not pages",
        evidence(
            hits=pages_with_api(["/", "/a"], [30, 30], api=3) + walk(["/api/z"], 0),
            site_page_count=10,
        ),
        False,
    ),
    ("sequential_navigation", "10 pages in order", evidence(hits=walk(numbered(10), 30)), True),
    (
        "sequential_navigation",
        "10 pages in reverse order",
        evidence(hits=walk(numbered(10)[::-1], 30)),
        True,
    ),
    (
        "sequential_navigation",
        "in order with API calls between",
        evidence(hits=pages_with_api(numbered(9), [20] * 9)),
        True,
    ),
    ("sequential_navigation", "12 pages by links", evidence(hits=walk(SHUFFLED, 30)), False),
    ("sequential_navigation", "7 pages in order", evidence(hits=walk(numbered(7), 30)), False),
    ("sequential_navigation", "one page reloaded", evidence(hits=walk(["/a"] * 20, 30)), False),
    ("multiple_fingerprint_sessions", "6", evidence(fingerprint_session_count=6), True),
    ("multiple_fingerprint_sessions", "5", evidence(fingerprint_session_count=5), False),
    ("regular_timing", "every 3.0 s", evidence(hits=walk(SHUFFLED[:9], 3.0)), True),
    (
        "regular_timing",
        "every 30 s with API calls",
        evidence(hits=pages_with_api(SHUFFLED[:9], [30] * 9)),
        True,
    ),
    ("regular_timing", "steady reader", evidence(hits=walk(SHUFFLED[:9], READER_GAPS)), False),
    ("regular_timing", "only 7 intervals", evidence(hits=walk(SHUFFLED[:8], 3.0)), False),
    (
        "regular_timing",
        "a page that polls an API every 10 s",
        evidence(hits=walk(["/dash"] + ["/api/status"] * 40, 10)),
        False,
    ),
    ("high_pages_per_minute", "a page every 8 s", evidence(hits=walk(SHUFFLED, 8)), True),
    (
        "high_pages_per_minute",
        "page loads with 5 API calls each",
        evidence(hits=pages_with_api(BROWSE * 2, [40] * 14, api=5)),
        False,
    ),
    ("high_pages_per_minute", "12 in half a minute", evidence(hits=walk(SHUFFLED, 2.5)), True),
    ("high_pages_per_minute", "only 9 navigations", evidence(hits=walk(SHUFFLED[:9], 1)), False),
    (
        "high_pages_per_minute",
        "reloads every 5 s",
        evidence(hits=walk(["/a"] * 30, 5)),
        False,
    ),
    ("outdated_browser", "Chrome 89 in May 2025", evidence(browser_version="89.0"), True),
    ("outdated_browser", "Chrome 90 in May 2025", evidence(browser_version="90.0.4430"), False),
    (
        "outdated_browser",
        "Firefox 87 in May 2025",
        evidence(browser="Firefox", browser_version="87.0"),
        True,
    ),
    (
        "outdated_browser",
        "Firefox 88 in May 2025",
        evidence(browser="Firefox", browser_version="88.0"),
        False,
    ),
    (
        "outdated_browser",
        "Chrome 60 in a 2018 log",
        evidence(browser_version="60.0", first_seen=datetime(2018, 3, 1, tzinfo=UTC)),
        False,
    ),
    ("outdated_browser", "Chrome 60 in 2025", evidence(browser_version="60.0"), True),
    (
        "outdated_browser",
        "old Mobile Safari",
        evidence(browser="Mobile Safari", browser_version="12.1"),
        True,
    ),
    ("outdated_browser", "unknown browser", evidence(browser="Lynx", browser_version="2.8"), False),
    ("outdated_browser", "no version", evidence(browser_version=None), False),
    ("outdated_browser", "newer than the table", evidence(browser_version="999.0"), False),
]  # fmt: skip

EXTENDED_CASES: list[tuple[str, str, SessionEvidence, bool]] = [
    (
        "no_js_engagement",
        "6 pages, no events",
        evidence(hits=walk(SHUFFLED[:6], READER_GAPS[:5]), engagement_events=0),
        True,
    ),
    (
        "no_js_engagement",
        "6 pages with events",
        evidence(hits=walk(SHUFFLED[:6], READER_GAPS[:5]), engagement_events=4),
        False,
    ),
    (
        "no_js_engagement",
        "unknown",
        evidence(hits=walk(SHUFFLED[:6], READER_GAPS[:5])),
        False,
    ),
    (
        "no_js_engagement",
        "one page, no events",
        evidence(engagement_events=0),
        False,
    ),
    ("ghost_sessions", "4", evidence(sessions_without_engagement=4), True),
    ("ghost_sessions", "3", evidence(sessions_without_engagement=3), False),
    ("ip_rotation", "11 addresses", evidence(distinct_ips_for_fingerprint=11), True),
    ("ip_rotation", "10 addresses", evidence(distinct_ips_for_fingerprint=10), False),
    (
        "cron_cadence",
        "every 5 minutes, one missed",
        evidence(hits=walk(["/feed"] * 6, [300.4, 299.8, 600.3, 300.0, 299.6])),
        True,
    ),
    (
        "cron_cadence",
        "every 45 s",
        evidence(hits=walk(["/feed"] * 8, 45)),
        False,
    ),
    (
        "cron_cadence",
        "a reader",
        evidence(hits=walk(SHUFFLED[:9], READER_GAPS)),
        False,
    ),
    (
        "header_inconsistency",
        "client hints disagree",
        evidence(header_inconsistencies=("Sec-CH-UA names Chrome, User-Agent says Firefox",)),
        True,
    ),
    ("header_inconsistency", "none", evidence(), False),
]


@pytest.mark.parametrize(
    ("signal", "fixture", "session", "fires"),
    CASES,
    ids=[f"{c[0]}-{c[1]}" for c in CASES],
)
def test_default_signal(signal: str, fixture: str, session: SessionEvidence, fires: bool) -> None:
    assert (signal in fired(DETECTOR.score(session))) is fires, fixture


@pytest.mark.parametrize(
    ("signal", "fixture", "session", "fires"),
    EXTENDED_CASES,
    ids=[f"{c[0]}-{c[1]}" for c in EXTENDED_CASES],
)
def test_extended_signal(signal: str, fixture: str, session: SessionEvidence, fires: bool) -> None:
    assert (signal in fired(EXTENDED.score(session))) is fires, fixture
    assert signal not in fired(DETECTOR.score(session)), "extended signals are opt-in"


def test_every_signal_has_a_positive_and_a_negative_fixture() -> None:
    for signal in DEFAULT_SIGNALS + EXTENDED_SIGNALS:
        outcomes = {c[3] for c in CASES + EXTENDED_CASES if c[0] == signal}
        assert outcomes == {True, False}, signal


def test_an_unremarkable_session_scores_zero() -> None:
    verdict = DETECTOR.score(evidence())
    assert verdict == BehavioralVerdict(score=0, is_bot=False, signals=(), reason=None)
    assert DETECTOR.score(evidence(hits=[])).score == 0


def test_score_of_exactly_the_threshold_is_a_bot() -> None:
    session = evidence(hits=walk(["/api/x"] * 51, 5), fingerprint_session_count=6)
    verdict = DETECTOR.score(session)
    assert verdict.score == 50 and verdict.is_bot
    assert verdict.reason == (
        "behaviour: high_request_count, multiple_fingerprint_sessions (score 50)"
    )
    assert verdict.signals_json() == [
        {
            "signal": "high_request_count",
            "points": 30,
            "detail": "51 page views and API calls (more than 50)",
        },
        {
            "signal": "multiple_fingerprint_sessions",
            "points": 20,
            "detail": "6 sessions share this fingerprint (more than 5)",
        },
    ]


def test_score_below_the_threshold_is_human_and_has_no_reason() -> None:
    verdict = DETECTOR.score(evidence(hits=walk(["/api/x"] * 51, 5), browser_version="60.0"))
    assert verdict.score == 40 and not verdict.is_bot and verdict.reason is None


def test_no_default_signal_reaches_the_threshold_alone() -> None:
    config = BehavioralConfig()
    assert all(getattr(config, f"{name}_points") < config.threshold for name in DEFAULT_SIGNALS)


def test_a_crawler_fires_everything_it_should() -> None:
    session = evidence(
        hits=walk(numbered(60), 2.0),
        site_page_count=60,
        fingerprint_session_count=9,
        browser_version="89.0",
    )
    verdict = DETECTOR.score(session)
    assert fired(verdict) == set(DEFAULT_SIGNALS)
    assert verdict.score == 135 and verdict.is_bot
    assert [s.name for s in verdict.signals] == list(DEFAULT_SIGNALS)


def test_details_say_why() -> None:
    verdict = DETECTOR.score(
        evidence(hits=walk(numbered(13), 6.0), site_page_count=20, browser_version="89.0")
    )
    details = {s.name: s.detail for s in verdict.signals}
    assert details["high_page_coverage"] == "visited 13 of the site's 20 pages (65%, more than 60%)"
    assert details["sequential_navigation"].startswith(
        "13 distinct pages, 12 of 12 steps in ascending"
    )
    assert "coefficient of variation 0.000" in details["regular_timing"]
    assert details["high_pages_per_minute"].startswith(
        "10.0 navigations per minute (13 over 72.0 s"
    )
    assert details["outdated_browser"] == (
        "Chrome 89 was superseded on 2021-04-14, 4.0 years before the session (2025-05-01)"
    )


# --- outdated browser, judged by the request's date -----------------------------------------


@pytest.mark.parametrize(
    ("browser", "newest_outdated"),
    [("Chrome", 89), ("Chrome Mobile", 89), ("Firefox", 87), ("Edge", 89)],
)
def test_in_may_2025_the_rule_reproduces_the_original_cutoffs(
    browser: str, newest_outdated: int
) -> None:
    def outdated(major: int) -> bool:
        session = evidence(browser=browser, browser_version=f"{major}.0")
        return "outdated_browser" in fired(DETECTOR.score(session))

    assert outdated(newest_outdated) and not outdated(newest_outdated + 1)
    assert outdated(newest_outdated - 20)


def test_an_imported_old_log_is_judged_by_its_own_date() -> None:
    in_2019 = datetime(2019, 6, 1, tzinfo=UTC)
    assert "outdated_browser" not in fired(
        DETECTOR.score(evidence(browser_version="74.0", first_seen=in_2019))
    )
    assert "outdated_browser" in fired(
        DETECTOR.score(evidence(browser_version="40.0", first_seen=in_2019))
    )
    assert "outdated_browser" in fired(DETECTOR.score(evidence(browser_version="74.0")))


def test_naive_first_seen_is_utc() -> None:
    naive = datetime(2025, 5, 1, 12, 0)
    assert "outdated_browser" in fired(
        DETECTOR.score(evidence(browser_version="89.0", first_seen=naive))
    )


def test_release_tables_are_sorted_by_major_and_date() -> None:
    for family, table in RELEASES.items():
        assert len(table) >= 10, family
        for (major_a, date_a), (major_b, date_b) in itertools.pairwise(table):
            assert major_a < major_b and date_a < date_b, (family, major_a)


def test_release_lookups() -> None:
    assert superseded_on("chrome", 89) == date(2021, 4, 14)
    assert superseded_on("chrome", 81) == superseded_on("chrome", 82) == date(2020, 5, 19)
    assert superseded_on("chrome", 1) == RELEASES["chrome"][0][1]
    assert superseded_on("chrome", RELEASES["chrome"][-1][0]) is None
    assert superseded_on("edge", 18) == date(2020, 1, 15)
    assert superseded_on("safari", 18) == date(2025, 9, 15)
    assert superseded_on("netscape", 4) is None
    assert family_of("Mobile Safari") == "safari" and family_of("Firefox iOS") is None
    assert family_of(None) is None
    assert [major_of(v) for v in ("141.0", "15.15063", "9", "", None, "x.1", "²", "1" * 9)] == [
        141, 15, 9, None, None, None, None, None,
    ]  # fmt: skip


# --- configuration ----------------------------------------------------------------------------


def test_every_number_is_configurable() -> None:
    lenient = BehavioralBotDetector(
        BehavioralConfig(high_request_count_above=100, high_request_count_points=40, threshold=40)
    )
    session = evidence(hits=walk(["/api/x"] * 101, 5))
    assert lenient.score(session).score == 40 and lenient.score(session).is_bot
    assert lenient.score(evidence(hits=walk(["/api/x"] * 100, 5))).score == 0


def test_points_of_zero_disable_a_signal() -> None:
    detector = BehavioralBotDetector(BehavioralConfig(multiple_fingerprint_sessions_points=0))
    assert detector.score(evidence(fingerprint_session_count=50)).signals == ()


def test_api_prefixes_are_configurable() -> None:
    session = evidence(hits=walk([f"/rpc/{i:02d}" for i in range(9)], 30))
    assert "sequential_navigation" in fired(DETECTOR.score(session))
    detector = BehavioralBotDetector(BehavioralConfig(api_prefixes=("/RPC/",)))
    assert "sequential_navigation" not in fired(detector.score(session))


def test_the_navigation_window_is_configurable() -> None:
    # Pages 2.5 s apart are separate navigations by default and one with a 3 s window.
    session = evidence(hits=walk(SHUFFLED[:9], 2.5))
    assert "regular_timing" in fired(DETECTOR.score(session))
    wide = BehavioralBotDetector(BehavioralConfig(navigation_window_seconds=3.0))
    assert "regular_timing" not in fired(wide.score(session))


def test_extended_profile_accepts_overrides() -> None:
    config = BehavioralConfig.extended_profile(ip_rotation_above=2)
    assert config.extended and config.ip_rotation_above == 2
    assert not BehavioralConfig().extended
    detector = BehavioralBotDetector(config)
    assert detector.config is config
    assert "ip_rotation" in fired(detector.score(evidence(distinct_ips_for_fingerprint=3)))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("threshold", 0),
        ("high_request_count_points", -1),
        ("high_page_coverage_above", 1.5),
        ("sequential_navigation_min_share", float("nan")),
        ("regular_timing_below_cv", float("inf")),
        ("regular_timing_min_intervals", 1),
        ("sequential_navigation_min_pages", 1),
        ("cron_cadence_grid_seconds", 0.0),
    ],
)
def test_invalid_configuration_names_the_field(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        changes: dict[str, Any] = {field: value}
        replace(BehavioralConfig(), **changes)


# --- properties -------------------------------------------------------------------------------

_ZONES: st.SearchStrategy[Any] = st.sampled_from(
    [None, UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=9))]
)
_MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1), timezones=_ZONES
)
_PATHS = st.sampled_from(["/", "/a", "/b/", "/B", "/c?x=1", "/api/x", "/api", "/d#top", "", "/é"])
_BROWSERS = st.sampled_from([None, "Chrome", "Firefox", "Edge", "Mobile Safari", "Opera", "Lynx"])
_VERSIONS = st.one_of(st.none(), st.text(max_size=8), st.integers(0, 300).map(lambda m: f"{m}.0"))


def _start_and_offsets() -> st.SearchStrategy[list[PageHit]]:
    offsets = st.lists(st.floats(0, 7200, allow_nan=False), max_size=80)
    return st.builds(
        lambda start, paths, seconds: [
            PageHit(p, start + timedelta(seconds=s)) for p, s in zip(paths, seconds, strict=False)
        ],
        _MOMENTS,
        st.lists(_PATHS, max_size=80),
        offsets,
    )


_EVIDENCE = st.builds(
    SessionEvidence,
    hits=st.one_of(
        _start_and_offsets(), st.lists(st.builds(PageHit, _PATHS, _MOMENTS), max_size=30)
    ),
    site_page_count=st.integers(-5, 200),
    fingerprint_session_count=st.integers(-1, 50),
    browser=_BROWSERS,
    browser_version=_VERSIONS,
    first_seen=st.one_of(_MOMENTS, st.datetimes(timezones=_ZONES)),
    engagement_events=st.one_of(st.none(), st.integers(0, 5)),
    sessions_without_engagement=st.one_of(st.none(), st.integers(0, 10)),
    distinct_ips_for_fingerprint=st.one_of(st.none(), st.integers(0, 20)),
    header_inconsistencies=st.lists(st.text(max_size=10), max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(_EVIDENCE, st.booleans())
def test_score_is_the_sum_of_fired_points(session: SessionEvidence, extended: bool) -> None:
    detector = EXTENDED if extended else DETECTOR
    verdict = detector.score(session)
    assert verdict.score == sum(s.points for s in verdict.signals)
    assert verdict.is_bot == (verdict.score >= 50)
    assert (verdict.reason is not None) == verdict.is_bot
    names = [s.name for s in verdict.signals]
    allowed = DEFAULT_SIGNALS + (EXTENDED_SIGNALS if extended else ())
    assert names == [n for n in allowed if n in names]
    assert all(isinstance(s, FiredSignal) and s.detail for s in verdict.signals)
    assert detector.score(session) == verdict, "deterministic"


@settings(max_examples=200, deadline=None)
@given(_EVIDENCE, st.randoms(use_true_random=False))
def test_the_order_hits_are_given_in_does_not_matter(
    session: SessionEvidence, rng: random.Random
) -> None:
    shuffled = list(session.hits)
    rng.shuffle(shuffled)
    assert DETECTOR.score(replace(session, hits=tuple(shuffled))) == DETECTOR.score(session)
