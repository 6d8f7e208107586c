"""The naive baseline: a rolling mean and standard deviation z-score over the last points.

Kept as the yardstick the robust detector is benchmarked against (``--detector zscore``): it is
what most hand-written monitors do, and outliers inflate its own mean and deviation.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from systemprompt_analytics.anomaly.levels import AnomalyLevel, DetectorOutput, z_level

DETECTOR = "zscore"


@dataclass(frozen=True, slots=True)
class ZScoreConfig:
    window: int = 48
    min_history: int = 24
    z_warning: float = 3.0
    z_critical: float = 6.0

    def __post_init__(self) -> None:
        if self.window < 2 or self.min_history < 2:
            raise ValueError("window and min_history must be at least 2")
        if not 0 < self.z_warning < self.z_critical:
            raise ValueError("need 0 < z_warning < z_critical")


class ZScoreDetector:
    """Two-sided rolling z-score; O(1) per point (running sums)."""

    name = DETECTOR

    def __init__(self, config: ZScoreConfig | None = None) -> None:
        self.config = config or ZScoreConfig()
        self._values: deque[float] = deque(maxlen=self.config.window)
        self._sum = 0.0
        self._squares = 0.0

    def update(self, timestamp: float, value: float, volume: float | None = None) -> DetectorOutput:
        if not math.isfinite(value):
            return DetectorOutput(0.0, AnomalyLevel.NORMAL, None)
        output = DetectorOutput(0.0, AnomalyLevel.NORMAL, None)
        count = len(self._values)
        if count >= min(self.config.min_history, self.config.window):
            mean = self._sum / count
            variance = max(self._squares / count - mean * mean, 0.0)
            deviation = math.sqrt(variance)
            z = (
                abs(value - mean) / deviation
                if deviation > 0
                else (0.0 if value == mean else math.inf)
            )
            score, level = z_level(z, self.config.z_warning, self.config.z_critical)
            output = DetectorOutput(score, level, mean)
        if count == self._values.maxlen:
            oldest = self._values[0]
            self._sum -= oldest
            self._squares -= oldest * oldest
        self._values.append(value)
        self._sum += value
        self._squares += value * value
        return output
