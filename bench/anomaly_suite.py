"""A synthetic, labelled suite of metric series for judging anomaly detectors.

The public labelled benchmark of real metric series (NAB) cannot be downloaded here, so this
suite imitates its shapes — server CPU, latency, request counts with daily and weekly
seasonality, road-traffic sensors, social-media volumes, machine temperatures — with injected
spikes, dips, level shifts, slow drifts and off-hours surges. Every series is generated from a
seed, so a run is reproducible.

Scoring, NAB-like: each injected anomaly has a labelled window (its start and the points just
after it). A window is *detected* when the detector raises a non-normal level inside it; the
*delay* is the number of points from the window's start to that first alarm. Alarmed points
are grouped into *alarm events* (runs, merged across gaps shorter than ``MERGE_GAP`` points);
an event that starts outside every window is a *false alarm*. Precision = events starting in a
window / all events; recall = detected windows / all windows. As in NAB, the first 15% of each
series is a probationary period: the detector is learning, and its alarms there are not scored
(no anomaly is injected there).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from systemprompt_analytics.anomaly.levels import AnomalyLevel
from systemprompt_analytics.anomaly.registry import StreamingDetector

START = 1_767_571_200.0  # 2026-01-05 00:00 UTC, a Monday
MINUTE = 60.0
HOUR = 3600.0
DAY = 86_400.0
MERGE_GAP = 6
PROBATION = 0.15  # as in NAB: alarms in the first 15% of a series (still learning) are not scored


@dataclass(frozen=True, slots=True)
class Window:
    start: int
    end: int  # exclusive
    kind: str


@dataclass
class LabelledSeries:
    shape: str
    seed: int
    timestamps: list[float]
    values: list[float]
    windows: list[Window] = field(default_factory=list)


# -- shapes ----------------------------------------------------------------------------------


def _poisson(rng: random.Random, mean: float) -> float:
    if mean <= 0:
        return 0.0
    if mean > 50:  # normal approximation, rounded to a count
        return float(max(0, round(rng.gauss(mean, math.sqrt(mean)))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return float(k)


def _daily(t: float, phase_hours: float = 14.0) -> float:
    """A smooth daily cycle in [-1, 1], peaking at ``phase_hours`` UTC."""
    return math.cos(2 * math.pi * ((t % DAY) / DAY - phase_hours / 24))


def _weekend(t: float) -> bool:
    return int(((t - START) // DAY) % 7) >= 5


def _times(points: int, step: float) -> list[float]:
    return [START + i * step for i in range(points)]


def _pick(rng: random.Random, points: int, count: int, margin: int, gap: int) -> list[int]:
    """``count`` anomaly starts, at least ``gap`` points apart, clear of the first ``margin``."""
    while True:
        starts = sorted(rng.randrange(margin, points - gap) for _ in range(count))
        if all(b - a >= gap for a, b in itertools.pairwise(starts)):
            return starts


def server_cpu(seed: int) -> LabelledSeries:
    """5-minute CPU %, AR(1) noise on a mild daily cycle: a spike, a dip, a level shift."""
    rng = random.Random(seed)
    times = _times(14 * 288, 5 * MINUTE)
    noise, values = 0.0, []
    for t in times:
        noise = 0.7 * noise + rng.gauss(0, 2.5)
        values.append(28 + 8 * _daily(t) + noise)
    spike, dip, shift = _pick(rng, len(times), 3, 4 * 288, 400)
    for i in range(spike, spike + 3):
        values[i] = 85 + rng.gauss(0, 3)
    for i in range(dip, dip + 12):
        values[i] = 2 + abs(rng.gauss(0, 0.5))
    for i in range(shift, len(values)):
        values[i] += 30
    values = [min(100.0, max(0.0, v)) for v in values]
    windows = [Window(spike, spike + 24, "spike"), Window(dip, dip + 36, "dip"),
               Window(shift, shift + 96, "level shift")]  # fmt: skip
    return LabelledSeries("server CPU", seed, times, values, windows)


def latency(seed: int) -> LabelledSeries:
    """1-minute p50 latency (ms), log-normal noise, daily load: a burst and a slow drift."""
    rng = random.Random(seed)
    times = _times(7 * 1440, MINUTE)
    values = [120 * (1 + 0.2 * _daily(t)) * math.exp(rng.gauss(0, 0.15)) for t in times]
    burst, drift = _pick(rng, len(times), 2, 3 * 1440, 1500)
    for i in range(burst, burst + 15):
        values[i] *= 4
    ramp = 360
    for i in range(drift, len(values)):
        values[i] *= 1 + 1.5 * min(1.0, (i - drift) / ramp)
    windows = [Window(burst, burst + 40, "spike"), Window(drift, drift + ramp, "drift")]
    return LabelledSeries("latency", seed, times, values, windows)


def request_counts(seed: int) -> LabelledSeries:
    """Requests per minute (Poisson) with a daily and a weekly cycle over three weeks: a spike,
    an outage and an off-hours surge that only the seasonal profile can call unusual."""
    rng = random.Random(seed)
    times = _times(21 * 1440, MINUTE)
    rates = []
    for t in times:
        rate = 40 * (1 + 0.6 * _daily(t)) * (0.45 if _weekend(t) else 1.0)
        rates.append(rate)
    day = 1440
    spike_day, outage_day, surge_day = rng.sample(range(15, 21), 3)
    spike = spike_day * day + rng.randrange(9 * 60, 18 * 60)
    outage = outage_day * day + rng.randrange(9 * 60, 18 * 60)
    surge = surge_day * day + 2 * 60 + rng.randrange(0, 120)
    for i in range(spike, spike + 10):
        rates[i] *= 3
    for i in range(outage, outage + 20):
        rates[i] *= 0.05
    for i in range(surge, surge + 60):
        rates[i] = 40 * 1.6 * (0.45 if _weekend(times[i]) else 1.0)
    values = [_poisson(rng, rate) for rate in rates]
    windows = [Window(spike, spike + 30, "spike"), Window(outage, outage + 40, "dip"),
               Window(surge, surge + 60, "off-hours surge")]  # fmt: skip
    return LabelledSeries("request counts", seed, times, values, windows)


def traffic_sensor(seed: int) -> LabelledSeries:
    """5-minute vehicle counts with morning and evening rush hours on weekdays (four weeks):
    a road closure and an event crowd."""
    rng = random.Random(seed)
    times = _times(28 * 288, 5 * MINUTE)

    def rate(t: float) -> float:
        hour = (t % DAY) / HOUR
        night = 8 + 25 * math.exp(-(((hour - 13) / 5) ** 2))
        if _weekend(t):
            return night
        rush = 90 * math.exp(-(((hour - 8) / 1.2) ** 2)) + 80 * math.exp(
            -(((hour - 17.5) / 1.5) ** 2)
        )
        return night + rush

    rates = [rate(t) for t in times]
    closure_day, event_day = rng.sample([d for d in range(16, 28) if d % 7 < 5], 2)
    closure = closure_day * 288 + rng.randrange(7 * 12, 16 * 12)
    event = event_day * 288 + 20 * 12 + rng.randrange(0, 24)
    for i in range(closure, closure + 24):
        rates[i] *= 0.05
    for i in range(event, event + 12):
        rates[i] += 120
    values = [_poisson(rng, r) for r in rates]
    windows = [Window(closure, closure + 36, "dip"), Window(event, event + 24, "spike")]
    return LabelledSeries("traffic sensor", seed, times, values, windows)


def social_volume(seed: int) -> LabelledSeries:
    """5-minute mention counts, over-dispersed (gamma-Poisson) on a daily cycle: a viral burst
    decaying over two hours, then a lasting doubling."""
    rng = random.Random(seed)
    times = _times(14 * 288, 5 * MINUTE)
    rates = [20 * (1 + 0.5 * _daily(t, 19)) for t in times]
    burst, shift = _pick(rng, len(times), 2, 4 * 288, 600)
    for i in range(burst, min(len(rates), burst + 24)):
        rates[i] *= 1 + 8 * math.exp(-(i - burst) / 8)
    for i in range(shift, len(rates)):
        rates[i] *= 2.2
    values = [_poisson(rng, rng.gammavariate(8, r / 8)) for r in rates]
    windows = [Window(burst, burst + 24, "spike"), Window(shift, shift + 96, "level shift")]
    return LabelledSeries("social volume", seed, times, values, windows)


def machine_temperature(seed: int) -> LabelledSeries:
    """5-minute temperature wandering slowly (AR(1), φ = 0.98): a slow climb over half a day
    ending in a shutdown drop, and a sensor spike."""
    rng = random.Random(seed)
    times = _times(14 * 288, 5 * MINUTE)
    state, values = 0.0, []
    for _ in times:
        state = 0.98 * state + rng.gauss(0, 0.4)
        values.append(75 + state)
    spike, drift = _pick(rng, len(times), 2, 4 * 288, 500)
    drift = min(drift, len(times) - 250)
    values[spike] += 12
    ramp = 144
    for i in range(drift, len(values)):
        values[i] += 15 * min(1.0, (i - drift) / ramp)
    drop = drift + ramp
    for i in range(drop, min(len(values), drop + 48)):
        values[i] = 30 + rng.gauss(0, 0.5)
    for i in range(drop + 48, len(values)):
        values[i] -= 15
    windows = [Window(spike, spike + 12, "spike"), Window(drift, drift + ramp, "drift"),
               Window(drop, drop + 48, "dip")]  # fmt: skip
    return LabelledSeries("machine temperature", seed, times, values, windows)


SHAPES: tuple[Callable[[int], LabelledSeries], ...] = (
    server_cpu,
    latency,
    request_counts,
    traffic_sensor,
    social_volume,
    machine_temperature,
)


def suite(seeds: Iterable[int] = (1, 2, 3)) -> list[LabelledSeries]:
    return [shape(seed) for shape in SHAPES for seed in seeds]


# -- scoring ---------------------------------------------------------------------------------


@dataclass
class Scorecard:
    windows: int = 0
    detected: int = 0
    events: int = 0
    true_events: int = 0
    delays: list[int] = field(default_factory=list)
    points: int = 0

    @property
    def false_alarms(self) -> int:
        return self.events - self.true_events

    @property
    def precision(self) -> float:
        return self.true_events / self.events if self.events else 1.0

    @property
    def recall(self) -> float:
        return self.detected / self.windows if self.windows else 1.0

    @property
    def mean_delay(self) -> float | None:
        return sum(self.delays) / len(self.delays) if self.delays else None

    def add(self, other: Scorecard) -> None:
        self.windows += other.windows
        self.detected += other.detected
        self.events += other.events
        self.true_events += other.true_events
        self.delays += other.delays
        self.points += other.points


def alarm_events(alarmed: Sequence[bool], merge_gap: int = MERGE_GAP) -> list[int]:
    """Start indices of alarm events: runs of alarmed points, merged across short gaps."""
    starts: list[int] = []
    last = -(10**9)
    for index, flag in enumerate(alarmed):
        if not flag:
            continue
        if index - last > merge_gap:
            starts.append(index)
        last = index
    return starts


def score_series(series: LabelledSeries, alarmed: Sequence[bool]) -> Scorecard:
    card = Scorecard(windows=len(series.windows), points=len(alarmed))
    for window in series.windows:
        first = next((i for i in range(window.start, window.end) if alarmed[i]), None)
        if first is not None:
            card.detected += 1
            card.delays.append(first - window.start)
    probation = int(len(alarmed) * PROBATION)
    for start in alarm_events(alarmed):
        if start < probation:
            continue
        card.events += 1
        if any(w.start <= start < w.end for w in series.windows):
            card.true_events += 1
    return card


def run_detector(detector: StreamingDetector, series: LabelledSeries) -> list[bool]:
    """Stream the series through the detector; True where it raised warning or critical."""
    return [
        detector.update(t, v).level is not AnomalyLevel.NORMAL
        for t, v in zip(series.timestamps, series.values, strict=True)
    ]


def evaluate(
    make: Callable[[], StreamingDetector], series_list: Iterable[LabelledSeries]
) -> dict[str, Scorecard]:
    """Scorecards per shape (a fresh detector per series)."""
    cards: dict[str, Scorecard] = {}
    for series in series_list:
        card = score_series(series, run_detector(make(), series))
        cards.setdefault(series.shape, Scorecard()).add(card)
    return cards
