"""The facade: one object, built from Settings, that owns the engine, the writer and the pipeline.

    analytics = Analytics.from_env()       # SP_ANALYTICS_* settings
    app.add_middleware(AnalyticsMiddleware, analytics=analytics)

The writer thread starts on first use and ``close()`` flushes what is queued.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine

from systemprompt_analytics.anomaly.wiring import anomaly_jobs
from systemprompt_analytics.config import Settings, load_settings
from systemprompt_analytics.detection.behavioral import BehavioralBotDetector, BehavioralConfig
from systemprompt_analytics.detection.user_agents import load_detection_data
from systemprompt_analytics.funnels.service import FunnelService
from systemprompt_analytics.ingest.activity import SessionActivity
from systemprompt_analytics.ingest.datacenter import DatacenterDetector
from systemprompt_analytics.ingest.fingerprint import derive_fingerprint_key
from systemprompt_analytics.ingest.geo import GeoLookup
from systemprompt_analytics.ingest.identity import IdentityPolicy, IdentityResolver
from systemprompt_analytics.ingest.pipeline import PipelineConfig, RequestPipeline
from systemprompt_analytics.ingest.session_cookie import derive_cookie_key
from systemprompt_analytics.ingest.writer import BatchWriter, WriterConfig
from systemprompt_analytics.jobs.behavioral import BehavioralScoring
from systemprompt_analytics.jobs.periodic import PeriodicJob, PeriodicJobs
from systemprompt_analytics.jobs.reputation import ReputationJob
from systemprompt_analytics.jobs.rollups import rollup_job
from systemprompt_analytics.platform.api import PlatformAPI
from systemprompt_analytics.platform.recorder import PlatformRecorder
from systemprompt_analytics.storage.engine import make_engine
from systemprompt_analytics.storage.migrate import current_revision, upgrade
from systemprompt_analytics.storage.rollups.marking import RollupMarker
from systemprompt_analytics.throttle.wiring import observe_verdicts, throttle_service

REPUTATION_INTERVAL_SECONDS = 3600.0


def writer_config_from(settings: Settings) -> WriterConfig:
    """The batching writer's timing and bounds from the ``writer_*`` settings."""
    return WriterConfig(
        flush_interval=settings.writer_flush_interval_ms / 1000.0,
        batch_size=settings.writer_batch_size,
        max_pending=settings.writer_max_pending,
    )


class Analytics(PlatformAPI):
    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        writer_config: WriterConfig | None = None,
        site_hosts: Iterable[str] = (),
        migrate: bool | None = None,
        behavioral: BehavioralConfig | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        if migrate or (migrate is None and self._is_new_sqlite()):
            upgrade(self.engine)
        secret = settings.resolve_secret_key()
        self.identity = IdentityResolver(
            derive_cookie_key(secret),
            IdentityPolicy(
                idle_timeout_seconds=settings.session_timeout_minutes * 60.0,
                max_age_seconds=settings.session_max_hours * 3600.0,
            ),
        )
        self.throttle = throttle_service(settings)
        self.scoring = BehavioralScoring(
            self.engine,
            BehavioralBotDetector(behavioral or BehavioralConfig()),
            on_verdicts=partial(observe_verdicts, self.throttle) if self.throttle else None,
        )
        self.funnels = FunnelService(self.engine)
        # Before the funnels: Analytics.flush() waits for the funnel listener, so for this one too.
        self.rollup_marker = RollupMarker(self.engine, settings.session_max_hours)
        self.writer = BatchWriter(
            self.engine,
            writer_config or writer_config_from(settings),
            listeners=[self.scoring.on_flush, self.rollup_marker.on_flush, self.funnels.on_flush],
        )
        self.pipeline = RequestPipeline(
            PipelineConfig(
                cookie_key=derive_cookie_key(secret),
                fingerprint_key=derive_fingerprint_key(secret),
                trusted_proxies=tuple(settings.trusted_proxies),
                site_hosts=frozenset(host.lower() for host in site_hosts),
                privacy_mode=settings.privacy_mode,
                cookie_max_age=settings.session_max_hours * 3600,
            ),
            self.identity,
            self.writer,
            geo=GeoLookup.from_settings(settings.geoip_db),
            datacenter=DatacenterDetector(),
        )
        # AI requests, tools, agent tasks, conversations, users (docs/ingestion.md).
        self.platform = PlatformRecorder(self.engine, self.writer, prepare=self.start)
        self.jobs = PeriodicJobs(
            [
                PeriodicJob(
                    "fingerprint reputation",
                    REPUTATION_INTERVAL_SECONDS,
                    lambda: ReputationJob(self.engine).run(datetime.now(UTC)),
                ),
                *anomaly_jobs(self.engine, settings, self.throttle),
                rollup_job(self.engine, settings),
            ]
        )
        self._started = False
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, **kwargs: Any) -> Analytics:
        """Settings from ``SP_ANALYTICS_*`` variables and the config file."""
        return cls(load_settings(), **kwargs)

    def _is_new_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite" and current_revision(self.engine) is None

    def start(self) -> Analytics:
        if self._started:  # the common case, on every request: no lock needed
            return self
        with self._lock:
            if not self._started:
                # Parse the crawler list and ua-parser's regexes now, not in the first request.
                load_detection_data()
                self.writer.start()
                self.scoring.start()
                self.jobs.start()
                atexit.register(self.close)
                self._started = True
        return self

    def mark_converted(self, session_id: str, at: datetime | None = None) -> None:
        """Record that a session converted (its first conversion time is kept)."""
        self._touch(session_id, at, {"converted_at": at or datetime.now(UTC)})

    def revoke_session(self, session_id: str, at: datetime | None = None) -> None:
        """Revoke a session (logout, abuse): stored as ``revoked_at``; this instance stops
        honouring its cookie at once, so the client's next request starts a new session."""
        self.identity.revoke(session_id)
        self._touch(session_id, at, {"revoked_at": at or datetime.now(UTC)})

    def _touch(self, session_id: str, at: datetime | None, attributes: dict[str, Any]) -> None:
        moment = at or datetime.now(UTC)
        self.start().writer.submit(SessionActivity(session_id, moment, moment, attributes))

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued is written and matched into funnel progress."""
        deadline = time.monotonic() + timeout
        if not self.writer.flush(timeout):
            return False
        # The writer calls its listeners after a batch is counted as written.
        remaining = max(0.0, deadline - time.monotonic())
        return self.funnels.wait_for_batches(self.writer.stats.flushes, remaining)

    def close(self, timeout: float = 30.0) -> bool:
        """Flush everything queued, score what is pending, stop the background threads.
        Safe to call more than once."""
        with self._lock:
            was_started, self._started = self._started, False
        if was_started:
            atexit.unregister(self.close)
        self.jobs.close()
        flushed = self.writer.close(timeout)
        self.scoring.close()
        if self.throttle is not None:
            self.throttle.close()
        return flushed
