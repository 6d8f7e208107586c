"""What a chart shows, independent of how it is drawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from systemprompt_analytics.storage.dialect import Granularity
from systemprompt_analytics.web.server.dashboard.numbers import Unit, fmt

TimeStyle = Literal["line", "area", "bars"]


@dataclass(frozen=True)
class Series:
    """One line (or the bars) of a time chart; None is a bucket without a value (a gap)."""

    key: str
    label: str
    values: tuple[float | None, ...]
    # Whether buckets add up: counts of events do, distinct visitors per bucket do not.
    additive: bool = True

    @property
    def total(self) -> float:
        return sum(value for value in self.values if value is not None)

    @property
    def peak(self) -> float:
        return max((value for value in self.values if value is not None), default=0.0)


@dataclass(frozen=True)
class TimeChart:
    key: str  # unique on the page: element ids and ``data-chart``
    title: str
    unit: Unit
    granularity: Granularity
    buckets: tuple[datetime, ...]
    series: tuple[Series, ...]
    style: TimeStyle = "line"

    @property
    def has_data(self) -> bool:
        return any(series.peak > 0 for series in self.series)

    def fmt(self, value: float | None) -> str:
        return fmt(value, self.unit)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: unknown (e.g. the cost of unpriced requests), drawn empty
    value_text: str  # the number written next to the bar
    note: str = ""  # e.g. "12.3%", written after the number
    detail: str = ""  # more, for the tooltip only (e.g. "3,685 requests")


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    bars: tuple[Bar, ...]
    description: str = ""  # what the bars count, for screen readers

    @property
    def has_data(self) -> bool:
        return any(bar.value for bar in self.bars)


@dataclass(frozen=True)
class SharePart:
    label: str
    value: int
    share: float | None  # of the whole, in [0, 1]
    hatched: bool = False  # drawn with a pattern, so the parts differ without colour


@dataclass(frozen=True)
class ShareChart:
    key: str
    title: str
    parts: tuple[SharePart, ...]

    @property
    def has_data(self) -> bool:
        return any(part.value for part in self.parts)
