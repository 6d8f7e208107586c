"""The streaming detectors by name, as ``anomalies backtest --detector NAME`` takes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from systemprompt_analytics.anomaly.detector import RobustDetector
from systemprompt_analytics.anomaly.levels import DetectorOutput
from systemprompt_analytics.anomaly.trend import TrendDetector
from systemprompt_analytics.anomaly.zscore import ZScoreDetector
from systemprompt_analytics.errors import InvalidInputError


class StreamingDetector(Protocol):
    name: str

    def update(
        self, timestamp: float, value: float, volume: float | None = None
    ) -> DetectorOutput: ...


DETECTORS: dict[str, Callable[[], StreamingDetector]] = {
    "robust": RobustDetector,
    "trend": TrendDetector,
    "zscore": ZScoreDetector,
}
DEFAULT_DETECTOR = "robust"


def make_detector(name: str = DEFAULT_DETECTOR) -> StreamingDetector:
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise InvalidInputError(
            "--detector", f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}"
        ) from None
    return factory()
