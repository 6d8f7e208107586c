"""Thresholds and alerts in the database, and the service end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, insert, select, text

from systemprompt_analytics.anomaly.levels import AnomalyLevel
from systemprompt_analytics.anomaly.lifecycle import AlertPolicy, Transition
from systemprompt_analytics.anomaly.service import ANOMALY_LOCK_KEY, AnomalyDetectionService
from systemprompt_analytics.anomaly.thresholds import Threshold
from systemprompt_analytics.anomaly.webhook import WebhookNotifier, WebhookSender
from systemprompt_analytics.detection.throttle import ThrottleLevel
from systemprompt_analytics.storage.repositories.anomalies import (
    delete_threshold,
    list_alerts,
    list_thresholds,
    set_threshold,
)
from systemprompt_analytics.storage.schema import anomaly_alerts, anomaly_thresholds, request_events
from systemprompt_analytics.throttle.service import ThrottleService
from tests.factories import add_session
from tests.test_anomaly_webhook import Receiver, serve

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SEEDED = {
    "avg_response_time_deviation": (2.0, 5.0),
    "error_rate": (0.1, 0.25),
    "requests_per_minute": (15.0, 30.0),
    "session_count_per_fingerprint": (5.0, 10.0),
    "unique_ips_per_fingerprint": (3.0, 10.0),
}


@pytest.fixture
def thresholds_restored(db_engine: Engine) -> Iterator[Engine]:
    """Thresholds are configuration (kept between tests): put them back afterwards."""
    with db_engine.connect() as conn:
        saved = [dict(row) for row in conn.execute(select(anomaly_thresholds)).mappings()]
    yield db_engine
    with db_engine.begin() as conn:
        conn.execute(delete(anomaly_thresholds))
        conn.execute(insert(anomaly_thresholds), saved)


def _requests(conn: Connection, session_id: str, at: datetime, count: int, **values: Any) -> None:
    rows = [
        {"session_id": session_id, "occurred_at": at + timedelta(seconds=i * 50 / max(count, 1)),
         "method": "GET", "path": "/", "status_code": 200, "kind": "page", **values}
        for i in range(count)
    ]  # fmt: skip
    conn.execute(request_events.insert(), rows)


# -- thresholds ------------------------------------------------------------------------------


def test_threshold_crud(thresholds_restored: Engine) -> None:
    engine = thresholds_restored
    with engine.begin() as conn:
        seeded = {t.metric_name: (t.warning, t.critical) for t in list_thresholds(conn)}
        assert seeded == SEEDED
        set_threshold(conn, Threshold("ai_cost_per_hour", 5.0, 10.0, "AI spend"), T0)
        set_threshold(conn, Threshold("error_rate", 0.2, 0.4), T0)
    with engine.begin() as conn:
        rows = {t.metric_name: t for t in list_thresholds(conn)}
        assert (rows["ai_cost_per_hour"].warning, rows["ai_cost_per_hour"].critical) == (5.0, 10.0)
        assert rows["ai_cost_per_hour"].description == "AI spend"
        # Changing values without a description keeps the old description.
        assert (rows["error_rate"].warning, rows["error_rate"].critical) == (0.2, 0.4)
        assert rows["error_rate"].description and "4xx" in rows["error_rate"].description
        assert delete_threshold(conn, "ai_cost_per_hour") is True
        assert delete_threshold(conn, "ai_cost_per_hour") is False
        assert delete_threshold(conn, "no_such_metric") is False
        assert "ai_cost_per_hour" not in {t.metric_name for t in list_thresholds(conn)}


def test_the_database_refuses_warning_above_critical(thresholds_restored: Engine) -> None:
    with (
        pytest.raises(Exception, match=r"(?i)check|constraint"),
        thresholds_restored.begin() as conn,
    ):
        conn.execute(
            insert(anomaly_thresholds).values(
                metric_name="bad", warning_threshold=2.0, critical_threshold=1.0, updated_at=T0
            )
        )


# -- the service -------------------------------------------------------------------------------


def _abuse(conn: Connection, minutes: int, per_minute: int = 40) -> str:
    sid = add_session(conn, at=T0, fingerprint_hash="fp_abuser", ip="203.0.113.9", is_bot=True)
    for minute in range(minutes):
        _requests(conn, sid, T0 + minute * MINUTE, per_minute, is_bot=True)
    return sid


def test_fingerprint_abuse_pends_fires_escalates_and_resolves(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        _abuse(conn, minutes=4)
    receiver = Receiver([500])  # the first delivery fails once and is retried
    throttle = ThrottleService()
    with serve(receiver) as url:
        notifier = WebhookNotifier(WebhookSender(url, backoff=0, sleep=lambda _: None))
        service = AnomalyDetectionService(db_engine, notifiers=[notifier], throttle=throttle)
        seen: list[tuple[datetime, Transition, str]] = []
        for minute in range(1, 11):
            now = T0 + minute * MINUTE + timedelta(seconds=5)
            result = service.evaluate(now)
            assert not result.skipped
            seen += [(result.at, t, s.metric) for t, s in result.transitions
                     if s.subject == "fingerprint:fp_abuser"]  # fmt: skip
        assert notifier.flush(10)
        notifier.close()
    rpm = [(at - T0, t) for at, t, metric in seen if metric == "requests_per_minute"]
    assert rpm[:3] == [(MINUTE, Transition.OPENED), (2 * MINUTE, Transition.UPDATED),
                       (3 * MINUTE, Transition.FIRED)]  # fmt: skip
    # Last anomalous minute was evaluated at +4; resolved five minutes later.
    assert (9 * MINUTE, Transition.RESOLVED) in rpm
    events = [body["event"] for body in receiver.bodies if body["alert"]["metric"] ==
              "requests_per_minute"]  # fmt: skip
    assert events == ["firing", "resolved"]
    assert receiver.bodies[0] == receiver.bodies[1]  # the first delivery got a 500: retried
    firing = next(b["alert"] for b in receiver.bodies if b["alert"]["metric"] ==
                  "requests_per_minute")  # fmt: skip
    assert firing["subject"] == "fingerprint:fp_abuser" and firing["level"] == "critical"
    assert firing["value"] == 40.0 and firing["detector"] == "threshold"
    assert throttle.status("fingerprint:fp_abuser").level >= ThrottleLevel.WARNING
    with db_engine.connect() as conn:
        alerts = [a for a in list_alerts(conn) if a.state.metric == "requests_per_minute"]
    assert len(alerts) == 1
    alert = alerts[0].state
    assert alert.phase.value == "resolved" and alert.level is AnomalyLevel.CRITICAL
    assert alert.started_at == T0 + MINUTE and alert.resolved_at == T0 + 9 * MINUTE
    assert alerts[0].notified_at == T0 + 9 * MINUTE


def test_another_instance_picks_up_the_alert(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        _abuse(conn, minutes=4)
    first = AnomalyDetectionService(db_engine)
    first.evaluate(T0 + MINUTE)
    second = AnomalyDetectionService(db_engine)
    second.evaluate(T0 + 2 * MINUTE)
    result = second.evaluate(T0 + 3 * MINUTE)
    fired = {s.metric: s for t, s in result.transitions if t is Transition.FIRED}
    assert fired["requests_per_minute"].subject == "fingerprint:fp_abuser"
    assert fired["requests_per_minute"].started_at == T0 + MINUTE


def test_check_without_record_changes_nothing(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        _abuse(conn, minutes=1)
    result = AnomalyDetectionService(db_engine).evaluate(T0 + MINUTE, record=False)
    fingerprints = [c for c in result.checks if c.subject.startswith("fingerprint:")]
    assert [(c.metric, c.subject, c.level) for c in fingerprints] == [
        ("requests_per_minute", "fingerprint:fp_abuser", AnomalyLevel.CRITICAL)
    ]
    assert result.transitions == []
    with db_engine.connect() as conn:
        assert conn.execute(select(anomaly_alerts)).all() == []


def test_platform_metrics_from_stored_history(db_engine: Engine) -> None:
    """Three hours of steady traffic warm the detector up; a burst and an error wave in the
    last minutes are anomalous; per-minute buckets agree on both databases."""
    start = T0 - timedelta(hours=3)
    with db_engine.begin() as conn:
        sid = add_session(conn, at=start, fingerprint_hash=None)
        for minute in range(180):
            _requests(conn, sid, start + minute * MINUTE, 30 + (minute % 3))
        _requests(conn, sid, T0, 150, status_code=503)
    service = AnomalyDetectionService(db_engine, policy=AlertPolicy(pending_for=timedelta(0)))
    result = service.evaluate(T0 + MINUTE + timedelta(seconds=30))
    by_detector = {(c.metric, c.detector): c for c in result.checks}
    burst = by_detector[("platform_requests_per_minute", "robust")]
    assert burst.value == 150.0 and burst.level is AnomalyLevel.CRITICAL
    assert burst.baseline == pytest.approx(31.0, abs=1.5)
    trend = by_detector[("platform_requests_per_minute", "trend")]
    assert trend.level is AnomalyLevel.CRITICAL
    errors = by_detector[("error_rate", "threshold")]
    assert errors.value == pytest.approx(150 / (150 + 4 * 31), abs=0.01)
    assert errors.level is AnomalyLevel.CRITICAL
    fired = {(s.metric, s.level) for t, s in result.transitions if t is Transition.FIRED}
    assert ("platform_requests_per_minute", AnomalyLevel.CRITICAL) in fired
    assert ("error_rate", AnomalyLevel.CRITICAL) in fired
    # Evaluating the same minute again reads the same values and learns nothing twice.
    again = service.evaluate(T0 + MINUTE + timedelta(seconds=50), record=False)
    assert [c.value for c in again.checks] == [c.value for c in result.checks]


def _hold_lock(engine: Engine, locked: threading.Event, release: threading.Event) -> None:
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ANOMALY_LOCK_KEY})
        locked.set()
        release.wait(10)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # advisory locks
def test_one_instance_evaluates_at_a_time(database_url: str, db_engine: Engine) -> None:
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(db_engine, locked, release))
    holder.start()
    try:
        assert locked.wait(10)
        result = AnomalyDetectionService(db_engine).evaluate(T0)
        assert result.skipped and "another instance" in result.message
    finally:
        release.set()
        holder.join(10)
    assert not AnomalyDetectionService(db_engine).evaluate(T0).skipped


def test_payload_is_json_serialisable(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        _abuse(conn, minutes=1)
    service = AnomalyDetectionService(db_engine, policy=AlertPolicy(pending_for=timedelta(0)))
    result = service.evaluate(T0 + MINUTE)
    payloads = [a.payload() for a in result.announcements]
    assert payloads and json.loads(json.dumps(payloads))[0]["event"] == "firing"
