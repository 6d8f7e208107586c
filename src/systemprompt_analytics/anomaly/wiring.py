"""Building the anomaly service from Settings, and its periodic job."""

from __future__ import annotations

from sqlalchemy import Engine

from systemprompt_analytics.anomaly.service import AnomalyDetectionService, Notifier
from systemprompt_analytics.anomaly.webhook import WebhookNotifier, WebhookSender
from systemprompt_analytics.config import Settings
from systemprompt_analytics.jobs.periodic import PeriodicJob
from systemprompt_analytics.throttle.service import ThrottleService

EVALUATION_INTERVAL_SECONDS = 60.0


def anomaly_service(
    engine: Engine, settings: Settings, throttle: ThrottleService | None = None
) -> AnomalyDetectionService:
    """The service with the configured webhook (if any) and the app's throttle service."""
    notifiers: list[Notifier] = []
    if settings.anomaly_webhook_url:
        notifiers.append(WebhookNotifier(WebhookSender(settings.anomaly_webhook_url)))
    return AnomalyDetectionService(engine, notifiers=notifiers, throttle=throttle)


def anomaly_jobs(
    engine: Engine, settings: Settings, throttle: ThrottleService | None = None
) -> list[PeriodicJob]:
    """The every-minute evaluation job, or none when ``anomaly_enabled`` is off."""
    if not settings.anomaly_enabled:
        return []
    service = anomaly_service(engine, settings, throttle)
    return [PeriodicJob("anomaly detection", EVALUATION_INTERVAL_SECONDS, service.evaluate)]
