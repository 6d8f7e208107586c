"""The periodic rollup refresh: roll up the hours that have settled, recompute dirty ones.

Every :data:`REFRESH_INTERVAL_SECONDS` (first one interval after start-up, so a short-lived
process leaves the work to a long-lived one); on PostgreSQL one instance refreshes at a time
and the others skip (storage/rollups/refresh.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from systemprompt_analytics.config import Settings
from systemprompt_analytics.jobs.periodic import PeriodicJob
from systemprompt_analytics.storage.rollups import RefreshResult, refresh_rollups

REFRESH_INTERVAL_SECONDS = 300.0


def rollup_job(
    engine: Engine,
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> PeriodicJob:
    def run() -> RefreshResult:
        return refresh_rollups(engine, clock(), session_max_hours=settings.session_max_hours)

    return PeriodicJob(
        "rollups",
        REFRESH_INTERVAL_SECONDS,
        run,
        next_run=time.monotonic() + REFRESH_INTERVAL_SECONDS,
    )
