"""The behavioural bot detector: scores one session's behaviour (DESIGN.md section 7).

Pure and deterministic: :meth:`BehavioralBotDetector.score` takes a :class:`SessionEvidence`
gathered by the runner and returns a :class:`BehavioralVerdict` (score, verdict, fired signals
with human-readable details). No I/O, no clock: "now" is the session's own ``first_seen``.

Seven default signals, a session is a behavioural bot at score >= 50:

=============================  ======  ==================================================
signal                         points  fires when
=============================  ======  ==================================================
high_request_count             30      more than 50 hits (page views + API calls)
high_page_coverage             25      distinct pages > 60% of the site (site >= 10 pages)
sequential_navigation          20      >= 8 distinct pages, >= 90% of steps in sorted order
multiple_fingerprint_sessions  20      more than 5 sessions for the fingerprint
regular_timing                 15      CV of navigation intervals < 0.1 (>= 8 intervals)
high_pages_per_minute          15      > 5 navigations/min (>= 10, over >= 60 s)
outdated_browser               10      major superseded > 4 years before first_seen
=============================  ======  ==================================================

No default signal reaches the threshold alone (the largest is 30), so a verdict always needs
at least two independent kinds of evidence. The opt-in extended profile adds ``no_js_engagement``,
``ghost_sessions``, ``ip_rotation``, ``cron_cadence`` and ``header_inconsistency``.

Hits are page views and API calls only (never assets or tracker beacons). They are sorted
defensively by (time, page), so the verdict does not depend on the order they are given in,
even for equal times; naive datetimes are taken as UTC. Timing signals work on *navigations*: a
hit starts a new navigation unless it comes less than ``navigation_window_seconds`` (1 s) after
the current navigation's page was loaded (the page's own API calls) or repeats that page's path
(a reload, a poll). The full rules, and why ordinary visitors do not trip them, are in
docs/bot-detection.md.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from systemprompt_analytics.detection.browser_releases import family_of, major_of, superseded_on
from systemprompt_analytics.errors import ConfigError

__all__ = [
    "DEFAULT_SIGNALS",
    "EXTENDED_SIGNALS",
    "BehavioralBotDetector",
    "BehavioralConfig",
    "BehavioralVerdict",
    "FiredSignal",
    "PageHit",
    "SessionEvidence",
]

DEFAULT_SIGNALS = (
    "high_request_count",
    "high_page_coverage",
    "sequential_navigation",
    "multiple_fingerprint_sessions",
    "regular_timing",
    "high_pages_per_minute",
    "outdated_browser",
)
EXTENDED_SIGNALS = (
    "no_js_engagement",
    "ghost_sessions",
    "ip_rotation",
    "cron_cadence",
    "header_inconsistency",
)


# --- inputs and outputs ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageHit:
    """One page view or API call of the session (never an asset or a tracker beacon)."""

    path: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SessionEvidence:
    """Everything the detector knows about one session; the runner gathers it from storage.

    ``site_page_count``: distinct page paths the site has (API paths excluded).
    ``fingerprint_session_count``: sessions of this session's fingerprint in the runner's
    window (24 hours), this one included. The extended-profile inputs are optional: None (or
    an empty tuple) means unknown, and a signal whose input is unknown cannot fire.
    """

    hits: Sequence[PageHit]
    site_page_count: int
    fingerprint_session_count: int
    browser: str | None
    browser_version: str | None
    first_seen: datetime
    engagement_events: int | None = None
    sessions_without_engagement: int | None = None
    distinct_ips_for_fingerprint: int | None = None
    header_inconsistencies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FiredSignal:
    """A signal that fired: its name, the points it adds and why, in words."""

    name: str
    points: int
    detail: str


@dataclass(frozen=True, slots=True)
class BehavioralVerdict:
    """The score (sum of fired points), the verdict and the signals behind it.

    ``reason`` is set only for a bot, e.g. ``"behaviour: high_request_count,
    sequential_navigation (score 50)"``.
    """

    score: int
    is_bot: bool
    signals: tuple[FiredSignal, ...]
    reason: str | None

    def signals_json(self) -> list[dict[str, object]]:
        """The fired signals as JSON-ready records: ``signal``, ``points``, ``detail``."""
        return [{"signal": s.name, "points": s.points, "detail": s.detail} for s in self.signals]


@dataclass(frozen=True)
class BehavioralConfig:
    """Every number of the detector. Points of 0 disable a signal.

    The defaults are DESIGN.md section 7; :meth:`extended_profile` also turns on the extended
    signals. Invalid values raise :class:`ConfigError` naming the field.
    """

    threshold: int = 50
    # default signals
    high_request_count_points: int = 30
    high_request_count_above: int = 50
    high_page_coverage_points: int = 25
    high_page_coverage_above: float = 0.6
    high_page_coverage_min_site_pages: int = 10
    sequential_navigation_points: int = 20
    sequential_navigation_min_pages: int = 8
    sequential_navigation_min_share: float = 0.9
    multiple_fingerprint_sessions_points: int = 20
    multiple_fingerprint_sessions_above: int = 5
    regular_timing_points: int = 15
    regular_timing_below_cv: float = 0.1
    regular_timing_min_intervals: int = 8
    high_pages_per_minute_points: int = 15
    high_pages_per_minute_above: float = 5.0
    high_pages_per_minute_min_navigations: int = 10
    high_pages_per_minute_min_seconds: float = 60.0
    outdated_browser_points: int = 10
    outdated_browser_after_days: int = 1461
    # shared definitions
    navigation_window_seconds: float = 1.0
    api_prefixes: tuple[str, ...] = ("/api",)
    # extended profile (opt-in)
    extended: bool = False
    no_js_engagement_points: int = 10
    no_js_engagement_min_navigations: int = 5
    ghost_sessions_points: int = 15
    ghost_sessions_above: int = 3
    ip_rotation_points: int = 15
    ip_rotation_above: int = 10
    cron_cadence_points: int = 15
    cron_cadence_min_intervals: int = 4
    cron_cadence_grid_seconds: float = 60.0
    cron_cadence_tolerance_seconds: float = 2.0
    header_inconsistency_points: int = 20

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if not math.isfinite(value) or value < 0:
                raise ConfigError(item.name, f"must be a finite number >= 0, got {value!r}")
        if self.threshold < 1:
            raise ConfigError("threshold", f"must be at least 1, got {self.threshold}")
        for name in ("high_page_coverage_above", "sequential_navigation_min_share"):
            if getattr(self, name) > 1:
                raise ConfigError(name, f"is a share and must be <= 1, got {getattr(self, name)}")
        if self.regular_timing_min_intervals < 2:
            raise ConfigError("regular_timing_min_intervals", "must be at least 2")
        if self.sequential_navigation_min_pages < 2:
            raise ConfigError("sequential_navigation_min_pages", "must be at least 2")
        if self.cron_cadence_grid_seconds <= 0:
            raise ConfigError("cron_cadence_grid_seconds", "must be above 0")

    @classmethod
    def extended_profile(cls, **overrides: Any) -> BehavioralConfig:
        """The default signals plus the extended ones; ``overrides`` replace any field."""
        return replace(cls(extended=True), **overrides)


# --- derived facts, computed once per session -----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the signals read: hit count, page order, navigation start times."""

    hit_count: int
    page_order: tuple[str, ...]  # distinct non-API page keys in order of first visit
    navigations: tuple[float, ...]  # epoch seconds of each navigation's start
    bursts: tuple[float, ...]  # epoch seconds of each burst (navigation_window apart)
    first_seen: date


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp()


@functools.lru_cache(maxsize=8192)
def _page_key(path: str) -> str:
    """The page a path names: lower case, no query string or fragment, no trailing slash."""
    key = path.split("?", 1)[0].split("#", 1)[0].strip().lower()
    return key.rstrip("/") or "/"


def _is_api(key: str, prefixes: tuple[str, ...]) -> bool:
    return any(key == p or key.startswith(p + "/") for p in prefixes)


def _facts(evidence: SessionEvidence, window: float, api: tuple[str, ...]) -> _Facts:
    """Sort the hits and derive page order, navigations and bursts."""
    timed = sorted((_epoch(h.at), _page_key(h.path)) for h in evidence.hits)
    seen: set[str] = set()
    order: list[str] = []
    navigations: list[float] = []
    bursts: list[float] = []
    lead: str | None = None
    anchor = -math.inf
    for at, key in timed:
        if key not in seen:
            seen.add(key)
            if not _is_api(key, api):
                order.append(key)
        if not bursts or at - bursts[-1] >= window:
            bursts.append(at)
        if key == lead:
            anchor = at
        elif at - anchor >= window:
            navigations.append(at)
            lead, anchor = key, at
    return _Facts(
        hit_count=len(timed),
        page_order=tuple(order),
        navigations=tuple(navigations),
        bursts=tuple(bursts),
        first_seen=_utc_date(evidence.first_seen),
    )


def _utc_date(at: datetime) -> date:
    """The UTC calendar day of ``at`` (naive means UTC; at the ends of time, its own day)."""
    if at.tzinfo is None:
        return at.date()
    try:
        return at.astimezone(UTC).date()
    except OverflowError:
        return at.date()


def _intervals(times: Sequence[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


# --- the signals: each returns a detail when it fires, else None ----------------------------

_Rule = Callable[[_Facts, SessionEvidence, BehavioralConfig], str | None]


def _high_request_count(f: _Facts, _e: SessionEvidence, c: BehavioralConfig) -> str | None:
    if f.hit_count <= c.high_request_count_above:
        return None
    return f"{f.hit_count} page views and API calls (more than {c.high_request_count_above})"


def _high_page_coverage(f: _Facts, e: SessionEvidence, c: BehavioralConfig) -> str | None:
    site = e.site_page_count
    if site < max(1, c.high_page_coverage_min_site_pages):
        return None
    visited = min(len(f.page_order), site)
    share = visited / site
    if share <= c.high_page_coverage_above:
        return None
    return (
        f"visited {visited} of the site's {site} pages ({share:.0%}, "
        f"more than {c.high_page_coverage_above:.0%})"
    )


def _sequential_navigation(f: _Facts, _e: SessionEvidence, c: BehavioralConfig) -> str | None:
    pages = f.page_order
    if len(pages) < c.sequential_navigation_min_pages:
        return None
    steps = len(pages) - 1
    ascending = sum(1 for a, b in itertools.pairwise(pages) if a < b)
    ordered = max(ascending, steps - ascending)
    if ordered / steps < c.sequential_navigation_min_share:
        return None
    direction = "ascending" if ascending >= steps - ascending else "descending"
    return (
        f"{len(pages)} distinct pages, {ordered} of {steps} steps in {direction} path order "
        f"({pages[0]} … {pages[-1]})"
    )


def _multiple_fingerprint_sessions(
    _f: _Facts, e: SessionEvidence, c: BehavioralConfig
) -> str | None:
    if e.fingerprint_session_count <= c.multiple_fingerprint_sessions_above:
        return None
    return (
        f"{e.fingerprint_session_count} sessions share this fingerprint "
        f"(more than {c.multiple_fingerprint_sessions_above})"
    )


def _regular_timing(f: _Facts, _e: SessionEvidence, c: BehavioralConfig) -> str | None:
    gaps = _intervals(f.navigations)
    if len(gaps) < c.regular_timing_min_intervals:
        return None
    mean = sum(gaps) / len(gaps)
    if mean <= 0:
        return None
    cv = math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps)) / mean
    if cv >= c.regular_timing_below_cv:
        return None
    return (
        f"{len(gaps)} intervals between navigations average {_seconds(mean)} with coefficient "
        f"of variation {cv:.3f} (below {c.regular_timing_below_cv})"
    )


def _high_pages_per_minute(f: _Facts, _e: SessionEvidence, c: BehavioralConfig) -> str | None:
    count = len(f.navigations)
    if count < max(2, c.high_pages_per_minute_min_navigations):
        return None
    span = f.navigations[-1] - f.navigations[0]
    measured = max(span, c.high_pages_per_minute_min_seconds)
    if measured <= 0:
        return None
    rate = (count - 1) * 60 / measured
    if rate <= c.high_pages_per_minute_above:
        return None
    return (
        f"{rate:.1f} navigations per minute ({count} over {_seconds(span)}, "
        f"more than {c.high_pages_per_minute_above:g})"
    )


def _outdated_browser(f: _Facts, e: SessionEvidence, c: BehavioralConfig) -> str | None:
    family, major = family_of(e.browser), major_of(e.browser_version)
    if family is None or major is None:
        return None
    superseded = superseded_on(family, major)
    if superseded is None:
        return None
    age = (f.first_seen - superseded).days
    if age <= c.outdated_browser_after_days:
        return None
    return (
        f"{e.browser} {major} was superseded on {superseded.isoformat()}, "
        f"{age / 365.25:.1f} years before the session ({f.first_seen.isoformat()})"
    )


def _no_js_engagement(f: _Facts, e: SessionEvidence, c: BehavioralConfig) -> str | None:
    if e.engagement_events is None or e.engagement_events > 0:
        return None
    if len(f.navigations) < max(1, c.no_js_engagement_min_navigations):
        return None
    return f"{len(f.navigations)} navigations and not one engagement event from the tracker"


def _ghost_sessions(_f: _Facts, e: SessionEvidence, c: BehavioralConfig) -> str | None:
    ghosts = e.sessions_without_engagement
    if ghosts is None or ghosts <= c.ghost_sessions_above:
        return None
    return (
        f"{ghosts} of the fingerprint's sessions have no engagement "
        f"(more than {c.ghost_sessions_above})"
    )


def _ip_rotation(_f: _Facts, e: SessionEvidence, c: BehavioralConfig) -> str | None:
    ips = e.distinct_ips_for_fingerprint
    if ips is None or ips <= c.ip_rotation_above:
        return None
    return f"{ips} client addresses for one fingerprint (more than {c.ip_rotation_above})"


def _cron_cadence(f: _Facts, _e: SessionEvidence, c: BehavioralConfig) -> str | None:
    gaps = _intervals(f.bursts)
    if len(gaps) < c.cron_cadence_min_intervals:
        return None
    period = min(gaps)
    tolerance, grid = c.cron_cadence_tolerance_seconds, c.cron_cadence_grid_seconds
    if period < grid - tolerance or not _near_multiple(period, grid, tolerance):
        return None
    if not all(_near_multiple(g, period, tolerance) for g in gaps):
        return None
    return (
        f"{len(gaps) + 1} requests at whole multiples of {_seconds(round(period))} "
        f"(within {tolerance:g} s)"
    )


def _near_multiple(value: float, period: float, tolerance: float) -> bool:
    """Whether ``value`` is within ``tolerance`` of a positive whole multiple of ``period``."""
    multiple = max(1, round(value / period))
    return abs(value - multiple * period) <= tolerance


def _header_inconsistency(_f: _Facts, e: SessionEvidence, _c: BehavioralConfig) -> str | None:
    if not e.header_inconsistencies:
        return None
    return "inconsistent headers: " + "; ".join(e.header_inconsistencies)


_RULES: dict[str, _Rule] = {
    "high_request_count": _high_request_count,
    "high_page_coverage": _high_page_coverage,
    "sequential_navigation": _sequential_navigation,
    "multiple_fingerprint_sessions": _multiple_fingerprint_sessions,
    "regular_timing": _regular_timing,
    "high_pages_per_minute": _high_pages_per_minute,
    "outdated_browser": _outdated_browser,
    "no_js_engagement": _no_js_engagement,
    "ghost_sessions": _ghost_sessions,
    "ip_rotation": _ip_rotation,
    "cron_cadence": _cron_cadence,
    "header_inconsistency": _header_inconsistency,
}


# --- the detector ---------------------------------------------------------------------------


class BehavioralBotDetector:
    """Scores sessions with one :class:`BehavioralConfig`; pure, deterministic, thread-safe."""

    __slots__ = ("_api", "_config", "_rules")

    def __init__(self, config: BehavioralConfig | None = None) -> None:
        self._config = BehavioralConfig() if config is None else config
        self._api = tuple(
            key for key in (_page_key(p) for p in self._config.api_prefixes) if key != "/"
        )
        names = DEFAULT_SIGNALS + (EXTENDED_SIGNALS if self._config.extended else ())
        self._rules = tuple(
            (name, _RULES[name], points)
            for name in names
            if (points := int(getattr(self._config, f"{name}_points"))) > 0
        )

    @property
    def config(self) -> BehavioralConfig:
        """The configuration this detector scores with."""
        return self._config

    def score(self, evidence: SessionEvidence) -> BehavioralVerdict:
        """Score one session: every enabled signal is checked; the score is their points' sum."""
        config = self._config
        facts = _facts(evidence, config.navigation_window_seconds, self._api)
        fired = tuple(
            FiredSignal(name, points, detail)
            for name, rule, points in self._rules
            if (detail := rule(facts, evidence, config)) is not None
        )
        score = sum(s.points for s in fired)
        is_bot = score >= config.threshold
        reason = None
        if is_bot:
            reason = f"behaviour: {', '.join(s.name for s in fired)} (score {score})"
        return BehavioralVerdict(score=score, is_bot=is_bot, signals=fired, reason=reason)
