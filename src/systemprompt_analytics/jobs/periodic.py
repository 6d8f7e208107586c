"""Running jobs on a fixed interval in a background thread (e.g. the hourly reputation job).

Each job's failures are logged and retried at its next turn; one slow job delays the others
but never the request path. Jobs that must run on one instance only take their own lock
(the reputation job takes a PostgreSQL advisory lock).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    name: str
    interval: float  # seconds
    run: Callable[[], object]
    next_run: float = 0.0  # monotonic time; 0 = as soon as started
    runs: int = 0
    failures: int = 0


class PeriodicJobs:
    def __init__(self, jobs: list[PeriodicJob], clock: Callable[[], float] = time.monotonic):
        self.jobs = jobs
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> int:
        """Run every job whose time has come; returns how many ran."""
        ran = 0
        for job in self.jobs:
            now = self._clock()
            if now < job.next_run:
                continue
            job.next_run = now + job.interval
            try:
                job.run()
                job.runs += 1
            except Exception:
                job.failures += 1
                logger.exception(
                    "periodic job %s failed; retrying in %.0fs", job.name, job.interval
                )
            ran += 1
        return ran

    def start(self) -> PeriodicJobs:
        if self._thread is None and self.jobs:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="sp-analytics-jobs", daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            wait = min(job.next_run for job in self.jobs) - self._clock()
            self._stop.wait(max(1.0, wait))
