"""The threshold check: a value against a metric's warning and critical thresholds.

value ≥ critical → Critical, value ≥ warning → Warning, else Normal (both edges inclusive, as
in the original crate). Thresholds are validated here, so the CLI, the API and the repository
all refuse the same things with the same messages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from systemprompt_analytics.anomaly.levels import AnomalyCheck, AnomalyLevel
from systemprompt_analytics.errors import InvalidInputError

METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DETECTOR = "threshold"


@dataclass(frozen=True, slots=True)
class Threshold:
    metric_name: str
    warning: float
    critical: float
    description: str | None = None

    def __post_init__(self) -> None:
        validate_metric_name(self.metric_name)
        for field, value in (("WARN", self.warning), ("CRIT", self.critical)):
            if not math.isfinite(value):
                raise InvalidInputError(field, f"must be a finite number, got {value!r}")
        if self.warning > self.critical:
            raise InvalidInputError(
                "WARN",
                f"the warning threshold {self.warning:g} is above the critical threshold "
                f"{self.critical:g}; warning must be at most critical",
            )


def validate_metric_name(name: str) -> str:
    if not METRIC_NAME.match(name):
        raise InvalidInputError(
            "NAME",
            f"{name!r} is not a metric name: use lower-case letters, digits and underscores, "
            "starting with a letter, at most 64 characters",
        )
    return name


def parse_threshold_value(field: str, text: str) -> float:
    """A threshold typed on the command line: a finite number."""
    try:
        value = float(text)
    except ValueError:
        raise InvalidInputError(field, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInputError(field, f"must be a finite number, got {text!r}")
    return value


def check_threshold(threshold: Threshold, value: float, subject: str = "platform") -> AnomalyCheck:
    """Normal, Warning or Critical for ``value``, with a message naming the metric and value."""
    name = threshold.metric_name
    where = "" if subject == "platform" else f" for {subject}"
    if value >= threshold.critical:
        level, limit = AnomalyLevel.CRITICAL, threshold.critical
        message = f"CRITICAL: {name}{where} = {value:.2f} reaches the critical threshold {limit:g}"
    elif value >= threshold.warning:
        level, limit = AnomalyLevel.WARNING, threshold.warning
        message = f"WARNING: {name}{where} = {value:.2f} reaches the warning threshold {limit:g}"
    else:
        level, limit = AnomalyLevel.NORMAL, threshold.warning
        message = f"{name}{where} = {value:.2f} is below the warning threshold {limit:g}"
    return AnomalyCheck(
        metric=name,
        value=value,
        level=level,
        detector=DETECTOR,
        message=message,
        baseline=limit,
        score=_score(threshold, value),
        subject=subject,
    )


def _score(threshold: Threshold, value: float) -> float:
    """0 at or below zero, 0.5 at the warning threshold, 0.9 at critical, towards 1 above."""
    if value >= threshold.critical:
        span = threshold.critical - threshold.warning or abs(threshold.critical) or 1.0
        return min(1.0, 0.9 + 0.1 * (value - threshold.critical) / span)
    if value >= threshold.warning:
        span = threshold.critical - threshold.warning
        return 0.5 + 0.4 * ((value - threshold.warning) / span if span else 0.0)
    if threshold.warning <= 0 or value <= 0:
        return 0.0
    return 0.5 * value / threshold.warning
