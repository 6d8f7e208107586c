"""The rows being generated, and the session accumulator that keeps them consistent.

A :class:`SessionBuilder` collects a session's events as they are generated and derives every
counter and timestamp of the session row from them when it is finalised, so the row cannot
disagree with its events: request/page-view/error/event counts, first and last activity, end
and duration, and the platform totals (AI requests, tokens, cost, tasks, messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from systemprompt_analytics.demo.timeline import MS_PER_DAY, MS_PER_MINUTE, Window

IDLE_TIMEOUT_MS = 30 * MS_PER_MINUTE
MAX_SESSION_SECONDS = MS_PER_DAY // 1000

Row = dict[str, Any]

# Request events as generated: (ms, method, path, status, latency_ms, kind, response_bytes).
RequestTuple = tuple[int, str, str, int, float, str, int]


@dataclass
class BotFlags:
    is_bot: bool = False
    is_ai_crawler: bool = False
    is_scanner: bool = False
    is_behavioral_bot: bool = False
    is_datacenter: bool = False
    bot_name: str | None = None
    bot_category: str | None = None
    bot_reason: str | None = None
    behavioral_score: int = 0
    behavioral_signals: list[dict[str, Any]] | None = None
    throttle_level: int = 0

    @property
    def any_bot(self) -> bool:
        return self.is_bot or self.is_ai_crawler or self.is_scanner or self.is_behavioral_bot


@dataclass
class SessionBuilder:
    """One session in the making. ``attrs`` holds the descriptive columns (identity,
    device, geo, attribution); everything countable is derived from the collected events."""

    id: str
    attrs: Row
    flags: BotFlags = field(default_factory=BotFlags)
    requests: list[RequestTuple] = field(default_factory=list)
    client_events: list[Row] = field(default_factory=list)
    engagement: list[Row] = field(default_factory=list)
    user_id: str | None = None
    converted_ms: int | None = None
    signup_event_ms: int | None = None
    ai_request_count: int = 0
    total_tokens: int = 0
    cost_microdollars: int = 0
    task_count: int = 0
    message_count: int = 0

    def request(
        self,
        ms: int,
        method: str,
        path: str,
        status: int,
        latency_ms: float,
        kind: str,
        response_bytes: int,
    ) -> None:
        self.requests.append((ms, method, path, status, latency_ms, kind, response_bytes))

    def count_ai_request(self, tokens: int, cost: int | None) -> None:
        self.ai_request_count += 1
        self.total_tokens += tokens
        self.cost_microdollars += cost or 0

    @property
    def page_views(self) -> list[tuple[int, str]]:
        return [(r[0], r[2]) for r in self.requests if r[5] == "page"]

    def event_times(self) -> list[int]:
        times = [r[0] for r in self.requests]
        times.extend(row["_ms"] for row in self.client_events)
        times.extend(row["_ms"] for row in self.engagement)
        return times

    def span(self) -> tuple[int, int]:
        times = self.event_times()
        return min(times), max(times)


def finalise_session(builder: SessionBuilder, window: Window) -> tuple[Row, list[Row]]:
    """The session row and its request-event rows; strips the helper keys of the
    client and engagement rows in place."""
    first_ms, last_ms = builder.span()
    flags = builder.flags
    ended = last_ms < window.length_ms - IDLE_TIMEOUT_MS
    page_views = 0
    errors = 0
    request_rows: list[Row] = []
    at = window.at
    for ms, method, path, status, latency, kind, size in sorted(builder.requests):
        if kind == "page":
            page_views += 1
        if status >= 400:
            errors += 1
        request_rows.append(
            {
                "occurred_at": at(ms),
                "session_id": builder.id,
                "method": method,
                "path": path,
                "status_code": status,
                "latency_ms": round(latency, 1),
                "kind": kind,
                "response_bytes": size,
                "is_bot": flags.is_bot,
                "is_ai_crawler": flags.is_ai_crawler,
                "is_scanner": flags.is_scanner,
            }
        )
    for row in builder.client_events:
        row.pop("_ms")
    for row in builder.engagement:
        row.pop("_ms")
    row = dict(builder.attrs)
    row.update(
        id=builder.id,
        user_id=builder.user_id,
        started_at=at(first_ms),
        last_activity_at=at(last_ms),
        ended_at=at(last_ms) if ended else None,
        duration_seconds=min((last_ms - first_ms) // 1000, MAX_SESSION_SECONDS) if ended else None,
        request_count=len(builder.requests),
        page_view_count=page_views,
        event_count=len(builder.client_events),
        error_count=errors,
        task_count=builder.task_count,
        message_count=builder.message_count,
        ai_request_count=builder.ai_request_count,
        total_tokens=builder.total_tokens,
        cost_microdollars=builder.cost_microdollars,
        is_bot=flags.is_bot,
        is_ai_crawler=flags.is_ai_crawler,
        is_scanner=flags.is_scanner,
        is_behavioral_bot=flags.is_behavioral_bot,
        is_datacenter=flags.is_datacenter,
        bot_name=flags.bot_name,
        bot_category=flags.bot_category,
        bot_reason=flags.bot_reason,
        behavioral_score=flags.behavioral_score,
        behavioral_signals=flags.behavioral_signals,
        throttle_level=flags.throttle_level,
        converted_at=at(builder.converted_ms) if builder.converted_ms is not None else None,
        revoked_at=None,
    )
    return row, request_rows


SESSION_ATTRIBUTES = (
    "visitor_hash",
    "fingerprint_hash",
    "source",
    "ip",
    "hosting_provider",
    "user_agent",
    "device_type",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "country",
    "region",
    "city",
    "locale",
    "referrer_url",
    "referrer_source",
    "channel",
    "landing_page",
    "entry_url",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
)


def session_attrs(**values: Any) -> Row:
    """Descriptive session columns, every key present (unset ones None)."""
    unknown = set(values) - set(SESSION_ATTRIBUTES)
    if unknown:
        raise KeyError(f"not a session attribute: {sorted(unknown)}")
    return {name: values.get(name) for name in SESSION_ATTRIBUTES}


@dataclass
class Dataset:
    """Every generated row by table name, plus the demo funnel (its id is assigned on insert)."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    funnel: Row | None = None
    funnel_steps: list[Row] = field(default_factory=list)
    funnel_progress: list[Row] = field(default_factory=list)

    def table(self, name: str) -> list[Row]:
        return self.rows.setdefault(name, [])

    def absorb(self, other: Dataset) -> None:
        """Append ``other``'s rows to this dataset's."""
        for name, rows in other.rows.items():
            self.table(name).extend(rows)
        if other.funnel is not None:
            self.funnel = other.funnel
            self.funnel_steps = list(other.funnel_steps)
        self.funnel_progress.extend(other.funnel_progress)

    def counts(self) -> dict[str, int]:
        counts = {name: len(rows) for name, rows in self.rows.items()}
        counts["funnels"] = 1 if self.funnel is not None else 0
        counts["funnel_steps"] = len(self.funnel_steps)
        counts["funnel_progress"] = len(self.funnel_progress)
        return counts
