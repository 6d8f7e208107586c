"""The generated time window and when activity happens in it (daily and weekly rhythm).

Inside the generator times are integer milliseconds since the window start; :class:`Window`
turns them into aware UTC datetimes for the rows. The window is half-open: ``[0, length_ms)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from systemprompt_analytics.demo.rng import DemoRandom, Weighted

MS_PER_MINUTE = 60_000
MS_PER_HOUR = 3_600_000
MS_PER_DAY = 86_400_000

# Relative traffic per UTC hour for a global audience: quiet night, afternoon peak.
HUMAN_HOURLY = (
    0.30, 0.22, 0.17, 0.14, 0.14, 0.18, 0.27, 0.40, 0.55, 0.68, 0.78, 0.86,
    0.92, 0.97, 1.00, 1.00, 0.97, 0.91, 0.83, 0.74, 0.64, 0.54, 0.45, 0.37,
)  # fmt: skip
# Developers at work: the CLI follows office hours more tightly.
WORKDAY_HOURLY = (
    0.10, 0.08, 0.06, 0.05, 0.05, 0.08, 0.15, 0.35, 0.60, 0.80, 0.90, 0.95,
    0.95, 1.00, 1.00, 0.98, 0.95, 0.85, 0.65, 0.45, 0.32, 0.24, 0.18, 0.13,
)  # fmt: skip
FLAT_HOURLY = (1.0,) * 24


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def ending_at(cls, end: datetime, days: int) -> Window:
        end = end.astimezone(UTC)
        return cls(start=end - timedelta(days=days), end=end)

    @property
    def length_ms(self) -> int:
        return int((self.end - self.start) / timedelta(milliseconds=1))

    def at(self, ms: int) -> datetime:
        return self.start + timedelta(0, 0, 0, ms)  # positional milliseconds: faster

    def ms_of(self, moment: datetime) -> int:
        return int((moment - self.start) / timedelta(milliseconds=1))


class Rhythm:
    """Draws moments in the window following an hourly curve, a weekend factor and growth.

    ``growth`` is the traffic increase from the first to the last hour of the window, so the
    comparison with a previous period shows a plausible upward trend.
    """

    def __init__(
        self,
        window: Window,
        hourly: tuple[float, ...],
        weekend_factor: float,
        growth: float = 0.0,
    ) -> None:
        self._window = window
        slots: list[tuple[tuple[int, int], float]] = []
        first_hour = window.start.replace(minute=0, second=0, microsecond=0)
        length = window.length_ms
        hour = first_hour
        while hour < window.end:
            begin = max(window.ms_of(hour), 0)
            finish = min(window.ms_of(hour + timedelta(hours=1)), length)
            if finish > begin:
                weekday_factor = weekend_factor if hour.weekday() >= 5 else 1.0
                trend = 1.0 + growth * (begin / length)
                weight = hourly[hour.hour] * weekday_factor * trend * (finish - begin)
                slots.append(((begin, finish), weight))
            hour += timedelta(hours=1)
        self._slots = Weighted(slots)

    def draw(self, rng: DemoRandom) -> int:
        begin, finish = self._slots.pick(rng)
        return rng.randrange(begin, finish)
