"""The calibration middleware's work: arithmetic and nothing else (see ``bench.apps``)."""

from __future__ import annotations

SPIN_ITERATIONS = 400


def spin(iterations: int = SPIN_ITERATIONS) -> int:
    total = 0
    for number in range(iterations):
        total += number
    return total
