"""Settings for anomaly detection and the periodic job built from them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from systemprompt_analytics.anomaly.webhook import WebhookNotifier
from systemprompt_analytics.anomaly.wiring import anomaly_jobs, anomaly_service
from systemprompt_analytics.config import Settings, load_settings
from systemprompt_analytics.errors import ConfigError


def test_the_job_runs_every_minute_unless_disabled(db_engine: Engine) -> None:
    jobs = anomaly_jobs(db_engine, Settings())
    assert [(job.name, job.interval) for job in jobs] == [("anomaly detection", 60.0)]
    assert jobs[0].run() is not None  # one real evaluation against the test database
    assert anomaly_jobs(db_engine, Settings(anomaly_enabled=False)) == []


def test_a_webhook_url_adds_the_webhook_notifier(db_engine: Engine) -> None:
    service = anomaly_service(db_engine, Settings(anomaly_webhook_url="https://hooks.example/x"))
    assert len(service.notifiers) == 1 and isinstance(service.notifiers[0], WebhookNotifier)
    assert anomaly_service(db_engine, Settings()).notifiers == []


def test_a_bad_webhook_url_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_ANALYTICS_ANOMALY_WEBHOOK_URL", "hooks.example/x")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert error.value.setting == "SP_ANALYTICS_ANOMALY_WEBHOOK_URL"
    assert "http:// or https://" in error.value.problem
