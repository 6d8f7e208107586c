"""The seven default behavioural bot signals (DESIGN.md section 7), scored for generated
sessions so the demo's behavioural bots carry the score and signals the detector would give.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

BOT_SCORE_THRESHOLD = 50
MAX_SCORE = 100


@dataclass(frozen=True)
class SessionShape:
    request_times_ms: list[int]  # sorted
    page_paths: list[str]  # in visit order
    site_page_count: int
    fingerprint_sessions: int
    browser: str | None
    browser_major: int | None


def behavioural_signals(shape: SessionShape) -> list[dict[str, Any]]:
    """Fired signals as ``{"signal", "points", "value"}`` objects, in the design's order."""
    fired: list[dict[str, Any]] = []

    def fire(signal: str, points: int, value: float | int | str) -> None:
        fired.append({"signal": signal, "points": points, "value": value})

    times = shape.request_times_ms
    requests = len(times)
    if requests > 50:
        fire("high_request_count", 30, requests)
    distinct = len(set(shape.page_paths))
    if shape.site_page_count and distinct / shape.site_page_count > 0.6:
        fire("high_page_coverage", 25, round(distinct / shape.site_page_count, 2))
    pages = shape.page_paths
    if len(pages) >= 10 and pages == sorted(pages):
        fire("sequential_navigation", 20, "sorted")
    if shape.fingerprint_sessions > 5:
        fire("multiple_fingerprint_sessions", 20, shape.fingerprint_sessions)
    gaps = [later - earlier for earlier, later in pairwise(times)]
    if len(gaps) >= 3:
        mean = statistics.fmean(gaps)
        if mean > 0:
            variation = statistics.pstdev(gaps) / mean
            if variation < 0.1:
                fire("regular_timing", 15, round(variation, 3))
    minutes = (times[-1] - times[0]) / 60_000 if requests > 1 else 0.0
    if minutes > 0 and len(pages) / minutes > 5:
        fire("high_pages_per_minute", 15, round(len(pages) / minutes, 1))
    major = shape.browser_major
    if major is not None and (
        (shape.browser in ("Chrome", "HeadlessChrome") and major < 90)
        or (shape.browser == "Firefox" and major < 88)
    ):
        fire("outdated_browser", 10, f"{shape.browser} {major}")
    return fired


def score(signals: list[dict[str, Any]]) -> int:
    return min(MAX_SCORE, sum(int(signal["points"]) for signal in signals))
