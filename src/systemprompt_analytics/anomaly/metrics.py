"""The metrics the anomaly service watches, defined once.

Every platform metric is built from per-minute totals (see :mod:`anomaly.queries`), so the
live evaluation of the last minute and the warm-up from stored history compute the same
numbers. A metric's value at minute *m* sums its totals over its window ending at *m*: a
count (requests), a sum (AI cost, in USD) or a rate (numerator / denominator: errors /
requests). Rates carry their denominator as the *volume* the minimum-volume guard checks.

Per-fingerprint metrics (abuse signals) are read per window with one grouped query each and
checked against their thresholds; their alerts are escalated into the ThrottleService.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from systemprompt_analytics.anomaly.levels import Direction

MinuteTotals = Mapping[str, float]

# The per-minute totals every platform metric is built from.
TOTALS = (
    "requests",
    "human_requests",
    "human_errors",
    "latency_sum",
    "latency_count",
    "sessions",
    "bot_sessions",
    "ai_requests",
    "ai_errors",
    "ai_cost_microdollars",
    "tools",
    "tool_failures",
)


def _last(minutes: Sequence[MinuteTotals], count: int) -> list[MinuteTotals]:
    """The last ``count`` entries (works on a deque, which cannot be sliced)."""
    size = len(minutes)
    return [minutes[index] for index in range(max(0, size - count), size)]


@dataclass(frozen=True, slots=True)
class SeriesMetric:
    """A platform-wide metric evaluated every minute over its window."""

    name: str
    description: str
    numerator: str
    denominator: str | None = None
    window_minutes: int = 1
    scale: float = 1.0
    direction: Direction = Direction.UP
    min_volume: float = 0.0
    """Rates: the least denominator (requests, sessions, ...) worth judging; counts: the least
    value (or expected value) worth judging."""
    trend: bool = False
    """Also apply the original crate's trend rule (latest vs the last hour's average)."""
    is_count: bool = False

    def value(self, minutes: Sequence[MinuteTotals]) -> tuple[float | None, float | None]:
        """(value, volume) over the last ``window_minutes`` of ``minutes`` (oldest first).
        The value is None for a rate without any denominator."""
        window = _last(minutes, self.window_minutes)
        numerator = math.fsum(totals.get(self.numerator, 0.0) for totals in window)
        if self.denominator is None:
            return numerator * self.scale, None
        volume = math.fsum(totals.get(self.denominator, 0.0) for totals in window)
        if volume <= 0:
            return None, 0.0
        return numerator / volume * self.scale, volume


@dataclass(frozen=True, slots=True)
class DeviationMetric:
    """Average response time of the last minute, in standard deviations from the per-minute
    averages of the ``baseline_minutes`` before it (minutes without requests left out)."""

    name: str = "avg_response_time_deviation"
    description: str = "Average response time, in standard deviations from its last hour"
    baseline_minutes: int = 60
    min_baseline: int = 10
    min_requests: float = 5.0

    def value(self, minutes: Sequence[MinuteTotals]) -> tuple[float | None, float | None]:
        if not minutes:
            return None, None
        current = minutes[-1]
        count = current.get("latency_count", 0.0)
        if count < self.min_requests:
            return None, count
        average = current.get("latency_sum", 0.0) / count
        history = [
            totals["latency_sum"] / totals["latency_count"]
            for totals in _last(minutes, self.baseline_minutes + 1)[:-1]
            if totals.get("latency_count", 0.0) > 0
        ]
        if len(history) < self.min_baseline:
            return None, count
        mean = math.fsum(history) / len(history)
        spread = math.sqrt(math.fsum((x - mean) ** 2 for x in history) / (len(history) - 1))
        if spread <= 0.0:
            return None, count
        return (average - mean) / spread, count


@dataclass(frozen=True, slots=True)
class FingerprintMetric:
    """A per-fingerprint abuse signal, checked against its threshold over ``window``."""

    name: str
    description: str
    window: timedelta


SERIES_METRICS: tuple[SeriesMetric, ...] = (
    SeriesMetric(
        "platform_requests_per_minute",
        "Tracked requests per minute, platform-wide",
        "requests",
        direction=Direction.BOTH,
        min_volume=10.0,
        trend=True,
        is_count=True,
    ),
    SeriesMetric(
        "error_rate",
        "Share of requests answered with a status of 400 or more, bots, AI crawlers and "
        "scanners left out (last 5 minutes)",
        "human_errors",
        "human_requests",
        window_minutes=5,
        min_volume=20.0,
    ),
    SeriesMetric(
        "bot_share",
        "Bot sessions / all sessions started in the last hour",
        "bot_sessions",
        "sessions",
        window_minutes=60,
        min_volume=20.0,
    ),
    SeriesMetric(
        "ai_cost_per_hour",
        "Cost of AI requests in the last hour, USD (synthetic requests excluded)",
        "ai_cost_microdollars",
        window_minutes=60,
        scale=1e-6,
    ),
    SeriesMetric(
        "ai_error_rate",
        "Share of AI requests that did not succeed (last 5 minutes)",
        "ai_errors",
        "ai_requests",
        window_minutes=5,
        min_volume=10.0,
    ),
    SeriesMetric(
        "tool_failure_rate",
        "Share of tool executions that failed or timed out (last 5 minutes)",
        "tool_failures",
        "tools",
        window_minutes=5,
        min_volume=10.0,
    ),
)

RESPONSE_TIME = DeviationMetric()

FINGERPRINT_METRICS: tuple[FingerprintMetric, ...] = (
    FingerprintMetric(
        "requests_per_minute", "Requests per minute from one fingerprint", timedelta(minutes=1)
    ),
    FingerprintMetric(
        "session_count_per_fingerprint",
        "Sessions opened by one fingerprint in the last hour",
        timedelta(hours=1),
    ),
    FingerprintMetric(
        "unique_ips_per_fingerprint",
        "Distinct IP addresses of one fingerprint's sessions in the last hour",
        timedelta(hours=1),
    ),
)

HISTORY_MINUTES = max(
    RESPONSE_TIME.baseline_minutes + 1, *(metric.window_minutes for metric in SERIES_METRICS)
)
"""How many minutes of totals the service keeps to compute every metric."""

TREND_WINDOW = 60
"""Values (minutes) the trend rule averages over."""
