"""A large, realistic dataset for the report benchmark, generated fast and streamed to a sink.

At scale 1.0: 1,000,000 sessions, 5,000,000 request events, 2,000,000 AI requests and
500,000 tool executions, with proportionate users, agent tasks, conversations and messages,
tracker (client and engagement) events, funnel progress and fingerprint reputation, spread
over the 90 days before ``END`` with growth, a daily and a weekly rhythm. Totals of the four
headline tables are exact (allocated over sessions, not sampled); everything is seeded.

Distributions: a quarter of the sessions are bots (search, AI crawlers, SEO tools, HTTP
libraries, scanners, behaviourally flagged browsers) with many more requests each; human
sessions follow a Zipf-like page popularity; a fifth of the human web sessions and every
API, CLI and MCP session belong to a user, and those sessions carry the platform activity —
AI requests on nine models of four providers (one unknown, so unpriced), with cache and
reasoning tokens, errors, streaming and synthetic evaluation traffic; agent tasks of twenty
agents with mixed outcomes; forty MCP tools with failures and timeouts; conversations up to
a few hundred messages long.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.report_sinks import Sink
from systemprompt_analytics.storage import schema

END = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = 90
START = END - timedelta(days=DAYS)
FUNNEL_STEPS = (("pricing", "url_exact", "/pricing"), ("signup", "url_exact", "/signup"),
                ("activated", "event", "activated"))  # fmt: skip


@dataclass(frozen=True)
class DatasetSize:
    sessions: int
    request_events: int
    ai_requests: int
    tool_executions: int
    agent_tasks: int
    conversations: int
    messages: int
    users: int

    @classmethod
    def scaled(cls, scale: float) -> DatasetSize:
        def of(count: int) -> int:
            return max(10, round(count * scale))

        return cls(
            sessions=of(1_000_000),
            request_events=of(5_000_000),
            ai_requests=of(2_000_000),
            tool_executions=of(500_000),
            agent_tasks=of(250_000),
            conversations=of(150_000),
            messages=of(1_200_000),
            users=of(80_000),
        )


COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "is_anonymous", "display_name", "created_at", "registered_at", "last_seen_at"),
    "sessions": (
        "id", "user_id", "visitor_hash", "fingerprint_hash", "started_at", "last_activity_at",
        "ended_at", "duration_seconds", "source", "ip", "user_agent", "device_type", "browser",
        "os", "country", "region", "city", "locale", "referrer_source", "channel",
        "landing_page", "entry_url", "utm_source", "utm_medium", "utm_campaign",
        "request_count", "page_view_count", "event_count", "error_count", "task_count",
        "message_count", "ai_request_count", "total_tokens", "cost_microdollars", "is_bot",
        "is_ai_crawler", "is_scanner", "is_behavioral_bot", "is_datacenter", "bot_name",
        "bot_category", "bot_reason", "behavioral_score", "throttle_level", "converted_at",
    ),
    "request_events": (
        "occurred_at", "session_id", "method", "path", "status_code", "latency_ms", "kind",
        "response_bytes", "is_bot", "is_ai_crawler", "is_scanner",
    ),
    "client_events": (
        "client_event_id", "session_id", "occurred_at", "received_at", "event_type", "name",
        "path", "target_url", "title", "scroll_depth",
    ),
    "engagement_events": (
        "client_event_id", "session_id", "occurred_at", "path", "time_on_page_ms",
        "visible_time_ms", "engaged_time_ms", "max_scroll_depth", "click_count",
        "rage_click_count", "dead_click_count", "time_to_first_interaction_ms",
        "reading_pattern",
    ),
    "ai_requests": (
        "id", "requested_at", "completed_at", "provider", "model", "response_model",
        "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
        "reasoning_tokens", "total_tokens", "cost_microdollars", "is_priced", "price_source",
        "price_version", "latency_ms", "time_to_first_token_ms", "status", "is_streaming",
        "cache_hit", "is_synthetic", "error_message", "user_id", "session_id", "task_id",
        "conversation_id", "agent_name",
    ),
    "tool_executions": (
        "id", "started_at", "completed_at", "tool_name", "server_name", "status", "duration_ms",
        "error_message", "agent_name", "task_id", "session_id", "user_id",
    ),
    "agent_tasks": (
        "id", "agent_name", "status", "started_at", "completed_at", "duration_ms",
        "error_message", "user_id", "session_id", "conversation_id", "updated_at",
    ),
    "conversations": (
        "id", "user_id", "session_id", "agent_name", "title", "started_at", "last_message_at",
        "message_count",
    ),
    "conversation_messages": ("message_id", "conversation_id", "role", "created_at",
                              "token_count"),
    "funnel_progress": (
        "funnel_id", "unit_key", "session_id", "current_step", "step_timestamps", "started_at",
        "updated_at", "completed_at",
    ),
    "fingerprint_reputation": (
        "fingerprint_hash", "first_seen_at", "last_seen_at", "session_count", "request_count",
        "requests_last_hour", "peak_requests_per_minute", "is_flagged", "flag_reason",
        "reputation_score", "abuse_incidents", "updated_at",
    ),
}  # fmt: skip

# Parents first (conversation messages reference conversations).
TABLE_ORDER = tuple(COLUMNS)

# -- catalogues ------------------------------------------------------------------------------
CHANNELS = (("direct", None, 30), ("search", "google.com", 24), ("search", "bing.com", 3),
            ("search", "duckduckgo.com", 2), ("social", "linkedin.com", 4),
            ("social", "reddit.com", 3), ("social", "t.co", 3),
            ("social", "news.ycombinator.com", 2), ("ai_assistant", "chatgpt.com", 5),
            ("ai_assistant", "perplexity.ai", 2), ("email", None, 4),
            ("referral", "github.com", 5), ("referral", "dev.to", 2),
            ("referral", "stackoverflow.com", 2), ("paid", "google.com", 3))  # fmt: skip
DEVICES = (("desktop", "Chrome", "Windows", 24), ("desktop", "Chrome", "Mac OS X", 10),
           ("desktop", "Safari", "Mac OS X", 7), ("desktop", "Edge", "Windows", 6),
           ("desktop", "Firefox", "Windows", 3), ("desktop", "Firefox", "Linux", 2),
           ("mobile", "Mobile Safari", "iOS", 17), ("mobile", "Chrome Mobile", "Android", 19),
           ("mobile", "Samsung Internet", "Android", 4), ("tablet", "Mobile Safari", "iOS", 4),
           ("tablet", "Chrome", "Android", 2))  # fmt: skip
COUNTRIES = (("US", "California", "San Francisco", 31), ("IN", "Karnataka", "Bengaluru", 11),
             ("DE", "Berlin", "Berlin", 7), ("GB", "England", "London", 7),
             ("FR", "Île-de-France", "Paris", 5), ("CA", "Ontario", "Toronto", 4.5),
             ("BR", "São Paulo", "São Paulo", 4), ("JP", "Tokyo", "Tokyo", 3.5),
             ("NL", "North Holland", "Amsterdam", 3), ("ES", "Madrid", "Madrid", 3),
             ("AU", "New South Wales", "Sydney", 2.5), ("PL", "Mazovia", "Warsaw", 2),
             ("SE", "Stockholm", "Stockholm", 2), ("IT", "Lombardy", "Milan", 2),
             ("KR", "Seoul", "Seoul", 2), ("SG", "Singapore", "Singapore", 1.5),
             ("MX", "Mexico City", "Mexico City", 1.5), ("CH", "Zurich", "Zurich", 1),
             ("IL", "Tel Aviv", "Tel Aviv", 1), ("UA", "Kyiv City", "Kyiv", 1),
             ("VN", "Hanoi", "Hanoi", 1), ("ID", "Jakarta", "Jakarta", 1),
             ("NG", "Lagos", "Lagos", 1), ("TR", "Istanbul", "Istanbul", 1),
             ("AR", "Buenos Aires", "Buenos Aires", 1))  # fmt: skip
# (flag, name, category, reason, share of bot sessions, requests per session (mean))
BOTS = (("is_bot", "Googlebot", "search", "user agent matches Googlebot", 14, 12),
        ("is_bot", "Bingbot", "search", "user agent matches bingbot", 7, 10),
        ("is_ai_crawler", "GPTBot", "ai_crawler", "AI crawler: GPTBot", 10, 16),
        ("is_ai_crawler", "ClaudeBot", "ai_crawler", "AI crawler: ClaudeBot", 7, 14),
        ("is_ai_crawler", "PerplexityBot", "ai_crawler", "AI crawler: PerplexityBot", 5, 8),
        ("is_bot", "AhrefsBot", "seo", "user agent matches AhrefsBot", 8, 20),
        ("is_bot", "python-requests", "http_library", "HTTP library: python-requests", 10, 6),
        ("is_bot", "curl", "http_library", "HTTP library: curl", 6, 3),
        ("is_scanner", None, None, "scanner: probes for /wp-login.php, /.env", 13, 25),
        ("is_behavioral_bot", None, None, "behavioural score 65: regular timing, high page "
         "coverage", 20, 40))  # fmt: skip
SCANNER_PATHS = ("/wp-login.php", "/.env", "/admin.php", "/.git/config", "/phpmyadmin/",
                 "/xmlrpc.php", "/wp-admin/setup-config.php", "/config.json")  # fmt: skip
SECTIONS = (("docs", 700, 30), ("blog", 500, 18), ("agents", 300, 8), ("integrations", 150, 5),
            ("changelog", 120, 3), ("templates", 200, 4))  # fmt: skip
TOP_PAGES = ("/", "/pricing", "/features", "/signup", "/login", "/docs", "/blog", "/about")
# provider, model, response model, latency ms, ms per output token, cache kind, reasoning,
# (input, output, cache read, cache write) USD per million tokens — None: unpriced
MODELS = (("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", 3200, 18, "explicit",
           False, (3.0, 15.0, 0.3, 3.75)),
          ("anthropic", "claude-haiku-4-5", "claude-haiku-4-5-20251001", 1300, 7, "explicit",
           False, (1.0, 5.0, 0.1, 1.25)),
          ("anthropic", "claude-opus-4-1", "claude-opus-4-1-20250805", 7500, 35, "explicit",
           False, (15.0, 75.0, 1.5, 18.75)),
          ("openai", "gpt-4o", "gpt-4o-2024-08-06", 2600, 12, "implicit", False,
           (2.5, 10.0, 1.25, 0.0)),
          ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 1500, 7, "implicit", False,
           (0.15, 0.6, 0.075, 0.0)),
          ("openai", "o3-mini", "o3-mini-2025-01-31", 7000, 10, "implicit", True,
           (1.1, 4.4, 0.55, 0.0)),
          ("google", "gemini-2.5-flash", "gemini-2.5-flash", 1600, 5, "implicit", False,
           (0.3, 2.5, 0.075, 0.0)),
          ("google", "gemini-2.5-pro", "gemini-2.5-pro", 8000, 14, "implicit", True,
           (1.25, 10.0, 0.31, 0.0)),
          ("acme", "acme-llm-2", "acme-llm-2.1", 4500, 20, "none", False, None))  # fmt: skip
MODEL_WEIGHTS = (32, 14, 2.5, 15, 14, 3, 11, 4, 4.5)
MODEL_ERRORS = ("overloaded_error: Overloaded", "429 Too Many Requests: Rate limit reached",
                "500 The server had an error while processing your request",
                "context_length_exceeded: maximum context length is 128000 tokens",
                "503 UNAVAILABLE: The model is overloaded")  # fmt: skip
TOOL_SERVERS = ("github", "filesystem", "web", "postgres", "slack", "jira", "linear", "sentry")
TOOL_VERBS = ("search", "get", "list", "create", "update")
TOOL_ERRORS = ("GitHub API error 404: Not Found", "ENOENT: no such file or directory",
               "fetch failed: 503 Service Unavailable", "canceling statement due to statement "
               "timeout", "permission denied for table users", "slack API error: ratelimited",
               "connection reset by peer", "invalid arguments: missing 'query'")  # fmt: skip
AGENT_STATUSES = (("completed", 80), ("failed", 7), ("canceled", 3), ("rejected", 1),
                  ("working", 4), ("submitted", 3), ("input_required", 2))  # fmt: skip
AGENT_ERRORS = ("Tool web.fetch failed 3 times in a row", "Model provider error: overloaded",
                "Max iterations (25) exceeded", "Context window exceeded while summarising",
                "Tool postgres.query: permission denied for table users")  # fmt: skip
TERMINAL = frozenset({"completed", "failed", "canceled", "rejected"})
READING = ("bounce", "skim", "scan", "read", "engaged")
AGENT_NAMES = ("research", "code-review", "support", "data-analyst", "sales-assistant",
               "onboarding", "triage", "docs-writer", "qa", "security-audit", "billing",
               "translator", "summariser", "scheduler", "recruiter", "devops", "legal-review",
               "marketing", "seo", "crm-sync")  # fmt: skip


def _hour_weights() -> list[float]:
    """Sessions per hour of the window: growth from 0.6 to 1.4, a daily wave peaking at
    15:00 UTC, quieter weekends."""
    hours = DAYS * 24
    weights = []
    for index in range(hours):
        moment = START + timedelta(hours=index)
        growth = 0.6 + 0.8 * index / hours
        daily = 1.0 + 0.55 * math.cos((moment.hour - 15) / 24 * 2 * math.pi)
        weekly = 0.72 if moment.weekday() >= 5 else 1.0
        weights.append(growth * daily * weekly)
    return weights


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, cumulative = 0.0, []
    for weight in weights:
        total += weight
        cumulative.append(total)
    return cumulative


def allocate(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """``total`` items spread over ``len(weights)`` slots in proportion to the weights: the
    counts add up to ``total`` exactly."""
    counts = [0] * len(weights)
    if not weights:
        return counts
    for slot in rng.choices(range(len(weights)), cum_weights=_cumulative(weights), k=total):
        counts[slot] += 1
    return counts


class _Picker:
    """Weighted choice from a fixed table, cheaper than ``random.choices`` per call."""

    def __init__(self, rng: random.Random, items: Sequence[Any], weights: Sequence[float]):
        self.rng = rng
        self.items = list(items)
        self.cumulative = _cumulative(weights)
        self.total = self.cumulative[-1]

    def __call__(self) -> Any:
        from bisect import bisect_right

        point = self.rng.random() * self.total
        return self.items[min(bisect_right(self.cumulative, point), len(self.items) - 1)]


def _pages() -> tuple[list[str], list[float]]:
    paths = list(TOP_PAGES)
    weights = [30.0, 12.0, 8.0, 5.0, 6.0, 6.0, 5.0, 2.0]
    for section, count, share in SECTIONS:
        norm = sum(1 / (rank + 1) for rank in range(count))
        for rank in range(count):
            paths.append(f"/{section}/{section[:3]}-{rank:04d}")
            weights.append(share * (1 / (rank + 1)) / norm * 10)
    return paths, weights


@dataclass
class _Catalog:
    page: Callable[[], str]
    channel: Callable[[], tuple[str, str | None, float]]
    device: Callable[[], tuple[str, str, str, float]]
    country: Callable[[], tuple[str, str, str, float]]
    bot: Callable[[], tuple[Any, ...]]
    model: Callable[[], tuple[Any, ...]]
    agent: Callable[[], str]
    tool: Callable[[], tuple[str, str]]
    agent_status: Callable[[], str]


def _catalog(rng: random.Random) -> _Catalog:
    paths, weights = _pages()
    agents = [f"agent-{name}" for name in AGENT_NAMES]
    tools = [(f"{server}.{verb}_{noun}", server) for server in TOOL_SERVERS
             for verb, noun in zip(TOOL_VERBS, ("items", "item", "records", "entry", "status"),
                                   strict=True)]  # fmt: skip
    return _Catalog(
        page=_Picker(rng, paths, weights),
        channel=_Picker(rng, CHANNELS, [row[2] for row in CHANNELS]),
        device=_Picker(rng, DEVICES, [row[3] for row in DEVICES]),
        country=_Picker(rng, COUNTRIES, [row[3] for row in COUNTRIES]),
        bot=_Picker(rng, BOTS, [row[4] for row in BOTS]),
        model=_Picker(rng, MODELS, MODEL_WEIGHTS),
        agent=_Picker(rng, agents, [1 / (rank + 1) ** 0.8 for rank in range(len(agents))]),
        tool=_Picker(rng, tools, [1 / (rank + 1) ** 0.7 for rank in range(len(tools))]),
        agent_status=_Picker(rng, [s for s, _ in AGENT_STATUSES], [w for _, w in AGENT_STATUSES]),
    )


@dataclass
class _Session:
    index: int
    start: float
    bot: tuple[Any, ...] | None
    source: str
    user: str | None


def _sessions(rng: random.Random, size: DatasetSize, users: list[str]) -> list[_Session]:
    hours = _cumulative(_hour_weights())
    base = START.timestamp()
    starts = sorted(
        base + (hour + rng.random()) * 3600.0
        for hour in rng.choices(range(len(hours)), cum_weights=hours, k=size.sessions)
    )
    catalog_rng = random.Random(rng.random())
    bot_pick = _Picker(catalog_rng, BOTS, [row[4] for row in BOTS])
    sessions = []
    for index, start in enumerate(starts):
        roll = rng.random()
        bot = bot_pick() if roll < 0.25 else None
        source = "web"
        if bot is None:
            source_roll = rng.random()
            source = (
                "api" if source_roll < 0.07
                else "cli" if source_roll < 0.11
                else "mcp" if source_roll < 0.12
                else "web"
            )  # fmt: skip
        user = None
        if bot is None and (source != "web" or rng.random() < 0.2):
            user = users[int(len(users) * rng.random() ** 2.2)]
        sessions.append(_Session(index, start, bot, source, user))
    return sessions


def _ts(seconds: float) -> float:
    return round(seconds, 3)


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def generate(size: DatasetSize, seed: int, sink: Sink, funnel_id: int) -> None:
    """Generate the dataset and hand every row to ``sink`` (``funnel_id``: the stored
    funnel the progress rows belong to)."""
    rng = random.Random(seed)
    catalog = _catalog(random.Random(seed + 1))
    users = [f"user_{index:06d}" for index in range(size.users)]
    _write_users(rng, users, sink)
    sessions = _sessions(rng, size, users)

    def request_weight(session: _Session) -> float:
        if session.bot is not None:
            return float(session.bot[5])
        return 1.2 if session.source != "web" else 4.2

    platform = [s for s in sessions if s.user is not None]
    platform_weight = {"web": 1.0, "api": 5.0, "cli": 7.0, "mcp": 5.0}
    weights = [platform_weight[s.source] for s in platform]
    events = allocate(rng, size.request_events, [request_weight(s) for s in sessions])
    ai = allocate(rng, size.ai_requests, weights)
    tools = allocate(rng, size.tool_executions, weights)
    tasks = allocate(rng, size.agent_tasks, weights)
    chats = allocate(rng, size.conversations, weights)
    platform_slot = {s.index: slot for slot, s in enumerate(platform)}
    counters = _Counters()
    messages = _MessageBudget(rng, size.messages, size.conversations)
    for session in sessions:
        slot = platform_slot.get(session.index)
        activity = (
            (ai[slot], tools[slot], tasks[slot], chats[slot]) if slot is not None else (0, 0, 0, 0)
        )
        _write_session(rng, catalog, session, events[session.index], activity, messages,
                       counters, sink, funnel_id)  # fmt: skip
    _write_reputation(rng, counters.fingerprints, sink)


def _write_users(rng: random.Random, users: list[str], sink: Sink) -> None:
    table = schema.users
    early = START.timestamp() - 120 * 86400.0
    span = END.timestamp() - early
    for user in users:
        created = early + span * rng.random() ** 0.7
        anonymous = rng.random() < 0.3
        registered = None if anonymous else created + rng.random() * 3600.0
        sink.add(table, (user, anonymous, None if anonymous else f"User {user[5:]}",
                         _ts(created), None if registered is None else _ts(registered),
                         _ts(min(END.timestamp() - 1, created + rng.random() * span))))  # fmt: skip


class _Counters:
    def __init__(self) -> None:
        self.ids = 0
        self.fingerprints: dict[str, list[float]] = {}

    def next_id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}_{self.ids:012x}"


class _MessageBudget:
    """Messages per conversation: geometric-ish lengths with a long tail, adding up to the
    requested total over the requested number of conversations."""

    def __init__(self, rng: random.Random, messages: int, conversations: int):
        weights = [rng.paretovariate(1.6) for _ in range(conversations)]
        self.lengths = allocate(rng, max(0, messages - conversations), weights)
        self.next = 0

    def take(self) -> int:
        length = 1 + self.lengths[self.next] if self.next < len(self.lengths) else 1
        self.next += 1
        return length


def _write_session(
    rng: random.Random,
    catalog: _Catalog,
    session: _Session,
    event_count: int,
    activity: tuple[int, int, int, int],
    messages: _MessageBudget,
    counters: _Counters,
    sink: Sink,
    funnel_id: int,
) -> None:
    sid = f"sess_{session.index:032x}"
    bot = session.bot
    start = session.start
    human_web = bot is None and session.source == "web"
    gap = 45.0 if bot is None else 6.0 if bot[0] != "is_behavioral_bot" else 2.0
    if bot is not None:
        flags = {flag: bot[0] == flag for flag in ("is_bot", "is_ai_crawler", "is_scanner",
                                                    "is_behavioral_bot")}  # fmt: skip
    else:
        flags = dict.fromkeys(("is_bot", "is_ai_crawler", "is_scanner", "is_behavioral_bot"),
                              False)  # fmt: skip
    event_flags = (flags["is_bot"], flags["is_ai_crawler"], flags["is_scanner"])
    when = start
    last = start
    page_views = errors = 0
    landing: str | None = None
    viewed: list[tuple[float, str]] = []
    for number in range(event_count):
        if number:
            when += rng.expovariate(1.0 / gap)
        if bot is not None and bot[0] == "is_scanner":
            path, kind = SCANNER_PATHS[int(rng.random() * len(SCANNER_PATHS))], "page"
        elif session.source != "web":
            path, kind = "/api/v1/chat", "api"
        else:
            roll = rng.random() if number else 0.0
            kind = ("page" if roll < 0.55 or bot is not None else "api" if roll < 0.85
                    else "asset" if roll < 0.95 else "beacon")  # fmt: skip
            path = catalog.page() if kind == "page" else (
                "/api/v1/search" if kind == "api" else "/static/app.js" if kind == "asset"
                else "/collect")  # fmt: skip
        status_roll = rng.random()
        status = (404 if bot is not None and bot[0] == "is_scanner"
                  else 200 if status_roll < 0.95 else 304 if status_roll < 0.97
                  else 404 if status_roll < 0.995 else 500)  # fmt: skip
        if kind == "page":
            page_views += 1
            if landing is None and number == 0:
                landing = path
            viewed.append((when, path))
        if status >= 400:
            errors += 1
        latency = round(_lognormal(rng, 35.0, 0.8), 2)
        size = int(_lognormal(rng, 24_000, 1.0))
        row = (_ts(when), sid, "GET", path, status, latency, kind, size, *event_flags)
        sink.add(schema.request_events, row)
        last = when
    ai_count, tool_count, task_count, chat_count = activity
    platform_end = start
    ai_totals = [0, 0, 0]  # requests, tokens, cost
    if session.user is not None and (ai_count or tool_count or task_count or chat_count):
        platform_end = _write_platform(rng, catalog, sid, session, activity, messages,
                                       counters, sink, ai_totals)  # fmt: skip
    last = max(last, platform_end)
    tracked = human_web and rng.random() < 0.8
    converted = None
    if tracked:
        converted = _write_tracker(rng, sid, viewed, counters, sink)
    if human_web and viewed and rng.random() < 0.25:
        _write_funnel(rng, sid, viewed, funnel_id, sink)
    channel, referrer, _ = catalog.channel() if human_web else ("direct", None, 0.0)
    device, browser, os_name, _ = catalog.device()
    country, region, city, _ = catalog.country()
    visitor = (f"v{int(session.index * 0.62 + rng.random() * 1000):015x}" if bot is None
               else f"b{int(rng.random() * 40_000):015x}")  # fmt: skip
    fingerprint = f"fp{int(rng.random() * (400_000 if bot is None else 30_000)):014x}"
    if bot is not None:
        counters.fingerprints.setdefault(fingerprint, [start, last, 0, 0])
        seen = counters.fingerprints[fingerprint]
        seen[0], seen[1] = min(seen[0], start), max(seen[1], last)
        seen[2] += 1
        seen[3] += event_count
    ended = last + 1800.0 if last + 1800.0 < END.timestamp() else None
    utm = ("newsletter", "email", "nov-launch") if channel == "email" else (None, None, None)
    sink.add(schema.sessions, (
        sid, session.user, visitor, fingerprint, _ts(start), _ts(last),
        None if ended is None else _ts(ended),
        None if ended is None else int(min(last - start, 86_400)), session.source,
        f"203.0.{session.index % 250}.{session.index % 199}",
        None if bot is None else f"{bot[1] or 'Mozilla/5.0'} (bench)",
        device if bot is None else None, browser if bot is None else None,
        os_name if bot is None else None, country, region, city, "en-US", referrer, channel,
        landing, landing, *utm, event_count, page_views, 0, errors, task_count, 0,
        ai_totals[0], ai_totals[1], ai_totals[2], *flags.values(), bot is not None and
        rng.random() < 0.6, None if bot is None else bot[1],
        None if bot is None else bot[2], None if bot is None else bot[3],
        65 if bot is not None and bot[0] == "is_behavioral_bot" else int(rng.random() * 20),
        1 if bot is not None and bot[0] == "is_scanner" else 0,
        None if converted is None else _ts(converted),
    ))  # fmt: skip


def _write_tracker(
    rng: random.Random,
    sid: str,
    viewed: list[tuple[float, str]],
    counters: _Counters,
    sink: Sink,
) -> float | None:
    """Client events (page views, clicks, scrolls, conversions) and one engagement row per
    tracked page view; the conversion time if the session converted."""
    converted = None
    for when, path in viewed:
        sink.add(schema.client_events, (counters.next_id("ce"), sid, _ts(when + 0.4),
                                        _ts(when + 1.0), "page_view", None, path, None,
                                        path.rsplit("/", 1)[-1] or "Home", None))  # fmt: skip
        engaged = int(_lognormal(rng, 22_000, 1.1))
        clicks = int(rng.expovariate(0.8))
        if clicks and rng.random() < 0.5:
            sink.add(schema.client_events, (counters.next_id("ce"), sid, _ts(when + 5.0),
                                            _ts(when + 6.0), "link_click", None, path,
                                            "/pricing", None, None))  # fmt: skip
        if rng.random() < 0.3:
            sink.add(schema.client_events, (counters.next_id("ce"), sid, _ts(when + 8.0),
                                            _ts(when + 9.0), "scroll", None, path, None, None,
                                            int(rng.random() * 100)))  # fmt: skip
        scroll = min(100, int(_lognormal(rng, 55, 0.5)))
        pattern = READING[min(4, int(engaged / 15_000))]
        sink.add(schema.engagement_events, (
            counters.next_id("ee"), sid, _ts(when + 0.5), path, int(engaged * 1.3),
            int(engaged * 1.1), engaged, scroll, clicks, int(clicks > 3 and rng.random() < 0.3),
            int(clicks > 1 and rng.random() < 0.2),
            int(_lognormal(rng, 3000, 0.7)) if clicks else None, pattern,
        ))  # fmt: skip
    if viewed and rng.random() < 0.03:
        when = viewed[-1][0] + 20.0
        row = (counters.next_id("ce"), sid, _ts(when), _ts(when + 1.0), "conversion", "signup",
               "/signup", None, None, None)  # fmt: skip
        sink.add(schema.client_events, row)
        converted = when
    return converted


def _write_funnel(
    rng: random.Random, sid: str, viewed: list[tuple[float, str]], funnel_id: int, sink: Sink
) -> None:
    first = viewed[0][0]
    reached = 0 if rng.random() < 0.6 else 1 if rng.random() < 0.7 else 2
    stamps = [first + step * rng.expovariate(1 / 600.0) for step in range(reached + 1)]
    iso = json.dumps([datetime.fromtimestamp(s, UTC).isoformat() for s in sorted(stamps)])
    completed = _ts(max(stamps)) if reached == len(FUNNEL_STEPS) - 1 else None
    sink.add(schema.funnel_progress, (funnel_id, sid, sid, reached, iso, _ts(first),
                                      _ts(max(stamps)), completed))  # fmt: skip


def _write_platform(
    rng: random.Random,
    catalog: _Catalog,
    sid: str,
    session: _Session,
    activity: tuple[int, int, int, int],
    messages: _MessageBudget,
    counters: _Counters,
    sink: Sink,
    totals: list[int],
) -> float:
    """Agent tasks, conversations with their messages, AI requests and tool executions of
    one user session; returns the time of its last activity."""
    ai_count, tool_count, task_count, chat_count = activity
    user = session.user
    start = session.start
    span = 60.0 + 25.0 * (ai_count + tool_count)
    end = start
    task_ids: list[tuple[str, str]] = []
    for _ in range(task_count):
        task_id = counters.next_id("task")
        agent = catalog.agent()
        status = catalog.agent_status()
        begun = start + rng.random() * span
        duration = int(_lognormal(rng, 45_000, 1.0))
        done = begun + duration / 1000.0 if status in TERMINAL else None
        error = (AGENT_ERRORS[int(rng.random() * len(AGENT_ERRORS))]
                 if status in ("failed", "rejected") else None)  # fmt: skip
        sink.add(schema.agent_tasks, (task_id, agent, status, _ts(begun),
                                      None if done is None else _ts(done),
                                      duration if done is not None else None, error, user, sid,
                                      None, _ts(done or begun)))  # fmt: skip
        task_ids.append((task_id, agent))
        end = max(end, done or begun)
    conversation_ids = []
    for _ in range(chat_count):
        conversation_id = counters.next_id("conv")
        begun = start + rng.random() * span
        length = messages.take()
        when = begun
        for number in range(length):
            when += rng.expovariate(1 / 40.0)
            role = "user" if number % 2 == 0 else "assistant"
            sink.add(schema.conversation_messages, (counters.next_id("msg"), conversation_id,
                                                    role, _ts(when),
                                                    int(_lognormal(rng, 180, 0.9))))  # fmt: skip
        conversation_agent = task_ids[0][1] if task_ids and rng.random() < 0.3 else None
        sink.add(schema.conversations, (conversation_id, user, sid, conversation_agent,
                                        f"Conversation {conversation_id[-6:]}", _ts(begun),
                                        _ts(when), length))  # fmt: skip
        conversation_ids.append(conversation_id)
        end = max(end, when)
    for _ in range(ai_count):
        begun = start + rng.random() * span
        done = _write_ai_request(rng, catalog, sid, user, begun, task_ids, conversation_ids,
                                 counters, sink, totals)  # fmt: skip
        end = max(end, done)
    for _ in range(tool_count):
        begun = start + rng.random() * span
        tool, server = catalog.tool()
        roll = rng.random()
        status = "success" if roll < 0.93 else "failed" if roll < 0.98 else "timeout"
        duration = 30_000 if status == "timeout" else int(_lognormal(rng, 300, 1.2))
        task = (
            task_ids[int(rng.random() * len(task_ids))] if task_ids and rng.random() < 0.8 else None
        )
        sink.add(schema.tool_executions, (
            counters.next_id("tool"), _ts(begun), _ts(begun + duration / 1000.0), tool, server,
            status, duration,
            None if status == "success" else TOOL_ERRORS[int(rng.random() * len(TOOL_ERRORS))],
            None if task is None else task[1], None if task is None else task[0], sid, user,
        ))  # fmt: skip
        end = max(end, begun + duration / 1000.0)
    return end


def _write_ai_request(
    rng: random.Random,
    catalog: _Catalog,
    sid: str,
    user: str | None,
    begun: float,
    task_ids: list[tuple[str, str]],
    conversation_ids: list[str],
    counters: _Counters,
    sink: Sink,
    totals: list[int],
) -> float:
    provider, model, response_model, latency_median, per_token, cache, reasoning, prices = (
        catalog.model()
    )
    task = task_ids[int(rng.random() * len(task_ids))] if task_ids and rng.random() < 0.6 else None
    conversation = (conversation_ids[int(rng.random() * len(conversation_ids))]
                    if task is None and conversation_ids else None)  # fmt: skip
    roll = rng.random()
    status = "success" if roll < 0.965 else "error" if roll < 0.99 else "timeout"
    prompt = int(_lognormal(rng, 1500, 1.0))
    cache_read = (
        int(prompt * rng.uniform(0.3, 0.9)) if cache != "none" and rng.random() < 0.35 else 0
    )
    cache_write = int(prompt * 0.5) if cache == "explicit" and rng.random() < 0.1 else 0
    output = int(_lognormal(rng, 350, 0.9)) if status == "success" else 0
    thinking = int(_lognormal(rng, 800, 0.8)) if reasoning and status == "success" else 0
    total = prompt + output + cache_read + cache_write + thinking
    cost = None
    if prices is not None:
        cost = round(prompt * prices[0] + (output + thinking) * prices[1]
                     + cache_read * prices[2] + cache_write * prices[3])  # fmt: skip
    latency = int(latency_median * math.exp(rng.gauss(0, 0.45)) + per_token * output * 0.1)
    streaming = rng.random() < 0.6
    synthetic = rng.random() < 0.03
    sink.add(schema.ai_requests, (
        counters.next_id("air"), _ts(begun), _ts(begun + latency / 1000.0), provider, model,
        response_model, prompt, output, cache_read, cache_write, thinking, total, cost,
        cost is not None, "bench" if cost is not None else None,
        "2026-10" if cost is not None else None, latency,
        int(latency * rng.uniform(0.1, 0.4)) if streaming else None, status, streaming,
        cache_read > 0, synthetic,
        None if status == "success" else MODEL_ERRORS[int(rng.random() * len(MODEL_ERRORS))],
        user, sid, None if task is None else task[0], conversation,
        None if task is None else task[1],
    ))  # fmt: skip
    if not synthetic:
        totals[0] += 1
        totals[1] += total
        totals[2] += cost or 0
    return begun + latency / 1000.0


def _write_reputation(rng: random.Random, fingerprints: dict[str, list[float]], sink: Sink) -> None:
    for fingerprint, (first, last, sessions, requests) in fingerprints.items():
        score = max(0, min(100, int(50 - sessions * 3 - requests / 20 + rng.gauss(0, 5))))
        flagged = score < 20
        sink.add(schema.fingerprint_reputation, (
            fingerprint, _ts(first), _ts(last), int(sessions), int(requests),
            int(rng.random() * 30), int(rng.random() * 60), flagged,
            "high velocity" if flagged else None, score, int(flagged) * int(sessions // 5),
            _ts(last),
        ))  # fmt: skip
