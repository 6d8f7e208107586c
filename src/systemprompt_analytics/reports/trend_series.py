"""A zero-filled trend series and the options it was built with, as one typed result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.storage.dialect import Granularity


@dataclass(frozen=True)
class TrendSeries:
    period: Period
    group_by: Granularity
    metrics: tuple[str, ...]
    series: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return ("bucket", *self.metrics)

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "group_by": self.group_by,
            **self.options,
            "series": self.series,
        }
