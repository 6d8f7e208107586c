"""The dashboard's period picker: ``?range=24h|7d|30d`` or ``?range=custom&since=…&until=…``.

``since`` and ``until`` take the CLI's time forms (``7d``, ``2026-11-01``,
``2026-11-01T08:00:00Z``, ``now``; UTC; half-open ``[since, until)``), so a figure on the
dashboard and ``sp-analytics … --since X --until Y`` cover the same window. Bad values raise
:class:`InvalidInputError` naming the query parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period, parse_time
from systemprompt_analytics.storage.dialect import Granularity

PRESETS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PRESET_LABELS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}
PREVIOUS_LABELS = {
    "24h": "the 24 hours before",
    "7d": "the 7 days before",
    "30d": "the 30 days before",
}
DEFAULT_RANGE = "7d"
CUSTOM = "custom"
MAX_SPAN = timedelta(days=3 * 366)  # keeps a page to a bounded number of buckets
MAX_PARAM_LENGTH = 64


@dataclass(frozen=True)
class DashboardWindow:
    """The period shown, how its trends are bucketed, and the picker's state."""

    range: str  # a preset name or "custom"
    period: Period
    granularity: Granularity
    since_text: str = ""
    until_text: str = ""

    @property
    def label(self) -> str:
        if self.range in PRESET_LABELS:
            return PRESET_LABELS[self.range]
        return f"{_moment(self.period.since)} – {_moment(self.period.until)} UTC"

    @property
    def previous_label(self) -> str:
        """What the change on each card is measured against."""
        return PREVIOUS_LABELS.get(self.range, "the period of equal length before")


def _moment(value: datetime) -> str:
    if value.hour == value.minute == value.second == 0:
        return f"{value:%d %b %Y}"
    return f"{value:%d %b %Y %H:%M}"


def granularity_for(period: Period) -> Granularity:
    """Hourly buckets up to eight days, daily up to four months, then weekly, then monthly
    (a chart keeps between a dozen and a couple of hundred points)."""
    length = period.length
    if length <= timedelta(days=8):
        return "hour"
    if length <= timedelta(days=120):
        return "day"
    if length <= timedelta(days=730):
        return "week"
    return "month"


def _param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if len(value) > MAX_PARAM_LENGTH:
        raise InvalidInputError(name, f"must be at most {MAX_PARAM_LENGTH} characters")
    return value


def parse_window(params: Mapping[str, str], now: datetime) -> DashboardWindow:
    """The window named by the query parameters ``range``, ``since`` and ``until``.

    Without ``range``, a ``since`` makes it custom and nothing at all is the default range.
    """
    since_text, until_text = _param(params, "since"), _param(params, "until")
    chosen = _param(params, "range").lower() or (CUSTOM if since_text else DEFAULT_RANGE)
    if chosen in PRESETS:
        period = Period(now - PRESETS[chosen], now)
        return DashboardWindow(chosen, period, granularity_for(period))
    if chosen != CUSTOM:
        raise InvalidInputError("range", f"{chosen!r} is not one of 24h, 7d, 30d or custom")
    if not since_text:
        raise InvalidInputError("since", "a custom period needs a start, e.g. 2026-11-01 or 14d")
    since = parse_time(since_text, now, "since")
    until = parse_time(until_text, now, "until") if until_text else now
    if since >= until:
        raise InvalidInputError(
            "since", f"must be before until ({since.isoformat()} is not before {until.isoformat()})"
        )
    if until - since > MAX_SPAN:
        raise InvalidInputError("since", "the period may be at most 3 years long")
    period = Period(since, until)
    return DashboardWindow(CUSTOM, period, granularity_for(period), since_text, until_text)
