"""AnomalyDetectionService: evaluate the platform's metrics, keep alerts, deliver them.

One evaluation (every minute, by the periodic job) covers the last complete minute:

1. per-minute totals since the previous evaluation are read (the first evaluation, or one
   after a long gap, reads ``warmup`` of history so the detectors start out knowing the
   series); each minute feeds the platform metrics' detectors in order;
2. the last minute's values are checked — robust detector, thresholds from
   ``anomaly_thresholds`` where the metric has a row, the trend rule where the metric asks for
   it — and per-fingerprint abuse metrics are checked against their thresholds;
3. the strongest check per metric and subject goes through the alert lifecycle; alert rows
   are written in the same transaction;
4. after the commit, fired, escalated and resolved alerts are logged, handed to the
   notifiers (the webhook), and per-fingerprint critical alerts escalate the fingerprint in
   the ThrottleService.

On PostgreSQL the transaction first takes ``pg_try_advisory_xact_lock(ANOMALY_LOCK_KEY)``;
when another instance holds it, this evaluation does nothing (its detectors catch up on the
minutes they missed the next time they run). SQLite, embedded and single-process, just runs.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, text

from systemprompt_analytics.anomaly.detector import RobustConfig, RobustDetector
from systemprompt_analytics.anomaly.levels import AnomalyCheck, AnomalyLevel, DetectorOutput
from systemprompt_analytics.anomaly.lifecycle import AlertPolicy, AlertState, Transition, step
from systemprompt_analytics.anomaly.metrics import (
    FINGERPRINT_METRICS,
    HISTORY_MINUTES,
    RESPONSE_TIME,
    SERIES_METRICS,
    TOTALS,
    TREND_WINDOW,
    MinuteTotals,
    SeriesMetric,
)
from systemprompt_analytics.anomaly.queries import (
    ips_per_fingerprint,
    minute_totals,
    requests_per_fingerprint,
    sessions_per_fingerprint,
)
from systemprompt_analytics.anomaly.thresholds import Threshold, check_threshold
from systemprompt_analytics.anomaly.trend import check_trend
from systemprompt_analytics.detection.throttle import Observation
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.storage.repositories.anomalies import (
    AlertKey,
    StoredAlert,
    delete_alert,
    insert_alert,
    open_alerts,
    resolved_since,
    thresholds_by_metric,
    update_alert,
)
from systemprompt_analytics.storage.write_lock import begin_writing
from systemprompt_analytics.throttle.decision import throttle_key
from systemprompt_analytics.throttle.service import ThrottleService

logger = logging.getLogger(__name__)

# "sp_anom" as a 64-bit advisory lock key; constant so every instance agrees on it.
ANOMALY_LOCK_KEY = 0x73705F616E6F6D00
MINUTE = timedelta(minutes=1)
PLATFORM = "platform"
FINGERPRINT_PREFIX = "fingerprint:"
# Which check speaks for a metric when several detectors agree on the level.
_PRECEDENCE = {"threshold": 0, "robust": 1, "trend": 2}

Notifier = Callable[[Mapping[str, Any]], None]
FingerprintQuery = Callable[[Connection, Period, float], dict[str, float]]
_FINGERPRINT_QUERIES: dict[str, FingerprintQuery] = {
    "requests_per_minute": requests_per_fingerprint,
    "session_count_per_fingerprint": sessions_per_fingerprint,
    "unique_ips_per_fingerprint": ips_per_fingerprint,
}


@dataclass(frozen=True, slots=True)
class Announcement:
    """A fired, escalated or resolved alert, as delivered."""

    transition: Transition
    alert: StoredAlert

    def payload(self) -> dict[str, Any]:
        return {
            "source": "systemprompt-analytics",
            "event": self.transition.value,
            "alert": self.alert.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one evaluation saw and did."""

    at: datetime
    """The end (exclusive) of the minute evaluated."""
    skipped: bool
    message: str
    checks: list[AnomalyCheck] = field(default_factory=list)
    """Every detector's check of every metric, for display."""
    transitions: list[tuple[Transition, AlertState]] = field(default_factory=list)
    announcements: list[Announcement] = field(default_factory=list)


class AnomalyDetectionService:
    """Feeds the detectors, runs the alert lifecycle and delivers alerts (see module doc)."""

    def __init__(
        self,
        engine: Engine,
        *,
        policy: AlertPolicy | None = None,
        notifiers: Sequence[Notifier] = (),
        throttle: ThrottleService | None = None,
        detector: RobustConfig | None = None,
        warmup: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if warmup < MINUTE:
            raise ValueError("warmup must be at least one minute")
        self.engine = engine
        self.policy = policy or AlertPolicy()
        self.notifiers = list(notifiers)
        self.throttle = throttle
        self.detector_config = detector or RobustConfig()
        self.warmup = warmup
        self.clock = clock
        self._minutes: deque[MinuteTotals] = deque(maxlen=HISTORY_MINUTES)
        self._trend_values: dict[str, deque[float]] = {}
        self._detectors: dict[str, RobustDetector] = {}
        self._fed_until: datetime | None = None
        self._latest: list[Reading] = []

    # -- evaluation ------------------------------------------------------------------------

    def evaluate(self, now: datetime | None = None, *, record: bool = True) -> Evaluation:
        """Evaluate the last complete minute before ``now``. With ``record`` (the periodic
        job) alerts are kept and delivered; without it the checks are only computed."""
        moment = now or self.clock()
        if moment.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        end = moment.astimezone(UTC).replace(second=0, microsecond=0)
        with self.engine.begin() as conn:
            if not _try_lock(conn):
                return Evaluation(end, True, "skipped: another instance holds the lock")
            begin_writing(conn)
            platform = self._catch_up(conn, end)
            thresholds = thresholds_by_metric(conn)
            checks = self._platform_checks(platform, thresholds)
            checks += self._fingerprint_checks(conn, end, thresholds)
            transitions: list[tuple[Transition, AlertState]] = []
            announcements: list[Announcement] = []
            if record:
                transitions, announcements = self._apply(conn, _strongest(checks), end)
        for announcement in announcements:
            self._deliver(announcement)
        anomalous = sum(1 for check in checks if check.is_anomalous)
        message = f"{len(checks)} checks, {anomalous} anomalous, {len(announcements)} announced"
        return Evaluation(end, False, message, checks, transitions, announcements)

    def _catch_up(self, conn: Connection, end: datetime) -> list[Reading]:
        """Feed every minute not fed yet, up to ``end``; the last minute's readings."""
        if self._fed_until is not None and self._fed_until >= end:
            return self._latest  # this minute was evaluated already: same readings
        start = end - self.warmup
        if self._fed_until is not None and self._fed_until >= start:
            start = self._fed_until
        else:  # first run, or a gap longer than the warm-up: start afresh
            self._minutes.clear()
            self._trend_values.clear()
            self._detectors.clear()
        since = start - HISTORY_MINUTES * MINUTE if not self._minutes else start
        totals = minute_totals(conn, Period(since, end))
        minute = since
        while minute < end:
            self._minutes.append(totals.get(minute, _EMPTY))
            if minute >= start:
                self._latest = self._feed(minute)
            minute += MINUTE
        self._fed_until = end
        return self._latest

    def _feed(self, minute: datetime) -> list[Reading]:
        """Every platform metric's value at ``minute`` through its detectors."""
        timestamp = minute.timestamp()
        readings = []
        for metric in SERIES_METRICS:
            value, volume = metric.value(self._minutes)
            reading = Reading(metric.name, value, volume)
            if value is not None:
                output = self._detector(metric).update(timestamp, value, volume)
                reading = replace(reading, robust=output)
                if metric.trend:
                    reading = replace(reading, trend=self._trend(metric, value))
            readings.append(reading)
        value, volume = RESPONSE_TIME.value(self._minutes)
        readings.append(Reading(RESPONSE_TIME.name, value, volume))
        return readings

    def _detector(self, metric: SeriesMetric) -> RobustDetector:
        detector = self._detectors.get(metric.name)
        if detector is None:
            config = replace(
                self.detector_config,
                direction=metric.direction,
                min_volume=metric.min_volume,
                count_transform=metric.is_count,
            )
            detector = self._detectors[metric.name] = RobustDetector(config)
        return detector

    def _trend(self, metric: SeriesMetric, value: float) -> AnomalyCheck | None:
        values = self._trend_values.setdefault(metric.name, deque(maxlen=TREND_WINDOW))
        values.append(value)
        if value < metric.min_volume:
            return None
        return check_trend(metric.name, list(values))

    # -- checks ------------------------------------------------------------------------------

    def _platform_checks(
        self, readings: Iterable[Reading], thresholds: Mapping[str, Threshold]
    ) -> list[AnomalyCheck]:
        checks: list[AnomalyCheck] = []
        for reading in readings:
            value = reading.value
            threshold = thresholds.get(reading.metric)
            if value is None:
                checks.append(_no_data(reading))
                continue
            if threshold is not None:
                checks.append(check_threshold(threshold, value))
            if reading.robust is not None:
                checks.append(_robust_check(reading.metric, value, reading.robust))
            if reading.trend is not None:
                checks.append(reading.trend)
            if threshold is None and reading.robust is None:
                checks.append(_no_data(reading))
        return checks

    def _fingerprint_checks(
        self, conn: Connection, end: datetime, thresholds: Mapping[str, Threshold]
    ) -> list[AnomalyCheck]:
        checks: list[AnomalyCheck] = []
        for metric in FINGERPRINT_METRICS:
            threshold = thresholds.get(metric.name)
            if threshold is None:
                continue
            query = _FINGERPRINT_QUERIES[metric.name]
            values = query(conn, Period(end - metric.window, end), threshold.warning)
            for fingerprint, value in sorted(values.items()):
                subject = FINGERPRINT_PREFIX + fingerprint
                checks.append(check_threshold(threshold, value, subject))
        return checks

    # -- alerts ------------------------------------------------------------------------------

    def _apply(
        self, conn: Connection, checks: Mapping[AlertKey, AnomalyCheck], now: datetime
    ) -> tuple[list[tuple[Transition, AlertState]], list[Announcement]]:
        """Run the lifecycle for every key with an open alert or an anomalous check."""
        current = open_alerts(conn)
        cooling = resolved_since(conn, now - self.policy.cooldown)
        keys = set(current) | {key for key, check in checks.items() if check.is_anomalous}
        transitions: list[tuple[Transition, AlertState]] = []
        announcements: list[Announcement] = []
        for key in sorted(keys):
            check = checks.get(key) or _all_clear(key)
            stored = current.get(key)
            before = stored.state if stored else (cooling[key].state if key in cooling else None)
            result = step(before, check, now, self.policy)
            if result.transition is None or result.state is None:
                if result.transition is Transition.CANCELLED and stored is not None:
                    delete_alert(conn, stored.id)
                    transitions.append((Transition.CANCELLED, stored.state))
                continue
            notified = now if result.announced else None
            if stored is None:
                alert_id = insert_alert(conn, result.state)
                if notified is not None:
                    update_alert(conn, alert_id, result.state, notified)
            else:
                alert_id = stored.id
                update_alert(conn, alert_id, result.state, notified)
            transitions.append((result.transition, result.state))
            if result.announced:
                saved = StoredAlert(alert_id, result.state, notified)
                announcements.append(Announcement(result.transition, saved))
        return transitions, announcements

    def _deliver(self, announcement: Announcement) -> None:
        alert = announcement.alert.state
        log = logger.info if announcement.transition is Transition.RESOLVED else logger.warning
        log(
            "anomaly alert %s: %s [%s] %s",
            announcement.transition.value,
            alert.metric,
            alert.subject,
            alert.message,
        )
        payload = announcement.payload()
        for notifier in self.notifiers:
            try:
                notifier(payload)
            except Exception:
                logger.exception("anomaly notifier failed")
        self._escalate(announcement)

    def _escalate(self, announcement: Announcement) -> None:
        """A per-fingerprint alert that fires or escalates at the critical level moves the
        fingerprint one throttle level up (the throttle's own dwell and cooldown apply)."""
        alert = announcement.alert.state
        if (
            self.throttle is None
            or announcement.transition not in (Transition.FIRED, Transition.ESCALATED)
            or alert.level is not AnomalyLevel.CRITICAL
            or not alert.subject.startswith(FINGERPRINT_PREFIX)
        ):
            return
        policy = self.throttle.config.policy
        if alert.metric == "requests_per_minute":
            observation = Observation(requests_last_minute=math.ceil(alert.value))
        else:
            # No throttle trigger measures sessions or addresses per fingerprint; a critical
            # alert counts as behavioural evidence at the escalation threshold.
            observation = Observation(behavioural_score=policy.behavioural_score_threshold)
        fingerprint = alert.subject.removeprefix(FINGERPRINT_PREFIX)
        self.throttle.observe(throttle_key("fingerprint", fingerprint), observation)


@dataclass(frozen=True, slots=True)
class Reading:
    """One platform metric's value at one minute, with its detectors' verdicts."""

    metric: str
    value: float | None
    volume: float | None
    robust: DetectorOutput | None = None
    trend: AnomalyCheck | None = None


_EMPTY: MinuteTotals = dict.fromkeys(TOTALS, 0.0)


def _robust_check(metric: str, value: float, output: DetectorOutput) -> AnomalyCheck:
    expected = output.baseline
    if expected is None:
        message = f"{metric} = {value:.4g} (the detector is still learning this series)"
    else:
        message = (
            f"{metric} = {value:.4g}, expected about {expected:.4g} (score {output.score:.2f})"
        )
        if output.level is not AnomalyLevel.NORMAL:
            message = f"{output.level.value.upper()}: {message}"
    return AnomalyCheck(
        metric=metric,
        value=value,
        level=output.level,
        detector="robust",
        message=message,
        baseline=expected,
        score=output.score,
    )


def _no_data(reading: Reading) -> AnomalyCheck:
    volume = "" if reading.volume is None else f" (volume {reading.volume:g})"
    return AnomalyCheck(
        metric=reading.metric,
        value=0.0 if reading.value is None else reading.value,
        level=AnomalyLevel.NORMAL,
        detector="none",
        message=f"{reading.metric}: not enough data this minute{volume}",
    )


def _all_clear(key: AlertKey) -> AnomalyCheck:
    metric, subject = key
    return AnomalyCheck(
        metric=metric,
        value=0.0,
        level=AnomalyLevel.NORMAL,
        detector="threshold",
        message=f"{metric} is below its thresholds",
        subject=subject,
    )


def _strongest(checks: Iterable[AnomalyCheck]) -> dict[AlertKey, AnomalyCheck]:
    """Per metric and subject, the check with the highest level (threshold, then robust,
    then trend, on a tie)."""
    best: dict[AlertKey, AnomalyCheck] = {}
    for check in checks:
        key = (check.metric, check.subject)
        other = best.get(key)
        if other is None or (check.level.rank, -_PRECEDENCE.get(check.detector, 9)) > (
            other.level.rank,
            -_PRECEDENCE.get(other.detector, 9),
        ):
            best[key] = check
    return best


def _try_lock(conn: Connection) -> bool:
    """Take the evaluation's transaction-scoped advisory lock on PostgreSQL (always True on
    SQLite)."""
    if conn.dialect.name != "postgresql":
        return True
    statement = text("SELECT pg_try_advisory_xact_lock(:key)")
    return bool(conn.execute(statement, {"key": ANOMALY_LOCK_KEY}).scalar_one())
