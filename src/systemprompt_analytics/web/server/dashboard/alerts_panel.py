"""Anomaly alerts (the CLI's ``anomalies``): the active ones, whatever their age, and the ones
that started in the period and have since resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from systemprompt_analytics.anomaly.lifecycle import Phase
from systemprompt_analytics.storage.repositories.anomalies import StoredAlert, list_alerts
from systemprompt_analytics.web.server.dashboard.numbers import fmt_compact, short_id
from systemprompt_analytics.web.server.dashboard.window import DashboardWindow

ACTIVE_SHOWN = 20
RECENT_SHOWN = 10
RECENT_SCANNED = 100  # newest alerts looked at for the resolved ones of the period
LEVEL_SIGNS = {"critical": "▲▲ Critical", "warning": "▲ Warning"}


@dataclass(frozen=True)
class AlertRow:
    level: str  # "critical" or "warning" (for the style)
    level_text: str  # the level in words, with a sign, so colour is never the only cue
    metric: str
    subject: str
    value_text: str
    message: str
    state: str
    started: str
    resolved: str


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%d %b %H:%M} UTC"


def alert_row(alert: StoredAlert) -> AlertRow:
    state = alert.state
    level = state.level.value
    baseline = "" if state.baseline is None else f" (baseline {fmt_compact(state.baseline)})"
    return AlertRow(
        level=level,
        level_text=LEVEL_SIGNS.get(level, level.title()),
        metric=state.metric,
        subject=short_id(state.subject),
        value_text=f"{fmt_compact(state.value)}{baseline}",
        message=state.message,
        state=state.phase.value,
        started=_when(state.started_at),
        resolved=_when(state.resolved_at),
    )


@dataclass(frozen=True)
class AlertsPanel:
    active: list[AlertRow]
    recent: list[AlertRow]


def alerts_panel(conn: Connection, window: DashboardWindow) -> AlertsPanel:
    active = list_alerts(conn, active_only=True, limit=ACTIVE_SHOWN)
    period = window.period
    recent = [
        alert
        for alert in list_alerts(conn, limit=RECENT_SCANNED)
        if alert.state.phase == Phase.RESOLVED
        and period.since <= alert.state.started_at < period.until
    ][:RECENT_SHOWN]
    return AlertsPanel([alert_row(a) for a in active], [alert_row(a) for a in recent])
