"""The original crate's trend rule: the latest value against the average of its window.

ratio = latest / average of the window's values (the latest included, as in the original);
ratio above 3 → Critical, above 2 → Warning, otherwise nothing. Fewer than ``min_samples``
values, or an average that is not positive, give nothing either.

:class:`TrendDetector` runs the same rule over a stream (the window is the last ``window``
values up to and including the current one) so ``anomalies backtest --detector trend`` can
compare it with the robust detector.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from systemprompt_analytics.anomaly.levels import (
    AnomalyCheck,
    AnomalyLevel,
    DetectorOutput,
    clamp_score,
    z_to_score,
)

DETECTOR = "trend"
WARNING_RATIO = 2.0
CRITICAL_RATIO = 3.0
MIN_SAMPLES = 2


def trend_ratio(values: Sequence[float]) -> float | None:
    """latest / mean(values), or None when there is no positive average."""
    if not values:
        return None
    average = sum(values) / len(values)
    if average <= 0.0:
        return None
    return values[-1] / average


def check_trend(
    metric: str,
    values: Sequence[float],
    *,
    min_samples: int = MIN_SAMPLES,
    subject: str = "platform",
) -> AnomalyCheck | None:
    """The trend verdict for the window ``values`` (oldest first), or None when nothing is up."""
    if len(values) < max(min_samples, 1):
        return None
    ratio = trend_ratio(values)
    if ratio is None or ratio <= WARNING_RATIO:
        return None
    average = sum(values) / len(values)
    latest = values[-1]
    where = "" if subject == "platform" else f" for {subject}"
    if ratio > CRITICAL_RATIO:
        level = AnomalyLevel.CRITICAL
        message = f"Spike: {metric}{where} jumped {ratio:.1f}x above average ({latest:.2f})"
    else:
        level = AnomalyLevel.WARNING
        message = f"Elevated: {metric}{where} is {ratio:.1f}x above average ({latest:.2f})"
    return AnomalyCheck(
        metric=metric,
        value=latest,
        level=level,
        detector=DETECTOR,
        message=message,
        baseline=average,
        score=_ratio_score(ratio),
        subject=subject,
    )


@dataclass(frozen=True, slots=True)
class TrendConfig:
    window: int = 60
    min_samples: int = MIN_SAMPLES

    def __post_init__(self) -> None:
        if self.window < 1 or self.min_samples < 1:
            raise ValueError("window and min_samples must be at least 1")


class TrendDetector:
    """The trend rule over a stream: O(window) per point."""

    name = DETECTOR

    def __init__(self, config: TrendConfig | None = None) -> None:
        self.config = config or TrendConfig()
        self._values: deque[float] = deque(maxlen=self.config.window)

    def update(self, timestamp: float, value: float, volume: float | None = None) -> DetectorOutput:
        self._values.append(value)
        average = math.fsum(self._values) / len(self._values)
        if len(self._values) < self.config.min_samples or average <= 0.0:
            return DetectorOutput(0.0, AnomalyLevel.NORMAL, average)
        ratio = value / average
        return DetectorOutput(_ratio_score(ratio), _ratio_level(ratio), average)


def _ratio_level(ratio: float) -> AnomalyLevel:
    if ratio > CRITICAL_RATIO:
        return AnomalyLevel.CRITICAL
    if ratio > WARNING_RATIO:
        return AnomalyLevel.WARNING
    return AnomalyLevel.NORMAL


def _ratio_score(ratio: float) -> float:
    """0.5 at twice the average, 0.9 at three times (the rule's boundaries)."""
    score = z_to_score(ratio - 1.0, WARNING_RATIO - 1.0, CRITICAL_RATIO - 1.0)
    return clamp_score(score, _ratio_level(ratio))
