"""The batching writer: the only thing on the ingest side that talks to the database.

Requests hand it session activity and event rows and return at once; a background thread
flushes every ``flush_interval`` or ``batch_size`` items, in one transaction per batch:

1. session activity merged per session and upserted commutatively (counters add, times
   min/max, flags OR), so many processes can write the same session safely;
2. event rows appended (``COPY`` on PostgreSQL, ``executemany`` on SQLite).

If the database is unreachable the batch is kept and retried with exponential backoff while new
items keep queueing, up to ``max_pending``. Beyond that bound new items are dropped — never
blocking a request — and every drop is counted (:attr:`WriterStats.dropped`) and logged.
If the database refuses the batch's *data* (a value it cannot store), the batch is written in
ever smaller parts, each in its own transaction, so that only the rows it refuses are left out
— counted (:attr:`WriterStats.rejected`) and logged — and one bad value never holds up the rest.
``close()`` flushes everything that is left.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table

from systemprompt_analytics.ingest.activity import SessionActivity, SessionDelta, merge_activity
from systemprompt_analytics.ingest.write_errors import is_data_error
from systemprompt_analytics.storage.bulk import bulk_append
from systemprompt_analytics.storage.repositories.sessions import merge_rows

logger = logging.getLogger(__name__)
LOGGED_REFUSALS = 5  # rows the database refused that are logged in full, per batch


@dataclass(frozen=True, slots=True)
class WriterConfig:
    flush_interval: float = 0.25  # seconds
    batch_size: int = 5_000
    max_pending: int = 200_000
    retry_initial: float = 0.1
    retry_max: float = 5.0


@dataclass(slots=True)
class WriterStats:
    submitted: int = 0
    written_events: int = 0
    written_sessions: int = 0
    dropped: int = 0
    rejected: int = 0  # rows the database refused (bad values), left out of their batch
    flushes: int = 0
    failed_flushes: int = 0
    last_flush_seconds: float = 0.0
    last_error: str | None = None

    def snapshot(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


# What one queued item becomes in a batch: (session activity, table, row).
Entry = tuple[SessionActivity | None, Table | None, dict[str, Any] | None]
# Builds an Entry from a deferred item's payload, on the writer thread.
Expander = Callable[[Any], Entry]
# One queued item: an Entry, or (expander number, payload) for a deferred one. A plain tuple,
# as one is queued per request; the expander goes by number so that a deferred item of plain
# values is one the garbage collector stops tracking (see pipeline.RequestRecord).
_Item = Entry | tuple[int, Any]


# One part of a batch written on its own: session rows (table None) or one table's rows.
Part = tuple[Table | None, list[dict[str, Any]]]


@dataclass(slots=True)
class Batch:
    # The batch's session activity, merged per session (by session id) as items are taken:
    # one object per session rather than one per request held until the write, which would
    # outlive enough garbage collections to trigger full ones.
    sessions: dict[str, SessionDelta] = field(default_factory=dict)
    rows: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)
    size: int = 0
    # Set once the database refused the batch's data: the parts still to write, one
    # transaction each, and what was written so far (for the listeners).
    salvage: list[Part] | None = None
    salvaged: list[Part] = field(default_factory=list)


# Called after each successful flush with the batch written (e.g. to schedule bot scoring).
FlushListener = Callable[[Batch], None]


class BatchWriter:
    def __init__(
        self,
        engine: Engine,
        config: WriterConfig | None = None,
        listeners: Sequence[FlushListener] = (),
    ) -> None:
        self.engine = engine
        self.config = config or WriterConfig()
        self.stats = WriterStats()
        self._listeners = list(listeners)
        self._queue: deque[_Item] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._stopping = False
        self._draining = 0  # flush() calls waiting: write batch after batch until they return
        self._thread: threading.Thread | None = None
        self._last_drop_log = 0.0
        self._held: Batch | None = None  # a batch that failed to write, retried first
        self._expanders: list[Expander] = []  # deferred items' expanders, by number
        self._expander_numbers: dict[Expander, int] = {}

    # -- producer side (request path) ----------------------------------------------------

    def submit(
        self,
        activity: SessionActivity | None = None,
        table: Table | None = None,
        row: dict[str, Any] | None = None,
    ) -> bool:
        """Queue one item; never blocks. False (and counted) when the queue is full."""
        return self._enqueue((activity, table, row))

    def submit_deferred(self, expand: Expander, payload: Any) -> bool:
        """Queue an item whose activity and row ``expand(payload)`` builds when its batch is
        taken, on the writer thread; never blocks. False (and counted) when the queue is full.

        For the request path: a request hands over one tuple and returns; building its row and
        session activity happens in the writer's batch loop, where the same work costs a
        fraction of what it costs between two requests' worth of other code. ``expand`` must
        be pure, and ``payload`` must not change after it is queued.
        """
        number = self._expander_numbers.get(expand)
        if number is None:
            with self._lock:
                number = self._expander_numbers.setdefault(expand, len(self._expanders))
                if number == len(self._expanders):
                    self._expanders.append(expand)
        return self._enqueue((number, payload))

    def _enqueue(self, item: _Item) -> bool:
        with self._lock:
            if len(self._queue) + self._in_flight >= self.config.max_pending:
                self.stats.dropped += 1
                self._log_drop()
                return False
            self._queue.append(item)
            self.stats.submitted += 1
            full = len(self._queue) >= self.config.batch_size
        if full and not self._wake.is_set():
            self._wake.set()
        return True

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + self._in_flight

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> BatchWriter:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="sp-analytics-writer", daemon=True
            )
            self._thread.start()
        return self

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued so far is written; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            self._draining += 1
            try:
                self._wake.set()
                while self._queue or self._in_flight:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._idle.wait(min(remaining, 0.05))
                    self._wake.set()
            finally:
                self._draining -= 1
        return True

    def close(self, timeout: float = 30.0) -> bool:
        """Flush what is left and stop the thread. True when nothing was left behind."""
        if self._thread is None:
            # Never started (e.g. a CLI job that writes synchronously): write inline.
            while self._write_next_batch():
                pass
            return self.pending == 0
        flushed = self.flush(timeout)
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=max(1.0, timeout))
        self._thread = None
        return flushed

    # -- consumer side ---------------------------------------------------------------------

    def _run(self) -> None:
        delay = self.config.retry_initial
        while True:
            self._wake.wait(self.config.flush_interval)
            self._wake.clear()
            while True:
                try:
                    wrote = self._write_next_batch()
                except Exception as exc:  # the database is down or refused the batch
                    self.stats.failed_flushes += 1
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    logger.warning(
                        "analytics writer: flush failed, retrying in %.1fs (%s)",
                        delay,
                        self.stats.last_error,
                    )
                    time.sleep(delay)
                    delay = min(delay * 2, self.config.retry_max)
                    continue
                delay = self.config.retry_initial
                if not wrote or not self._write_again_now():
                    break
            if self._stopping:
                return

    def _write_again_now(self) -> bool:
        """After a batch: go on at once only for a full batch, a waiting flush() or shutdown.

        Otherwise the next batch gathers for ``flush_interval``. Writing whatever arrived during
        the previous write instead turns a busy writer into a loop of tiny batches, each paying
        the transaction's fixed cost, all of it taken from the request path's GIL.
        """
        with self._lock:
            return (
                self._draining > 0 or self._stopping or len(self._queue) >= self.config.batch_size
            )

    def _take_batch(self) -> Batch:
        batch = Batch()
        with self._lock:
            count = min(len(self._queue), self.config.batch_size)
            items = [self._queue.popleft() for _ in range(count)]
            self._in_flight += count
        sessions = batch.sessions
        rows_of = batch.rows
        for item in items:
            if len(item) == 2:
                entry = self._expand(item)
                if entry is None:
                    continue
                activity, table, row = entry
            else:
                activity, table, row = item
            if activity is not None:
                merge_activity(sessions, activity)
            if table is not None and row is not None:
                rows = rows_of.get(table)
                if rows is None:
                    rows = rows_of[table] = []
                rows.append(row)
        batch.size = count
        return batch

    def _expand(self, item: tuple[int, Any]) -> Entry | None:
        """A deferred item's entry; None (counted as dropped, logged) if its expander failed,
        so one bad item cannot cost the batch."""
        number, payload = item
        try:
            return self._expanders[number](payload)
        except Exception:
            with self._lock:
                self.stats.dropped += 1
            logger.exception("analytics writer: could not build a queued item; dropped")
            return None

    def _write_next_batch(self) -> bool:
        """Write one batch (the held one after a failure, else a new one). False if idle.

        Raises when the database cannot be reached (the batch stays held, for a retry)."""
        if self._held is None:
            self._held = self._take_batch()
        batch = self._held
        if batch.size == 0:
            self._held = None
            with self._idle:
                self._idle.notify_all()
            return False
        started = time.perf_counter()
        if batch.salvage is None:
            sessions = [delta.row() for delta in batch.sessions.values()]
            try:
                with self.engine.begin() as conn:
                    merge_rows(conn, sessions)
                    for table, rows in batch.rows.items():
                        bulk_append(conn, table, rows)
            except Exception as exc:
                if not is_data_error(exc, self.engine):
                    raise
                logger.warning(
                    "analytics writer: the database refused a batch's data (%s: %s); "
                    "writing it in parts to leave out only the refused rows",
                    type(exc).__name__,
                    str(exc)[:300],
                )
                # Popped from the end: the sessions first, then the rows that refer to them.
                batch.salvage = [*batch.rows.items(), (None, sessions)]
            else:
                written, session_count = batch, len(sessions)
        if batch.salvage is not None:
            self._salvage(batch.salvage, batch.salvaged)
            written = _written_part(batch)
            session_count = len(written.sessions)
        self._held = None
        self.stats.flushes += 1
        self.stats.written_sessions += session_count
        self.stats.written_events += sum(len(rows) for rows in written.rows.values())
        self.stats.last_flush_seconds = time.perf_counter() - started
        with self._idle:
            self._in_flight -= batch.size
            self._idle.notify_all()
        for listener in self._listeners:
            try:
                listener(written)
            except Exception:
                logger.exception("analytics writer: flush listener failed")
        return True

    def _salvage(self, pending: list[Part], written: list[Part]) -> None:
        """Write ``pending`` part by part, halving a part the database refuses until the
        refused rows stand alone; those are left out (counted, logged). Progress is kept in
        the two lists, so a retry after a lost connection writes nothing twice."""
        refused = 0
        while pending:
            table, rows = pending.pop()
            if not rows:
                continue
            try:
                with self.engine.begin() as conn:
                    self._write_part(conn, table, rows)
            except Exception as exc:
                if not is_data_error(exc, self.engine):
                    pending.append((table, rows))
                    raise
                if len(rows) > 1:
                    middle = len(rows) // 2
                    pending += [(table, rows[middle:]), (table, rows[:middle])]
                    continue
                with self._lock:
                    self.stats.rejected += 1
                refused += 1
                if refused <= LOGGED_REFUSALS:  # a systematic refusal must not flood the log
                    logger.error(
                        "analytics writer: the database refused a %s row, left out (%s: %s): %r",
                        "sessions" if table is None else table.name,
                        type(exc).__name__,
                        str(exc)[:300],
                        rows[0],
                    )
            else:
                written.append((table, rows))
        if refused > LOGGED_REFUSALS:
            logger.error(
                "analytics writer: %d more rows of the batch refused and left out",
                refused - LOGGED_REFUSALS,
            )

    @staticmethod
    def _write_part(conn: Connection, table: Table | None, rows: list[dict[str, Any]]) -> None:
        if table is None:
            merge_rows(conn, rows)
        else:
            bulk_append(conn, table, rows)

    def _log_drop(self) -> None:
        now = time.monotonic()
        if now - self._last_drop_log >= 10.0:
            self._last_drop_log = now
            logger.error(
                "analytics writer: queue full (%d pending), dropping events; %d dropped so far",
                self.config.max_pending,
                self.stats.dropped,
            )


def _written_part(batch: Batch) -> Batch:
    """What a salvaged batch stored: its written rows, and the activities of the sessions
    whose rows were written (what the flush listeners are told)."""
    stored_sessions = {row["id"] for table, rows in batch.salvaged if table is None for row in rows}
    written = Batch(
        {key: delta for key, delta in batch.sessions.items() if key in stored_sessions},
        size=batch.size,
    )
    for table, rows in batch.salvaged:
        if table is not None:
            written.rows.setdefault(table, []).extend(rows)
    return written
