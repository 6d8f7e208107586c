"""Bot sessions: search and AI crawlers, SEO tools, HTTP libraries, vulnerability scanners
(one of them aggressive enough to be blocked) and headless crawlers that walk the whole site
in order at a fixed pace (the behavioural bots).

Every bot session carries ``is_bot`` plus its specific flags, a name, a category and the
reason it was classified; its request events carry the same flags. Bots run no JavaScript,
so they have no client or engagement events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from systemprompt_analytics.demo.audience import ipv4_in
from systemprompt_analytics.demo.behaviour import (
    BOT_SCORE_THRESHOLD,
    SessionShape,
    behavioural_signals,
    score,
)
from systemprompt_analytics.demo.bot_catalog import (
    AI_CRAWLER_EXTRAS,
    BOT_KINDS,
    BROKEN_PATHS_FOR_BOTS,
    CATEGORY_SHARES,
    CRAWLER_EXTRAS,
    FORBIDDEN_PROBES,
    HEADLESS_CRAWLER,
    HTTP_LIBRARY_PATHS,
    SCANNER_PROBES,
    STEALTH_CRAWLER,
    BotKind,
)
from systemprompt_analytics.demo.clients import classify, user_agent_columns
from systemprompt_analytics.demo.records import BotFlags, SessionBuilder, session_attrs
from systemprompt_analytics.demo.rng import DemoRandom, Weighted
from systemprompt_analytics.demo.site import PAGES_BY_PATH, PUBLIC_PAGES, SITE_ORIGIN
from systemprompt_analytics.demo.timeline import MS_PER_HOUR, MS_PER_MINUTE, Window

# The headless crawler runs twice a day, at 03:17 and 15:17 UTC.
HEADLESS_SCHEDULE_MS = (3 * MS_PER_HOUR + 17 * MS_PER_MINUTE, 15 * MS_PER_HOUR + 17 * MS_PER_MINUTE)
HEAVY_SCANNER_REQUESTS = 180
USER_TRIGGERED = frozenset({"ChatGPT-User", "Claude-User"})

NewId = Callable[[], str]


@dataclass
class Instance:
    """One recognisable bot: a user agent and the fingerprint it hashes to."""

    kind: BotKind
    user_agent: str
    fingerprint: str


class BotTraffic:
    def __init__(self, rng: DemoRandom, window: Window) -> None:
        self._rng = rng
        self._window = window
        self._limit = window.length_ms
        self._kinds = {
            category: Weighted([(k, k.weight) for k in BOT_KINDS if k.category == category])
            for category, _ in CATEGORY_SHARES
        }
        self._instances: dict[str, list[Instance]] = {}
        self._site_pages = Weighted([(page.path, page.popularity + 0.3) for page in PUBLIC_PAGES])
        self._content_pages = Weighted(
            [(page.path, page.popularity) for page in PUBLIC_PAGES
             if page.section in ("docs", "blog")]
        )  # fmt: skip
        self._crawler = Instance(HEADLESS_CRAWLER, HEADLESS_CRAWLER.user_agents[0], rng.hex64())
        self._spoofed = Instance(STEALTH_CRAWLER, STEALTH_CRAWLER.user_agents[0], rng.hex64())
        self.headless_fingerprint = self._crawler.fingerprint
        self.heavy_scanner_id: str | None = None

    def generate(
        self, total: int, new_id: NewId, starts: Callable[[], int]
    ) -> Iterator[SessionBuilder]:
        """``total`` bot sessions, one at a time; ``starts`` draws start times."""
        rng = self._rng
        slots = self._headless_slots()
        headless = min(len(slots), max(1, total // 20)) if total > 0 else 0
        remaining = total - headless
        stealth = min(2, remaining // 30)
        heavy = 1 if remaining - stealth >= 1 else 0
        ordinary = remaining - stealth - heavy
        for index, start in enumerate(slots[len(slots) - headless :]):
            yield self._crawl(new_id(), self._crawler, start, 2_000, headless, index)
        for index in range(stealth):
            start = max(0, min(starts(), self._limit - 10 * MS_PER_MINUTE))
            yield self._crawl(new_id(), self._spoofed, start, 6_000, stealth, index)
        if heavy:
            scanner = self._heavy_scanner(new_id(), starts())
            self.heavy_scanner_id = scanner.id
            yield scanner
        for category, count in _allocate(ordinary, CATEGORY_SHARES):
            for _ in range(count):
                kind = self._kinds[category].pick(rng)
                yield self._ordinary(new_id(), self._instance(kind), starts())

    # ----------------------------------------------------------------------------------
    def _instance(self, kind: BotKind) -> Instance:
        rng = self._rng
        pool = self._instances.setdefault(kind.name, [])
        if len(pool) < kind.instances and (not pool or rng.chance(0.5)):
            pool.append(Instance(kind, rng.choice(kind.user_agents), rng.hex64()))
        return rng.choice(pool)

    def _builder(self, session_id: str, instance: Instance) -> SessionBuilder:
        rng = self._rng
        kind = instance.kind
        verdict = classify(instance.user_agent)
        attrs = session_attrs(
            source="web",
            visitor_hash=rng.hex64(),  # no cookies: every visit is a new visitor
            fingerprint_hash=instance.fingerprint,
            ip=ipv4_in(rng, rng.choice(kind.ip_blocks)),
            country=kind.country,
            locale="en-US" if kind.category == "headless" else None,
            channel="direct",
            **user_agent_columns(instance.user_agent),
        )
        # The classifier names the bots it recognises; scanners behind a browser user agent
        # and the behavioural crawler are recognised by what they do.
        category = verdict.category.value if verdict.category is not None else kind.category
        flags = BotFlags(
            is_bot=True,
            is_ai_crawler=verdict.is_ai_crawler,
            is_scanner=category == "scanner",
            bot_name=verdict.bot_name or kind.name,
            bot_category=category,
            bot_reason=verdict.reason or kind.reason,
        )
        return SessionBuilder(id=session_id, attrs=attrs, flags=flags)

    def _finish(self, builder: SessionBuilder) -> SessionBuilder:
        builder.requests = [r for r in builder.requests if r[0] < self._limit]
        pages = [r[2] for r in sorted(builder.requests) if r[5] == "page"]
        landing = pages[0] if pages else None
        builder.attrs["landing_page"] = landing
        builder.attrs["entry_url"] = f"{SITE_ORIGIN}{landing}" if landing else None
        return builder

    def _page(self, builder: SessionBuilder, t: int, path: str, status: int = 200) -> None:
        rng = self._rng
        page = PAGES_BY_PATH.get(path)
        size = 0 if status in (301, 304) else (page.size_kb * 1024 if page else 1_400)
        builder.request(t, "GET", path, status, rng.lognormal_median(38, 0.5), "page", size)

    def _asset(self, builder: SessionBuilder, t: int, path: str, status: int = 200) -> None:
        size = self._rng.randint(300, 40_000) if status == 200 else 1_400
        builder.request(t, "GET", path, status, self._rng.lognormal_median(9, 0.4), "asset", size)

    # ----------------------------------------------------------------------------------
    def _ordinary(self, session_id: str, instance: Instance, start: int) -> SessionBuilder:
        rng = self._rng
        kind = instance.kind
        builder = self._builder(session_id, instance)
        count = rng.randint(*kind.requests)
        t = start
        low, high = kind.gap_seconds

        def advance() -> int:
            nonlocal t
            current = t
            t += int(rng.uniform(low, high) * 1000)
            return current

        if kind.category == "scanner":
            self._scan(builder, kind, count, advance)
        elif kind.category == "http_library":
            for _ in range(count):
                method, path, request_kind, status = rng.choice(HTTP_LIBRARY_PATHS)
                builder.request(advance(), method, path, status,
                                rng.lognormal_median(30, 0.5), request_kind,
                                rng.randint(200, 60_000) if status == 200 else 180)  # fmt: skip
        elif kind.name in USER_TRIGGERED:
            for _ in range(count):
                self._page(builder, advance(), self._content_pages.pick(rng))
        else:
            extras = AI_CRAWLER_EXTRAS if kind.category == "ai_crawler" else CRAWLER_EXTRAS
            for path in extras:
                if rng.chance(0.3):
                    self._asset(builder, advance(), path, 404 if path == "/llms-full.txt" else 200)
            for _ in range(count):
                roll = rng.random()
                if roll < 0.03:
                    self._page(builder, advance(), rng.choice(BROKEN_PATHS_FOR_BOTS), 404)
                elif roll < 0.06:
                    path = self._site_pages.pick(rng)
                    self._page(
                        builder, advance(), f"{path}/" if path != "/" else "/index.html", 301
                    )
                elif roll < 0.12:
                    self._page(builder, advance(), self._site_pages.pick(rng), 304)
                else:
                    self._page(builder, advance(), self._site_pages.pick(rng))
        return self._finish(builder)

    def _scan(
        self, builder: SessionBuilder, kind: BotKind, count: int, advance: Callable[[], int]
    ) -> None:
        rng = self._rng
        probes = list(SCANNER_PROBES)
        if kind.name == "WPScan":
            probes = [p for p in probes if "wp" in p[1] or "xmlrpc" in p[1]] or probes
        if rng.chance(0.4):
            self._page(builder, advance(), "/")
        for _ in range(count):
            method, path = rng.choice(probes)
            if path in FORBIDDEN_PROBES:
                status = 403
            elif method == "POST" and rng.chance(0.5):
                status = 405
            else:
                status = 404
            builder.request(advance(), method, path, status, rng.lognormal_median(6, 0.5),
                            "page", 180 if status == 403 else 1_400)  # fmt: skip
        self._scanner_reason(builder)

    def _scanner_reason(self, builder: SessionBuilder) -> None:
        requests = len(builder.requests)
        missing = sum(1 for r in builder.requests if r[3] == 404)
        builder.flags.bot_reason = (
            f"{builder.flags.bot_reason}; {missing} of {requests} requests answered 404"
        )

    def _heavy_scanner(self, session_id: str, start: int) -> SessionBuilder:
        """An aggressive scanner: escalated through the throttle levels and finally blocked."""
        rng = self._rng
        kind = next(kind for kind in BOT_KINDS if kind.name == "Nuclei")
        builder = self._builder(session_id, Instance(kind, kind.user_agents[0], rng.hex64()))
        start = min(start, self._limit - 10 * MS_PER_MINUTE)
        t = max(0, start)
        for index in range(HEAVY_SCANNER_REQUESTS):
            method, path = rng.choice(SCANNER_PROBES)
            status = 429 if index >= 110 else 403 if path in FORBIDDEN_PROBES else 404
            builder.request(t, method, path, status, rng.lognormal_median(5, 0.5), "page", 180)
            t += rng.randint(300, 1_300)
        builder.flags.throttle_level = 3
        self._scanner_reason(builder)
        builder.flags.bot_reason = (
            f"{builder.flags.bot_reason}; blocked after exceeding 30 requests per minute"
        )
        return self._finish(builder)

    def _crawl(
        self,
        session_id: str,
        instance: Instance,
        start: int,
        interval_ms: int,
        sessions: int,
        index: int,
    ) -> SessionBuilder:
        """Every public page in sorted order at a fixed pace: the behavioural bot."""
        rng = self._rng
        builder = self._builder(session_id, instance)
        jitter = interval_ms // 100
        t = start
        for path in sorted(page.path for page in PUBLIC_PAGES):
            self._page(builder, t, path)
            t += interval_ms + rng.randint(-jitter, jitter)
        self._finish(builder)
        times = sorted(r[0] for r in builder.requests)
        browser = builder.attrs["browser"]
        version = builder.attrs["browser_version"]
        signals = behavioural_signals(
            SessionShape(
                request_times_ms=times,
                page_paths=[r[2] for r in sorted(builder.requests) if r[5] == "page"],
                site_page_count=len(PUBLIC_PAGES),
                fingerprint_sessions=sessions,
                browser=browser,
                browser_major=int(version.split(".")[0]) if version else None,
            )
        )
        points = score(signals)
        flags = builder.flags
        flags.is_behavioral_bot = points >= BOT_SCORE_THRESHOLD
        flags.behavioral_score = points
        flags.behavioral_signals = signals
        names = ", ".join(signal["signal"] for signal in signals)
        flags.bot_reason = f"behavioural score {points}: {names}; {flags.bot_reason}"
        flags.throttle_level = 2 if index >= 1 else 0
        return builder

    def _headless_slots(self) -> list[int]:
        window = self._window
        midnight = window.start.replace(hour=0, minute=0, second=0, microsecond=0)
        slots: list[int] = []
        day = midnight
        while day < window.end:
            for offset in HEADLESS_SCHEDULE_MS:
                ms = window.ms_of(day) + offset + self._rng.randint(0, 20_000)
                # Leave the walk (about two minutes) room to finish inside the window.
                if 0 <= ms < self._limit - 5 * MS_PER_MINUTE:
                    slots.append(ms)
            day += timedelta(days=1)
        return slots


def _allocate(total: int, shares: tuple[tuple[str, float], ...]) -> list[tuple[str, int]]:
    """Split ``total`` by ``shares`` with largest remainders, so the parts add up exactly."""
    weight = sum(share for _, share in shares)
    exact = [(name, total * share / weight) for name, share in shares]
    counts = {name: int(value) for name, value in exact}
    left = total - sum(counts.values())
    by_remainder = sorted(exact, key=lambda item: item[1] - int(item[1]), reverse=True)
    for name, _ in by_remainder[:left]:
        counts[name] += 1
    return [(name, counts[name]) for name, _ in shares]
