"""Anomaly thresholds (seeded, editable) and the alert history.

Thresholds are validated by :class:`anomaly.thresholds.Threshold` before they get here.
Alert rows hold everything the lifecycle needs (:class:`anomaly.lifecycle.AlertState`), so
any instance can pick up where another left off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from systemprompt_analytics.anomaly.levels import AnomalyLevel
from systemprompt_analytics.anomaly.lifecycle import AlertState, Phase
from systemprompt_analytics.anomaly.thresholds import Threshold
from systemprompt_analytics.storage.dialect import excluded, upsert
from systemprompt_analytics.storage.schema import anomaly_alerts, anomaly_thresholds

AlertKey = tuple[str, str]  # (metric, subject)
ACTIVE_PHASES = (Phase.PENDING.value, Phase.FIRING.value)


# -- thresholds --------------------------------------------------------------------------------


def list_thresholds(conn: Connection) -> list[Threshold]:
    t = anomaly_thresholds.c
    rows = conn.execute(select(anomaly_thresholds).order_by(t.metric_name)).all()
    return [
        Threshold(row.metric_name, row.warning_threshold, row.critical_threshold, row.description)
        for row in rows
    ]


def thresholds_by_metric(conn: Connection) -> dict[str, Threshold]:
    return {threshold.metric_name: threshold for threshold in list_thresholds(conn)}


def set_threshold(conn: Connection, threshold: Threshold, now: datetime) -> None:
    """Create or replace a metric's thresholds (a new description replaces the old one only
    when given)."""
    values = {
        "metric_name": threshold.metric_name,
        "warning_threshold": threshold.warning,
        "critical_threshold": threshold.critical,
        "description": threshold.description,
        "updated_at": now,
    }
    changes: dict[str, Any] = {
        "warning_threshold": threshold.warning,
        "critical_threshold": threshold.critical,
        "updated_at": now,
    }
    if threshold.description is not None:
        changes["description"] = excluded(anomaly_thresholds, "description")
    statement = upsert(conn.dialect.name, anomaly_thresholds, ["metric_name"], changes)
    conn.execute(statement.values(values))


def delete_threshold(conn: Connection, metric_name: str) -> bool:
    """Delete a metric's thresholds; False when the metric has none."""
    statement = delete(anomaly_thresholds).where(anomaly_thresholds.c.metric_name == metric_name)
    return conn.execute(statement).rowcount > 0


# -- alerts ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredAlert:
    id: int
    state: AlertState
    notified_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        s = self.state
        return {
            "id": self.id,
            "metric": s.metric,
            "subject": s.subject,
            "level": s.level.value,
            "state": s.phase.value,
            "value": s.value,
            "baseline": s.baseline,
            "detector": s.detector,
            "message": s.message,
            "started_at": s.started_at.isoformat(),
            "last_seen_at": s.last_seen_at.isoformat(),
            "resolved_at": s.resolved_at.isoformat() if s.resolved_at else None,
            "notified_at": self.notified_at.isoformat() if self.notified_at else None,
        }


def _stored(row: Row[Any]) -> StoredAlert:
    state = AlertState(
        metric=row.metric_name,
        subject=row.subject,
        phase=Phase(row.state),
        level=AnomalyLevel(row.level),
        value=row.value,
        baseline=row.baseline,
        detector=row.detector,
        message=row.message or "",
        started_at=row.started_at,
        last_seen_at=row.last_seen_at,
        resolved_at=row.resolved_at,
    )
    return StoredAlert(row.id, state, row.notified_at)


def _columns(state: AlertState) -> dict[str, Any]:
    return {
        "metric_name": state.metric,
        "subject": state.subject,
        "level": state.level.value,
        "state": state.phase.value,
        "value": state.value,
        "baseline": state.baseline,
        "detector": state.detector,
        "message": state.message,
        "started_at": state.started_at,
        "last_seen_at": state.last_seen_at,
        "resolved_at": state.resolved_at,
    }


def insert_alert(conn: Connection, state: AlertState) -> int:
    result = conn.execute(anomaly_alerts.insert().values(_columns(state)))
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every supported database returns the key
        raise RuntimeError("the database did not return the new alert's id")
    return int(key[0])


def update_alert(
    conn: Connection, alert_id: int, state: AlertState, notified_at: datetime | None = None
) -> None:
    values = _columns(state)
    if notified_at is not None:
        values["notified_at"] = notified_at
    conn.execute(update(anomaly_alerts).where(anomaly_alerts.c.id == alert_id).values(values))


def delete_alert(conn: Connection, alert_id: int) -> None:
    conn.execute(delete(anomaly_alerts).where(anomaly_alerts.c.id == alert_id))


def open_alerts(conn: Connection) -> dict[AlertKey, StoredAlert]:
    """The pending and firing alerts, by metric and subject (the newest if ever several)."""
    a = anomaly_alerts.c
    rows = conn.execute(
        select(anomaly_alerts).where(a.state.in_(ACTIVE_PHASES)).order_by(a.started_at, a.id)
    ).all()
    return {(row.metric_name, row.subject): _stored(row) for row in rows}


def resolved_since(conn: Connection, since: datetime) -> dict[AlertKey, StoredAlert]:
    """For each metric and subject, its latest alert resolved at or after ``since`` (the
    ones still cooling down)."""
    a = anomaly_alerts.c
    rows = conn.execute(
        select(anomaly_alerts)
        .where(a.state == Phase.RESOLVED.value, a.resolved_at >= since)
        .order_by(a.resolved_at, a.id)
    ).all()
    return {(row.metric_name, row.subject): _stored(row) for row in rows}


def list_alerts(
    conn: Connection, *, active_only: bool = False, limit: int = 100
) -> list[StoredAlert]:
    """Alerts, newest first; ``active_only`` keeps pending and firing ones."""
    a = anomaly_alerts.c
    statement = select(anomaly_alerts).order_by(a.started_at.desc(), a.id.desc()).limit(limit)
    if active_only:
        statement = statement.where(a.state.in_(ACTIVE_PHASES))
    return [_stored(row) for row in conn.execute(statement).all()]
