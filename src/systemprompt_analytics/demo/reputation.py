"""Fingerprint reputation derived from the generated sessions: one row per fingerprint with
counts and velocity that agree with its sessions, and low scores for scanners and
behavioural bots."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from systemprompt_analytics.demo.records import Row, SessionBuilder
from systemprompt_analytics.demo.timeline import MS_PER_HOUR, MS_PER_MINUTE, Window

NEUTRAL_SCORE = 50
HIGH_VELOCITY_PER_MINUTE = 15  # the requests_per_minute warning threshold
# Starting score by what the fingerprint is (before incidents lower it).
CATEGORY_SCORES = {
    "search": 50,
    "ai_crawler": 48,
    "seo": 45,
    "http_library": 42,
    "scanner": 15,
    "headless": 20,
}


@dataclass
class _Fingerprint:
    first_ms: int
    last_ms: int
    last_user_agent: str | None
    sessions: int = 0
    requests: int = 0
    per_minute: Counter[int] = field(default_factory=Counter)
    user_ids: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    registered: bool = False


class ReputationTracker:
    """Accumulates sessions as they are finished; :meth:`rows` gives the reputation table."""

    def __init__(self, is_registered: Callable[[str], bool]) -> None:
        self._prints: dict[str, _Fingerprint] = {}
        self._is_registered = is_registered

    def add(self, builder: SessionBuilder) -> None:
        key = builder.attrs["fingerprint_hash"]
        if key is None:
            return
        first_ms, last_ms = builder.span()
        entry = self._prints.get(key)
        if entry is None:
            entry = self._prints[key] = _Fingerprint(first_ms, last_ms, builder.attrs["user_agent"])
        entry.first_ms = min(entry.first_ms, first_ms)
        if last_ms >= entry.last_ms:
            entry.last_ms = last_ms
            entry.last_user_agent = builder.attrs["user_agent"]
        entry.sessions += 1
        entry.requests += len(builder.requests)
        entry.per_minute.update(request[0] // MS_PER_MINUTE for request in builder.requests)
        if builder.user_id is not None:
            entry.user_ids.add(builder.user_id)
            entry.registered = entry.registered or self._is_registered(builder.user_id)
        if builder.flags.bot_category is not None:
            entry.categories.add(builder.flags.bot_category)

    def rows(self, window: Window) -> list[Row]:
        last_hour_from = window.length_ms - MS_PER_HOUR
        rows: list[Row] = []
        for key, entry in self._prints.items():
            counts = entry.per_minute
            peak = max(counts.values(), default=0)
            sustained = sum(1 for count in counts.values() if count > HIGH_VELOCITY_PER_MINUTE)
            last_hour = sum(
                count for minute, count in counts.items()
                if minute * MS_PER_MINUTE >= last_hour_from
            )  # fmt: skip
            flag_reason, incidents = _flag(entry, peak)
            last_seen = window.at(entry.last_ms)
            rows.append(
                {
                    "fingerprint_hash": key,
                    "first_seen_at": window.at(entry.first_ms),
                    "last_seen_at": last_seen,
                    "session_count": entry.sessions,
                    "request_count": entry.requests,
                    "requests_last_hour": last_hour,
                    "peak_requests_per_minute": peak,
                    "sustained_high_velocity_minutes": sustained,
                    "is_flagged": flag_reason is not None,
                    "flag_reason": flag_reason,
                    "reputation_score": _score(entry, incidents),
                    "abuse_incidents": incidents,
                    "last_incident_at": last_seen if incidents else None,
                    "associated_user_ids": sorted(entry.user_ids) or None,
                    "last_user_agent": entry.last_user_agent,
                    "updated_at": last_seen,
                }
            )
        return rows


def _flag(entry: _Fingerprint, peak: int) -> tuple[str | None, int]:
    if "scanner" in entry.categories:
        return "scanner", entry.sessions
    if "headless" in entry.categories:
        return "behavioral_bot", entry.sessions
    if peak > 2 * HIGH_VELOCITY_PER_MINUTE:
        return "high_velocity", 1
    return None, 0


def _score(entry: _Fingerprint, incidents: int) -> int:
    if not entry.categories:
        # Humans: neutral, a little better with a registered account and a history.
        bonus = (5 if entry.registered else 0) + min(entry.sessions - 1, 5)
        return NEUTRAL_SCORE + bonus
    category = sorted(entry.categories)[0]
    base = CATEGORY_SCORES.get(category, NEUTRAL_SCORE)
    return max(0, min(100, base - 2 * incidents))
