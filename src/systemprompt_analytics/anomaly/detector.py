"""The robust streaming detector: the default for metric series.

For each point it uses only the points before it. It keeps up to three baselines side by side:

* **none** — the values themselves;
* **hour of day** — values minus a learnt hour-of-day profile (eligible after 2 days of data);
* **hour of week** — values minus a learnt hour-of-week profile (eligible after 8 days).

Each baseline is the rolling median of its last ``window`` (deseasonalised) values, with the
rolling MAD (× 1.4826, a standard deviation for normal data) as its scale. The detector scores
with the baseline whose recent residuals have been smallest, so a series without seasonality
keeps the plain one and a seasonal series switches to its profile once it has learnt it.

A point's deviation is ``z = (value - expected) / scale`` in the chosen direction (``up`` counts
only values above the baseline, ``down`` only below, ``both`` either), mapped to a score in
[0, 1] by :func:`~systemprompt_analytics.anomaly.levels.z_to_score`: 0.5 at ``z_warning``, 0.9
at ``z_critical``. The scale has floors so that a flat stretch (MAD 0) does not turn the next
ordinary wiggle into an alarm: the series' resolution (the smallest step seen between values),
a share of the scale's long-run average, and for a rate given with its volume, one event's
worth (1 / volume).

The minimum-volume guard: with ``volume`` given (e.g. the number of requests behind an error
rate) a point below ``min_volume`` is skipped entirely (score 0, nothing learnt from it);
without it, a point whose value and expected value are both below ``min_volume`` scores 0.

Cost per point is O(window) (a sorted window, a MAD over it) for each of the three baselines.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass

from systemprompt_analytics.anomaly.levels import AnomalyLevel, DetectorOutput, Direction, z_level

DETECTOR = "robust"
MAD_TO_SIGMA = 1.4826
HOUR = 3600.0
DAY = 86_400.0
WEEK = 7 * DAY
# The Unix epoch was a Thursday: shift by three days so hour-of-week 0 is Monday 00:00 UTC.
WEEK_ORIGIN = 3 * DAY
# Profiles hold one offset per quarter hour (interpolated between them), so a sharp rush hour
# is not smeared over its hour; hourly data simply learns and reads the buckets it lands on.
PROFILE_STEP = 900.0
ANSCOMBE_ZERO = 2.0 * math.sqrt(0.375)
MEAN_ABS_TO_SIGMA = 1.2533  # sqrt(pi / 2): mean |x| to standard deviation, for normal noise
FIT_MEMORY = 1000
COUNT_SCALE_FLOOR = 0.5


@dataclass(frozen=True, slots=True)
class RobustConfig:
    """One parameter set for every series; every number configurable."""

    window: int = 48
    """Points in the rolling baseline (median and MAD)."""
    min_history: int = 24
    """Points seen before the first score; earlier points score 0."""
    z_warning: float = 5.0
    """Robust standard deviations at which a point is a warning (score 0.5) ..."""
    z_critical: float = 10.0
    """... and critical (score 0.9)."""
    direction: Direction = Direction.BOTH
    min_volume: float = 0.0
    seasonality: bool = True
    daily_after: float = 2 * DAY
    """Seconds of history before the hour-of-day profile may be used."""
    weekly_after: float = 8 * DAY
    """Seconds of history before the hour-of-week profile may be used."""
    scale_floor_share: float = 0.25
    """The scale never drops below this share of its long-run average."""
    shift_points: int = 6
    """The median of this many latest values is compared with the baseline (sustained shifts)."""
    shift_weight: float = 0.6
    """Shift evidence (a median of few values against its own running size) is noisier than a
    point's deviation; it counts at this weight."""
    count_transform: bool = True
    """Score series of whole non-negative numbers on a square-root scale (see _warm_up)."""
    switch_margin: float = 0.85
    """Another baseline takes over when its residuals are below this share of the current's."""

    def __post_init__(self) -> None:
        if self.window < 3:
            raise ValueError("window must be at least 3")
        if not self.min_history >= 1:
            raise ValueError("min_history must be at least 1")
        if not 0 < self.z_warning < self.z_critical:
            raise ValueError("need 0 < z_warning < z_critical")
        if self.min_volume < 0:
            raise ValueError("min_volume must not be negative")
        if not 0 < self.switch_margin <= 1:
            raise ValueError("switch_margin must be in (0, 1]")


@dataclass(slots=True)
class _Profile:
    """A seasonal profile: one offset per quarter hour of the period, linearly interpolated
    between bucket centres and learnt by a clipped running average (memory of about three
    periods)."""

    period: float
    offsets: list[float]
    weights: list[float]
    spread: float = 0.0  # running mean of |error|, to clip outliers out of the learning

    @classmethod
    def of(cls, period: float) -> _Profile:
        buckets = int(period // PROFILE_STEP)
        return cls(period, [0.0] * buckets, [0.0] * buckets)

    def _position(self, timestamp: float) -> tuple[int, int, float]:
        steps = ((timestamp + WEEK_ORIGIN) % self.period) / PROFILE_STEP - 0.5
        low = math.floor(steps)
        frac = steps - low
        size = len(self.offsets)
        return low % size, (low + 1) % size, frac

    def offset(self, timestamp: float) -> float:
        low, high, frac = self._position(timestamp)
        return self.offsets[low] * (1.0 - frac) + self.offsets[high] * frac

    def learn(self, timestamp: float, target: float, points_per_hour: float) -> None:
        low, high, frac = self._position(timestamp)
        error = target - (self.offsets[low] * (1.0 - frac) + self.offsets[high] * frac)
        if self.spread > 0.0:
            limit = 3.0 * self.spread
            error = max(-limit, min(limit, error))
        cap = max(3.0, 3.0 * points_per_hour * PROFILE_STEP / HOUR)
        for bucket, weight in ((low, 1.0 - frac), (high, frac)):
            if weight <= 0.0:
                continue
            self.weights[bucket] += weight
            rate = weight / min(self.weights[bucket], cap)
            self.offsets[bucket] += rate * error
        self.spread += (abs(error) - self.spread) / min(self.weights[low] + 1.0, 1000.0)


class _RunningAbs:
    """Running mean of |x| with each update clipped at ``clip`` × the mean, so the anomalies it
    is meant to measure against do not inflate it; memory about ``memory`` updates."""

    __slots__ = ("count", "mean", "memory")

    def __init__(self, memory: int) -> None:
        self.count = 0
        self.mean = 0.0
        self.memory = memory

    def update(self, value: float, clip: float = 4.0) -> None:
        size = abs(value)
        if self.count and self.mean > 0.0:
            size = min(size, clip * self.mean)
        self.count += 1
        self.mean += (size - self.mean) / min(self.count, self.memory)


@dataclass(frozen=True, slots=True)
class _Deviation:
    """How the newest (deseasonalised) value stands against one baseline's past."""

    center: float
    point: float  # value - center, in scales
    shift: float  # median of the last few values - center, in its usual size
    drift: float  # center - center a window ago, in its usual size


class _Baseline:
    """One candidate baseline: a rolling window of (deseasonalised) values with its median and
    MAD, the last few values (for sustained shifts) and past medians (for drifts)."""

    def __init__(self, size: int, recent: int) -> None:
        self.size = size
        self.values: deque[float] = deque()
        self.ordered: list[float] = []
        self.recent: deque[float] = deque(maxlen=recent)
        self.centers: deque[float] = deque(maxlen=size)
        self.raw_scale = _RunningAbs(size)  # steadies the window's MAD
        self.long_scale = _RunningAbs(2000)  # the scale's long-run level, for its floor
        self.shift_size = _RunningAbs(1000)
        self.drift_size = _RunningAbs(1000)
        self.fit = _RunningAbs(FIT_MEMORY)  # |point residual|: how well this baseline predicts

    def ready(self, minimum: int) -> bool:
        return len(self.values) >= minimum

    def median(self) -> float:
        ordered = self.ordered
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return 0.5 * (ordered[middle - 1] + ordered[middle])

    def mad(self, center: float) -> float:
        deviations = sorted([abs(value - center) for value in self.ordered])
        middle = len(deviations) // 2
        if len(deviations) % 2:
            return deviations[middle]
        return 0.5 * (deviations[middle - 1] + deviations[middle])

    def deviation(self, value: float, floor: float, floor_share: float) -> _Deviation:
        """Compare ``value`` with this baseline's past, and learn the sizes of deviations."""
        center = self.median()
        raw = MAD_TO_SIGMA * self.mad(center)
        self.raw_scale.update(raw, clip=math.inf)
        self.long_scale.update(raw, clip=math.inf)
        # A MAD over a short window is itself noisy: the larger of it and its recent average
        # keeps an unusually calm stretch from making ordinary noise look anomalous.
        scale = max(raw, self.raw_scale.mean, floor_share * self.long_scale.mean, floor)
        point = (value - center) / scale
        recent = sorted([*self.recent, value])
        middle = len(recent) // 2
        short = recent[middle] if len(recent) % 2 else 0.5 * (recent[middle - 1] + recent[middle])
        # Floors: what a median of the latest few (or a window's median, a window apart)
        # would vary by if the points were independent, at the point scale.
        shift_floor = scale * MEAN_ABS_TO_SIGMA / math.sqrt(len(recent))
        shift = self._relative(short - center, self.shift_size, shift_floor)
        drift = 0.0
        if len(self.centers) == self.centers.maxlen:
            drift_floor = scale * MEAN_ABS_TO_SIGMA * math.sqrt(2.0 / len(self.values))
            drift = self._relative(center - self.centers[0], self.drift_size, drift_floor)
        self.fit.update(value - center)
        self.centers.append(center)
        return _Deviation(center, point, shift, drift)

    def _relative(self, change: float, usual: _RunningAbs, floor: float) -> float:
        """``change`` in units of its usual size (× 1.2533: a standard deviation for normal
        noise), never smaller than ``floor``; 0 until a window's worth of changes was seen."""
        unit = max(MEAN_ABS_TO_SIGMA * usual.mean, floor)
        relative = change / unit if usual.count >= self.size and unit > 0.0 else 0.0
        usual.update(change)
        return relative

    def push(self, value: float) -> None:
        if len(self.values) == self.size:
            oldest = self.values.popleft()
            del self.ordered[bisect.bisect_left(self.ordered, oldest)]
        self.values.append(value)
        bisect.insort(self.ordered, value)
        self.recent.append(value)


class RobustDetector:
    """Streaming robust anomaly detector; see the module docstring."""

    name = DETECTOR

    def __init__(self, config: RobustConfig | None = None) -> None:
        self.config = config or RobustConfig()
        self._profiles: list[_Profile | None] = [None]
        if self.config.seasonality:
            self._profiles += [_Profile.of(DAY), _Profile.of(WEEK)]
        self._baselines = [
            _Baseline(self.config.window, self.config.shift_points) for _ in self._profiles
        ]
        self._active = 0
        self._first: float | None = None
        self._last_time: float | None = None
        self._last_value: float | None = None
        self._intervals: list[float] = []
        self._interval = 60.0
        self._resolution = math.inf
        self._level: float | None = None
        self._level_spread = 0.0
        self._counts: bool | None = None  # decided after the first min_history points
        self._warmup: list[tuple[float, float, float | None]] = []
        self.points = 0

    @property
    def seasonality(self) -> str:
        """The baseline in use: ``none``, ``hour_of_day`` or ``hour_of_week``."""
        return ("none", "hour_of_day", "hour_of_week")[self._active]

    @property
    def counts(self) -> bool:
        """Whether the series was taken for counts (and is scored on a square-root scale)."""
        return bool(self._counts)

    def update(self, timestamp: float, value: float, volume: float | None = None) -> DetectorOutput:
        """Score ``value`` at ``timestamp`` (epoch seconds, non-decreasing) against the past,
        then learn from it."""
        config = self.config
        if not math.isfinite(value) or (volume is not None and volume < config.min_volume):
            return QUIET
        self.points += 1
        if self._counts is None:
            self._warm_up(timestamp, value, volume)
            return QUIET
        return self._step(timestamp, value, volume)

    def _warm_up(self, timestamp: float, value: float, volume: float | None) -> None:
        """Collect the first points, then decide whether the series is counts: non-negative
        whole numbers throughout. Counts are scored as 2·√(x + 3/8) (Anscombe), on which a
        Poisson count's noise is the same at every level, so a busy hour's ordinary noise is
        not an anomaly against a quiet hour's scale."""
        self._warmup.append((timestamp, value, volume))
        if len(self._warmup) < self.config.min_history:
            return
        self._counts = self.config.count_transform and all(
            v >= 0.0 and v == math.floor(v) for _, v, _ in self._warmup
        )
        for moment, raw, weight in self._warmup:
            self._step(moment, raw, weight)
        self._warmup = []

    def _step(self, timestamp: float, raw: float, volume: float | None) -> DetectorOutput:
        value = self._forward(raw)
        points_per_hour = HOUR / self._interval if self._interval > 0 else 60.0
        floor = self._resolution if math.isfinite(self._resolution) else 0.0
        if self._counts:
            # Poisson noise is 1 on the Anscombe scale; no count series is taken for less
            # than half as noisy, so a count that never moved may still move by one.
            floor = max(floor, COUNT_SCALE_FLOOR)
        if volume is not None and volume > 0.0 and not self._counts:
            # A rate over ``volume`` events moves in steps of 1 / volume: a rate that is
            # usually 0 must be off by several events, not by one, to be an anomaly.
            floor = max(floor, 1.0 / volume)
        floor = max(floor, 1e-9 * max(abs(value), 1.0))
        ready = min(self.config.min_history, self.config.window)
        level = self._update_level(value, points_per_hour)
        output = QUIET
        for index, (profile, baseline) in enumerate(
            zip(self._profiles, self._baselines, strict=True)
        ):
            season = profile.offset(timestamp) if profile is not None else 0.0
            deseasonalised = value - season
            if baseline.ready(ready):
                deviation = baseline.deviation(deseasonalised, floor, self.config.scale_floor_share)
                if index == self._active:
                    output = self._verdict(raw, deviation, season, volume is not None)
            baseline.push(deseasonalised)
            if profile is not None:
                profile.learn(timestamp, value - level, points_per_hour)
        self._observe(timestamp, value)
        self._choose_baseline(timestamp)
        return output

    def _verdict(
        self, raw: float, deviation: _Deviation, season: float, by_volume: bool
    ) -> DetectorOutput:
        config = self.config
        expected = self._inverse(deviation.center + season)
        if not by_volume and max(raw, expected) < config.min_volume:
            return DetectorOutput(0.0, AnomalyLevel.NORMAL, expected)
        direction = config.direction
        z = 0.0
        parts = (deviation.point, config.shift_weight * deviation.shift, deviation.drift)
        for part in parts:
            if direction is Direction.UP:
                part = max(part, 0.0)
            elif direction is Direction.DOWN:
                part = max(-part, 0.0)
            z = max(z, abs(part))
        score, level = z_level(z, config.z_warning, config.z_critical)
        return DetectorOutput(score, level, expected)

    # -- transforms ----------------------------------------------------------------------------

    def _forward(self, value: float) -> float:
        if not self._counts:
            return value
        if value >= 0.0:
            return 2.0 * math.sqrt(value + 0.375)
        return ANSCOMBE_ZERO + value / math.sqrt(0.375)  # continued linearly below zero

    def _inverse(self, transformed: float) -> float:
        if not self._counts:
            return transformed
        if transformed >= ANSCOMBE_ZERO:
            return (transformed / 2.0) ** 2 - 0.375
        return (transformed - ANSCOMBE_ZERO) * math.sqrt(0.375)

    # -- learning ------------------------------------------------------------------------------

    def _observe(self, timestamp: float, value: float) -> None:
        """Track the sampling interval (median of the first intervals) and the resolution
        (the smallest step between consecutive values, a floor for the scale)."""
        if self._first is None:
            self._first = timestamp
        last = self._last_time
        if last is not None and timestamp > last and len(self._intervals) < 64:
            self._intervals.append(timestamp - last)
            self._interval = sorted(self._intervals)[len(self._intervals) // 2]
        if self._last_value is not None and value != self._last_value:
            self._resolution = min(self._resolution, abs(value - self._last_value))
        self._last_time = timestamp
        self._last_value = value

    def _update_level(self, value: float, points_per_hour: float) -> float:
        """A slow, clipped running level (memory about a day) that profiles are learnt against."""
        if self._level is None:
            self._level = value
            return value
        rate = 1.0 / max(16.0, min(24.0 * points_per_hour, 10_000.0))
        error = value - self._level
        if self._level_spread > 0.0:
            error = max(-3.0 * self._level_spread, min(3.0 * self._level_spread, error))
        self._level += rate * error
        self._level_spread += rate * (abs(error) - self._level_spread)
        return self._level

    def _choose_baseline(self, timestamp: float) -> None:
        """Switch to the eligible baseline with clearly the smallest recent residuals."""
        if self._first is None or len(self._baselines) == 1:
            return
        span = timestamp - self._first
        eligible = [0]
        if span >= self.config.daily_after:
            eligible.append(1)
        if span >= self.config.weekly_after:
            eligible.append(2)
        current = self._baselines[self._active].fit
        if current.count < self.config.window:
            return
        best, best_fit = self._active, current.mean
        for index in eligible:
            candidate = self._baselines[index].fit
            if (
                candidate.count >= self.config.window
                and candidate.mean < self.config.switch_margin * best_fit
            ):
                best, best_fit = index, candidate.mean
        self._active = best


QUIET = DetectorOutput(0.0, AnomalyLevel.NORMAL, None)
