"""Running a report on a connection of the app's database (what ``cli.context.read`` does
for the CLI, on the engine the app already holds)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from systemprompt_analytics.service import Analytics

T = TypeVar("T")


class ReportReader:
    def __init__(self, analytics: Analytics) -> None:
        self.analytics = analytics

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on a fresh connection. Called from sync endpoints, which FastAPI runs
        in its thread pool, so a slow query never blocks the event loop."""
        with self.analytics.engine.connect() as conn:
            return work(conn)
