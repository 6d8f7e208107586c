"""Simulated visitors, people and bots, scored by the default behavioural detector.

Every persona is generated from a seeded RNG, so the confusion matrix below is exact and
reproducible; ``pytest tests/test_personas.py -s`` prints it with a per-persona breakdown.

The site has 60 pages (home, pricing, 20 docs, 30 blog posts, 8 agent pages) and an API under
``/api``; a browser page load is followed within a second by 0-3 API calls. Sessions are dated
2025-11-15; ``fingerprint_session_count`` counts the fingerprint's sessions in a 24-hour window,
and the fingerprint includes the client's network (docs/identity.md), so different people share
it only behind one address (the NAT case).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from systemprompt_analytics.detection.behavioral import (
    BehavioralBotDetector,
    PageHit,
    SessionEvidence,
)

DAY = datetime(2025, 11, 15, 8, 0, tzinfo=UTC)
PAGES = (
    ["/", "/pricing"]
    + [f"/docs/{slug}" for slug in ("intro", "install", "config", "agents", "tools", "mcp")]
    + [f"/docs/guide-{i:02d}" for i in range(1, 15)]
    + [f"/blog/post-{i:03d}" for i in range(1, 31)]
    + [f"/agents/agent-{c}" for c in "abcdefgh"]
)
SITE_PAGES = len(PAGES)
API = ["/api/session", "/api/search", "/api/chat", "/api/me", "/api/agents"]
CURRENT = [("Chrome", "141.0"), ("Chrome Mobile", "141.0"), ("Mobile Safari", "26.0"),
           ("Safari", "18.6"), ("Edge", "141.0"), ("Firefox", "144.0"),
           ("Samsung Internet", "28.0")]  # fmt: skip
# Older but not outdated by the rule: last builds for Windows 7 / old iPhones, an old Android.
OLDER_DEVICES = [("Chrome", "109.0"), ("Mobile Safari", "15.6"), ("Chrome Mobile", "120.0")]
STALE_UAS = [("Chrome", "79.0"), ("Chrome", "85.0"), ("Firefox", "78.0"), ("Chrome", "96.0")]

Persona = Callable[[random.Random], SessionEvidence]


@dataclass(frozen=True)
class Group:
    name: str
    is_bot: bool
    count: int
    make: Persona


# --- building blocks --------------------------------------------------------------------------


def browse(
    rng: random.Random,
    pages: list[str],
    dwell: Callable[[], float],
    api_calls: tuple[int, int] = (0, 3),
    start: datetime = DAY,
) -> list[PageHit]:
    """A browser session: each page then its API calls within a second, then ``dwell()`` s."""
    hits: list[PageHit] = []
    at = start
    for page in pages:
        hits.append(PageHit(page, at))
        offset = 0.0
        for _ in range(rng.randint(*api_calls)):
            offset += rng.uniform(0.05, 0.3)
            hits.append(PageHit(rng.choice(API), at + timedelta(seconds=offset)))
        at += timedelta(seconds=max(offset + 0.5, dwell()))
    return hits


def by_links(rng: random.Random, count: int) -> list[str]:
    """Pages a person reaches by following links: a landing page, then mostly related pages,
    sometimes back to one already seen."""
    section = rng.choice(["/docs/", "/blog/", "/agents/", "/"])
    related = [p for p in PAGES if p.startswith(section)] or PAGES
    visited = [rng.choice(["/", rng.choice(related)])]
    while len(visited) < count:
        roll = rng.random()
        if roll < 0.15:
            visited.append(rng.choice(visited))
        elif roll < 0.7:
            visited.append(rng.choice(related))
        else:
            visited.append(rng.choice(PAGES))
    return visited


def session(
    hits: list[PageHit],
    browser: tuple[str, str],
    fingerprint_sessions: int = 1,
    start: datetime = DAY,
) -> SessionEvidence:
    return SessionEvidence(
        hits=hits,
        site_page_count=SITE_PAGES,
        fingerprint_session_count=fingerprint_sessions,
        browser=browser[0],
        browser_version=browser[1],
        first_seen=start,
    )


def reading(rng: random.Random, median: float, sigma: float) -> Callable[[], float]:
    """Time on a page: log-normal around ``median`` seconds, 3 s to 15 min."""
    return lambda: min(900.0, max(3.0, rng.lognormvariate(0, sigma) * median))


# --- people -----------------------------------------------------------------------------------


def reader(rng: random.Random) -> SessionEvidence:
    """Reads 1-8 pages at 30-90 s a page, with natural variance."""
    pages = by_links(rng, rng.randint(1, 8))
    hits = browse(rng, pages, reading(rng, 60, 0.5))
    return session(hits, rng.choice(CURRENT + OLDER_DEVICES), rng.choice([1, 1, 1, 2]))


def steady_reader(rng: random.Random) -> SessionEvidence:
    """A very even reader of a long docs guide, in order, 45-75 s a page."""
    guide = [p for p in PAGES if p.startswith("/docs/guide-")]
    pages = guide[: rng.randint(8, len(guide))]
    hits = browse(rng, pages, lambda: rng.uniform(45, 75), api_calls=(0, 1))
    return session(hits, rng.choice(CURRENT))


def skimmer(rng: random.Random) -> SessionEvidence:
    """Clicks through 8-25 pages fast (about 10 s a page), often back to one already seen."""
    pages = by_links(rng, rng.randint(8, 25))
    hits = browse(rng, pages, reading(rng, 10, 0.6), api_calls=(0, 2))
    return session(hits, rng.choice(CURRENT), rng.choice([1, 1, 2]))


def reloader(rng: random.Random) -> SessionEvidence:
    """Waits for something on one page: 10-40 reloads a few seconds apart, each with its API
    calls (and nothing else)."""
    pages = ["/agents/agent-a"] * rng.randint(10, 40)
    hits = browse(rng, pages, lambda: rng.uniform(3, 20), api_calls=(1, 2))
    return session(hits, rng.choice(CURRENT))


def returning_visitor(rng: random.Random) -> SessionEvidence:
    """Comes back over days; within the 24-hour window 1-4 visits, a heavy user up to 9. Some
    use an old device (an old iPad stuck on Safari 12 is *outdated*: 10 points)."""
    visits_today = rng.choice([1, 1, 2, 2, 3, 4, 6, 9])
    start = DAY + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 12))
    pages = by_links(rng, rng.randint(1, 10))
    hits = browse(rng, pages, reading(rng, 45, 0.7), start=start)
    device = rng.choice(CURRENT + OLDER_DEVICES + [("Mobile Safari", "12.1")])
    return session(hits, device, visits_today, start)


def shared_build(rng: random.Random) -> SessionEvidence:
    """One of 500 people on the same popular build and language (Chrome 141, en-US). The
    fingerprint includes the network: most are alone on their address (1-2 sessions a day);
    one in ten is in an office of 40 behind one NAT address, all sharing a fingerprint."""
    behind_nat = rng.random() < 0.1
    pages = by_links(rng, rng.randint(1, 8))
    hits = browse(rng, pages, reading(rng, 50, 0.6))
    return session(hits, ("Chrome", "141.0"), 40 if behind_nat else rng.choice([1, 1, 2]))


# --- bots -------------------------------------------------------------------------------------


def crawler(rng: random.Random) -> SessionEvidence:
    """Walks the whole site (sitemap order, or link order) with 0.5-3 s between pages, no API
    calls, a browser-like UA."""
    pages = sorted(PAGES) if rng.random() < 0.5 else rng.sample(PAGES, len(PAGES))
    hits = browse(rng, pages, lambda: rng.uniform(0.5, 3), api_calls=(0, 0))
    return session(hits, rng.choice(CURRENT + STALE_UAS), rng.randint(1, 3))


def regular_scraper(rng: random.Random) -> SessionEvidence:
    """Fetches 60-150 pages (with the blog's paginated archive) every T s (2-8 s) with 1%
    jitter, often from a hard-coded old UA."""
    archive = PAGES + [f"/blog/page/{i}" for i in range(2, 120)]
    pages = rng.sample(archive, rng.randint(60, 150))
    period = rng.uniform(2, 8)
    hits = browse(rng, pages, lambda: period * rng.uniform(0.99, 1.01), api_calls=(0, 0))
    return session(hits, rng.choice(CURRENT + STALE_UAS), rng.randint(1, 8))


def headless_walker(rng: random.Random) -> SessionEvidence:
    """A headless browser that runs the page's JavaScript (so API calls follow each page) and
    walks 35-60 pages in path order, 1-4 s apart, with a current Chrome UA."""
    pages = sorted(PAGES)[: rng.randint(35, len(PAGES))]
    hits = browse(rng, pages, lambda: rng.uniform(1, 4), api_calls=(1, 3))
    return session(hits, ("Chrome", "141.0"), rng.randint(1, 4))


def partial_link_crawler(rng: random.Random) -> SessionEvidence:
    """A known miss: stops after 40-50 of the 60 pages, in link order, current UA, no API
    calls. Page coverage and pages per minute fire (40 points); under 51 requests and in no
    sorted order, nothing else does."""
    pages = rng.sample(PAGES, rng.randint(40, 50))
    hits = browse(rng, pages, lambda: rng.uniform(0.5, 3), api_calls=(0, 0))
    return session(hits, rng.choice(CURRENT))


def slow_polite_scraper(rng: random.Random) -> SessionEvidence:
    """A known miss: 20-45 random pages every 20-40 s, current UA. Only *regular timing* fires
    (15 points); nothing else in the default profile separates it from a steady reader."""
    pages = rng.sample(PAGES, rng.randint(20, 45))
    period = rng.uniform(20, 40)
    hits = browse(rng, pages, lambda: period * rng.uniform(0.99, 1.01), api_calls=(0, 0))
    return session(hits, rng.choice(CURRENT))


GROUPS = [
    Group("reader", False, 300, reader),
    Group("steady reader (docs guide, in order)", False, 60, steady_reader),
    Group("skimmer", False, 200, skimmer),
    Group("reloader", False, 60, reloader),
    Group("returning visitor", False, 200, returning_visitor),
    Group("shared build + language (incl. NAT)", False, 500, shared_build),
    Group("crawler", True, 80, crawler),
    Group("regular scraper", True, 80, regular_scraper),
    Group("headless walker", True, 40, headless_walker),
    Group("partial crawl, link order (known miss)", True, 20, partial_link_crawler),
    Group("slow polite scraper (known miss)", True, 20, slow_polite_scraper),
]


def scored() -> Iterator[tuple[Group, bool, int]]:
    detector = BehavioralBotDetector()
    for index, group in enumerate(GROUPS):
        rng = random.Random(1000 + index)
        for _ in range(group.count):
            verdict = detector.score(group.make(rng))
            yield group, verdict.is_bot, verdict.score


def test_confusion_matrix() -> None:
    matrix: Counter[tuple[bool, bool]] = Counter()
    per_group: dict[str, Counter[bool]] = {g.name: Counter() for g in GROUPS}
    scores: dict[str, list[int]] = {g.name: [] for g in GROUPS}
    for group, predicted, score in scored():
        matrix[(group.is_bot, predicted)] += 1
        per_group[group.name][predicted] += 1
        scores[group.name].append(score)

    print("\n                 predicted bot   predicted human")
    print(f"actual bot       {matrix[(True, True)]:>13}   {matrix[(True, False)]:>15}")
    print(f"actual human     {matrix[(False, True)]:>13}   {matrix[(False, False)]:>15}")
    for group in GROUPS:
        s = scores[group.name]
        print(
            f"  {group.name:<40} bot {per_group[group.name][True]:>4} / {group.count:<4}"
            f" score min {min(s):>3} max {max(s):>3}"
        )

    assert matrix[(False, True)] == 0, "no person is called a bot"
    misses = {g.name: per_group[g.name][False] for g in GROUPS if g.is_bot}
    assert misses == {
        "crawler": 0,
        "regular scraper": 0,
        "headless walker": 0,
        "partial crawl, link order (known miss)": 20,
        "slow polite scraper (known miss)": 20,
    }
    assert matrix == Counter({(False, False): 1320, (True, True): 200, (True, False): 40})


def test_people_keep_a_margin_below_the_threshold() -> None:
    """No person scores above 45, so no single extra 10-point signal tips one over."""
    worst = max(score for group, _, score in scored() if not group.is_bot)
    assert worst <= 45
