"""SessionCleanupService: ends sessions that went idle and records how long they lasted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from systemprompt_analytics.config import Settings
from systemprompt_analytics.storage.repositories.sessions import (
    count_idle_sessions,
    end_idle_sessions,
)


@dataclass(frozen=True, slots=True)
class CleanupResult:
    ended: int
    dry_run: bool
    idle_before: datetime


class SessionCleanupService:
    def __init__(self, engine: Engine, idle_timeout: timedelta, max_age: timedelta) -> None:
        self.engine = engine
        self.idle_timeout = idle_timeout
        self.max_age = max_age

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> SessionCleanupService:
        return cls(
            engine,
            timedelta(minutes=settings.session_timeout_minutes),
            timedelta(hours=settings.session_max_hours),
        )

    def run(self, now: datetime, dry_run: bool = False) -> CleanupResult:
        """End every open session idle for the timeout (or older than the cap) as of ``now``."""
        operation = count_idle_sessions if dry_run else end_idle_sessions
        with self.engine.begin() as conn:
            ended = operation(conn, now=now, idle_timeout=self.idle_timeout, max_age=self.max_age)
        return CleanupResult(ended, dry_run, now - self.idle_timeout)
