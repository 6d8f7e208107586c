"""Round axis ticks: 0 up to a "nice" top (1, 2, 2.5 or 5 times a power of ten per step)."""

from __future__ import annotations

import math
import sys

NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_step(raw: float) -> float:
    """The smallest nice number (1, 2, 2.5, 5 × 10^k) at least ``raw`` (> 0)."""
    exponent = math.floor(math.log10(raw))
    base = 10.0**exponent
    for multiple in NICE_STEPS:
        candidate = multiple * base
        if candidate >= raw * (1 - 1e-12):
            return candidate
    return 10.0 * base  # pragma: no cover - NICE_STEPS ends at 10


def axis_ticks(maximum: float, target: int = 4, integer: bool = False) -> list[float]:
    """Ticks from 0 to a nice top covering ``maximum``: at most ``target`` steps, and whole
    steps when ``integer`` (counts). An empty or all-zero series gets the axis 0–1."""
    if not math.isfinite(maximum) or maximum / max(1, target) < sys.float_info.min:
        return [0.0, 1.0]
    step = nice_step(maximum / target)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    count = max(1, math.ceil(maximum / step - 1e-9))
    return [float(f"{index * step:.12g}") for index in range(count + 1)]  # no 0.30000000000000004
