"""The writer's flush listener: mark the rolled-up hours a batch changed after the fact.

Most batches only hold new activity, in hours no refresh has rolled up yet, and cost nothing
here. A batch is *late* for a rollup when it holds rows older than the rollup's settling
delay (a retried or replayed report, an imported log) or touches a session that started
that long ago (a conversion, a platform fact reported against an old session): those hours
are marked dirty, reports read them raw until the next refresh recomputes them.

Marks are written after the writer committed the batch (the listener runs then), so a
refresh either saw the batch's rows or sees the mark. A mark that cannot be written is kept
and retried with the next batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from systemprompt_analytics.ingest.writer import Batch
from systemprompt_analytics.storage.rollups.refresh import DEFAULT_SESSION_HOURS, settling_delay
from systemprompt_analytics.storage.rollups.specs import RollupSpec, rollup_specs
from systemprompt_analytics.storage.rollups.state import HOUR, floor_hour, mark_dirty
from systemprompt_analytics.storage.schema import sessions

logger = logging.getLogger(__name__)

# Rows this much younger than a rollup's settling delay are marked too: a refresh on another
# host with its clock this far ahead may have rolled their hour up already.
CLOCK_SLACK = timedelta(minutes=5)
SESSION_CHUNK = 1_000

Marks = dict[str, set[datetime]]


def _hours(start: datetime, end: datetime) -> Iterable[datetime]:
    hour = floor_hour(start)
    while hour <= end:
        yield hour
        hour += HOUR


def mark_late(
    conn: Connection,
    table_name: str,
    times: Iterable[datetime],
    now: datetime,
    session_max_hours: int = DEFAULT_SESSION_HOURS,
) -> int:
    """In the caller's transaction, mark the hours of ``times`` (rows of ``table_name``
    written or changed) that the rollups fed by that table may have rolled up already: for
    facts written directly, not through the writer (platform/store.py)."""
    marks: Marks = {}
    for spec in rollup_specs(conn.dialect.name).values():
        if table_name not in spec.fed_by:
            continue
        bound = now - settling_delay(spec, session_max_hours) + CLOCK_SLACK
        late = {floor_hour(moment) for moment in times if moment < bound}
        if late:
            marks[spec.name] = late
    return mark_dirty(conn, marks, now) if marks else 0


class RollupMarker:
    def __init__(
        self,
        engine: Engine,
        session_max_hours: int = DEFAULT_SESSION_HOURS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.session_max_hours = session_max_hours
        self.clock = clock
        self.failed_batches = 0
        self._pending: Marks = {}
        self._pending_sessions: set[str] = set()
        self._lock = threading.Lock()

    def _bound(self, spec: RollupSpec, now: datetime) -> datetime:
        return now - settling_delay(spec, self.session_max_hours) + CLOCK_SLACK

    def late_rows(self, batch: Batch, now: datetime) -> Marks:
        """The rolled-up (or about to be) hours that the batch's rows fall in."""
        marks: Marks = {}
        for table, rows in batch.rows.items():
            for spec in rollup_specs(self.engine.dialect.name).values():
                column = spec.fed_by.get(table.name)
                if column is None:
                    continue
                bound = self._bound(spec, now)
                late = {floor_hour(row[column]) for row in rows if row[column] < bound}
                if late:
                    marks.setdefault(spec.name, set()).update(late)
        return marks

    def late_sessions(self, session_ids: Iterable[str], now: datetime) -> Marks:
        """The hours that sessions started long ago count in (they may have changed)."""
        specs = [s for s in rollup_specs(self.engine.dialect.name).values()
                 if s.settling == "sessions"]  # fmt: skip
        ids = sorted(set(session_ids))
        marks: Marks = {}
        if not ids or not specs:
            return marks
        bound = min(self._bound(spec, now) for spec in specs)
        for start, end in self._old_sessions(ids, bound):
            for spec in specs:
                marks.setdefault(spec.name, set()).update(_hours(start, end))
        return marks

    def _old_sessions(self, ids: list[str], bound: datetime) -> list[tuple[Any, Any]]:
        """(start, last activity) of the sessions among ``ids`` that started before ``bound``:
        every hour they count in may have changed, from the one they started in."""
        s = sessions.c
        found: list[tuple[Any, Any]] = []
        with self.engine.connect() as conn:
            for index in range(0, len(ids), SESSION_CHUNK):
                chunk = ids[index : index + SESSION_CHUNK]
                found += conn.execute(
                    select(s.started_at, s.last_activity_at).where(
                        s.id.in_(chunk), s.started_at < bound
                    )
                ).all()
        return found

    def on_flush(self, batch: Batch) -> None:
        """Writer listener; never raises (what could not be marked is retried with the next
        batch)."""
        with self._lock:
            now = self.clock()
            for name, hours in self.late_rows(batch, now).items():
                self._pending.setdefault(name, set()).update(hours)
            self._pending_sessions.update(batch.sessions)
            try:
                for name, hours in self.late_sessions(self._pending_sessions, now).items():
                    self._pending.setdefault(name, set()).update(hours)
                self._pending_sessions = set()
                if self._pending:
                    with self.engine.begin() as conn:
                        mark_dirty(conn, self._pending, now)
                    self._pending = {}
            except Exception:
                self.failed_batches += 1
                logger.exception(
                    "rollups: could not mark late hours dirty; retrying with the next batch "
                    "(`sp-analytics rollups rebuild --since` recomputes them)"
                )
