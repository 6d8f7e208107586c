"""Thresholds and alerts for callers holding an engine (the CLI, the Python API, HTTP routes).

Each function runs in its own transaction and raises :class:`InvalidInputError` naming the
field for anything it refuses, so every front end reports the same errors the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from systemprompt_analytics.anomaly.thresholds import Threshold, validate_metric_name
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.storage.repositories import anomalies
from systemprompt_analytics.storage.repositories.anomalies import StoredAlert


def thresholds(engine: Engine) -> list[Threshold]:
    with engine.connect() as conn:
        return anomalies.list_thresholds(conn)


def set_threshold(
    engine: Engine,
    name: str,
    warning: float,
    critical: float,
    description: str | None = None,
    now: datetime | None = None,
) -> Threshold:
    """Create or change a metric's thresholds (warning must not be above critical)."""
    threshold = Threshold(validate_metric_name(name), warning, critical, description)
    with engine.begin() as conn:
        anomalies.set_threshold(conn, threshold, now or datetime.now(UTC))
    return threshold


def delete_threshold(engine: Engine, name: str) -> None:
    """Delete a metric's thresholds; an unknown metric is refused, naming the known ones."""
    with engine.begin() as conn:
        if anomalies.delete_threshold(conn, name):
            return
        known = [item.metric_name for item in anomalies.list_thresholds(conn)]
    raise InvalidInputError(
        "NAME",
        f"no thresholds for the metric {name!r}; metrics with thresholds: "
        f"{', '.join(known) or 'none'}",
    )


def alerts(engine: Engine, *, active_only: bool = False, limit: int = 100) -> list[StoredAlert]:
    """Alerts, newest first (``active_only``: pending and firing)."""
    if limit < 1:
        raise InvalidInputError("limit", f"must be at least 1, got {limit}")
    with engine.connect() as conn:
        return anomalies.list_alerts(conn, active_only=active_only, limit=limit)
