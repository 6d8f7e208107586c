"""The seeded random source every demo module draws from, with the helpers they share."""

from __future__ import annotations

import math
import random
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class DemoRandom(random.Random):
    """``random.Random`` plus id and distribution helpers.

    Each generation phase gets its own stream (:meth:`stream`), so adding draws to one phase
    does not shift the data of the others.
    """

    def __init__(self, seed: int | str) -> None:
        super().__init__(seed)
        self._seed_label = str(seed)

    def stream(self, name: str) -> DemoRandom:
        """An independent generator derived from this one's seed and ``name``."""
        return DemoRandom(f"{self._seed_label}/{name}")

    def uuid_hex(self) -> str:
        return uuid.UUID(int=self.getrandbits(128), version=4).hex

    def uuid_str(self) -> str:
        return str(uuid.UUID(int=self.getrandbits(128), version=4))

    def hex64(self) -> str:
        """64 hex digits, the shape of a SHA-256 based visitor or fingerprint hash."""
        return f"{self.getrandbits(256):064x}"

    def chance(self, probability: float) -> bool:
        return self.random() < probability

    def lognormal_median(self, median: float, sigma: float) -> float:
        """A log-normal draw parameterised by its median (``exp(mu)``) and sigma."""
        return median * math.exp(self.gauss(0.0, sigma))

    def between(self, low: int, high: int) -> int:
        """Uniform integer in ``[low, high]``."""
        return self.randint(low, high)

    def geometric(self, mean: float, low: int = 1, high: int | None = None) -> int:
        """A geometric count with the given mean (at least ``low``), optionally capped."""
        p = 1.0 / max(mean - low + 1.0, 1.0)
        count = low
        if p < 1.0:
            count += int(math.log(1.0 - self.random()) / math.log(1.0 - p))
        return count if high is None else min(count, high)


class Weighted(Generic[T]):
    """A fixed weighted choice, precomputed for fast repeated draws."""

    __slots__ = ("_cumulative", "_items", "_total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        if not pairs:
            raise ValueError("a weighted choice needs at least one item")
        self._items = [item for item, _ in pairs]
        self._cumulative = list(accumulate(weight for _, weight in pairs))
        self._total = self._cumulative[-1]
        if self._total <= 0:
            raise ValueError("weights must add up to more than zero")

    def pick(self, rng: random.Random) -> T:
        index = bisect_right(self._cumulative, rng.random() * self._total)
        return self._items[min(index, len(self._items) - 1)]

    @property
    def items(self) -> list[T]:
        return list(self._items)
