"""The vocabulary shared by every anomaly detector: levels, one check's result, the score scale."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class AnomalyLevel(StrEnum):
    NORMAL = "normal"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Orders the levels: normal 0, warning 1, critical 2."""
        return _RANKS[self]


_RANKS = {AnomalyLevel.NORMAL: 0, AnomalyLevel.WARNING: 1, AnomalyLevel.CRITICAL: 2}


class Direction(StrEnum):
    """Which deviations count: above the baseline, below it, or both."""

    UP = "up"
    DOWN = "down"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class AnomalyCheck:
    """What one detector concluded about one value of one metric (and subject)."""

    metric: str
    value: float
    level: AnomalyLevel
    detector: str
    message: str
    baseline: float | None = None
    score: float = 0.0
    subject: str = "platform"

    @property
    def is_anomalous(self) -> bool:
        return self.level is not AnomalyLevel.NORMAL


# Scores are a monotone map of "how many robust standard deviations away" (z) into [0, 1]:
# score = 1 / (1 + (z_warning / z) ** p), with p chosen so the critical z lands on 0.9. So
# score 0.5 is exactly the warning boundary and 0.9 exactly the critical one, whatever the
# detector's z thresholds are; z = 0 scores 0 and the score approaches 1 as z grows.
WARNING_SCORE = 0.5
CRITICAL_SCORE = 0.9


def z_to_score(z: float, z_warning: float, z_critical: float) -> float:
    """Map a one-sided deviation ``z`` (≥ 0) to a score in [0, 1]; see the comment above."""
    if not z > 0.0:  # also catches NaN
        return 0.0
    if math.isinf(z):
        return 1.0
    power = math.log(CRITICAL_SCORE / (1.0 - CRITICAL_SCORE)) / math.log(z_critical / z_warning)
    ratio = z_warning / z
    if ratio <= 0.0:
        return 1.0
    try:
        return 1.0 / (1.0 + math.pow(ratio, power))
    except OverflowError:
        return 0.0


def z_level(z: float, z_warning: float, z_critical: float) -> tuple[float, AnomalyLevel]:
    """Score and level of a deviation ``z``, the level decided on ``z`` itself."""
    if z >= z_critical:
        level = AnomalyLevel.CRITICAL
    elif z >= z_warning:
        level = AnomalyLevel.WARNING
    else:
        level = AnomalyLevel.NORMAL
    return clamp_score(z_to_score(z, z_warning, z_critical), level), level


def clamp_score(score: float, level: AnomalyLevel) -> float:
    """Keep a score inside its level's band ([0, 0.5), [0.5, 0.9), [0.9, 1]) so rounding at a
    boundary never makes the score and the level disagree."""
    if level is AnomalyLevel.CRITICAL:
        return min(1.0, max(score, CRITICAL_SCORE))
    if level is AnomalyLevel.WARNING:
        return min(max(score, WARNING_SCORE), math.nextafter(CRITICAL_SCORE, 0.0))
    return min(max(score, 0.0), math.nextafter(WARNING_SCORE, 0.0))


def score_level(score: float) -> AnomalyLevel:
    """The level a score stands for: ≥ 0.9 critical, ≥ 0.5 warning, else normal."""
    if score >= CRITICAL_SCORE:
        return AnomalyLevel.CRITICAL
    if score >= WARNING_SCORE:
        return AnomalyLevel.WARNING
    return AnomalyLevel.NORMAL


@dataclass(frozen=True, slots=True)
class DetectorOutput:
    """One streaming detector's verdict on one point: score in [0, 1], level, and the baseline
    (what the detector expected) when it has one."""

    score: float
    level: AnomalyLevel
    baseline: float | None = None
