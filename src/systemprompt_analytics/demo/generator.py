"""The demo data entry point: generate a dataset and write it to a migrated database.

The caller decides what happens to existing data; :func:`generate_demo` expects empty
activity tables and marks the database as demo data (``analytics_meta`` key ``demo_seed``).
Generation and writing alternate batch by batch, so memory stays bounded at any size.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from systemprompt_analytics.demo.build import generate_batches
from systemprompt_analytics.demo.timeline import Window
from systemprompt_analytics.demo.writer import write_batches
from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.storage.maintenance import set_meta
from systemprompt_analytics.storage.rollups import rebuild_rollups

DEMO_SEED_KEY = "demo_seed"
MIN_SESSIONS = 10
MAX_SESSIONS = 5_000_000
MAX_DAYS = 366
# For the progress total of the writing phase, known exactly only at the end.
EXPECTED_ROWS_PER_SESSION = 17
ROLLUP_PHASE = "Building rollups"

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    rows_by_table: dict[str, int]
    seconds: float
    start: datetime
    end: datetime
    seed: int

    @property
    def total_rows(self) -> int:
        return sum(self.rows_by_table.values())


def default_end() -> datetime:
    """Now, floored to the minute (UTC)."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def generate_demo(
    engine: Engine,
    *,
    days: int = 14,
    sessions: int = 20_000,
    seed: int = 42,
    end: datetime | None = None,
    progress: Progress | None = None,
    rollups: bool = False,
) -> DemoSummary:
    """Generate ``sessions`` sessions (humans, bots, CLI) over the ``days`` before ``end``
    and insert them with their events, users and platform activity.

    The same ``seed`` and ``end`` give identical rows. ``progress`` is called with
    (phase label, done, total) as generation and writing advance. ``rollups`` also builds
    the report rollups (``sp-analytics demo`` does; reports are right either way).
    """
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInputError("days", f"must be between 1 and {MAX_DAYS}, got {days}")
    if not MIN_SESSIONS <= sessions <= MAX_SESSIONS:
        raise InvalidInputError(
            "sessions", f"must be between {MIN_SESSIONS} and {MAX_SESSIONS:,}, got {sessions}"
        )
    if end is not None and end.tzinfo is None:
        raise InvalidInputError("end", "must be timezone-aware (UTC)")
    started = time.perf_counter()
    window = Window.ending_at(end if end is not None else default_end(), days)
    batches = generate_batches(window, sessions, seed, progress)
    counts = write_batches(engine, batches, progress, sessions * EXPECTED_ROWS_PER_SESSION)
    with engine.begin() as conn:
        set_meta(conn, DEMO_SEED_KEY, str(seed))
    if rollups:
        # Written in bulk, not through the writer: build the report rollups over all of it.
        if progress is not None:
            progress(ROLLUP_PHASE, 0, 1)
        rebuild_rollups(engine, datetime.now(UTC))
        if progress is not None:
            progress(ROLLUP_PHASE, 1, 1)
    return DemoSummary(
        rows_by_table=counts,
        seconds=time.perf_counter() - started,
        start=window.start,
        end=window.end,
        seed=seed,
    )
