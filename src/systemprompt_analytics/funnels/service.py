"""FunnelService: define funnels, match live activity into progress, rebuild from history.

The writer calls :meth:`FunnelService.on_flush` with every batch it stored. Active funnel
definitions are cached (reloaded every ``refresh_seconds``, at once after a change made
through this service, and whenever a funnel's row shows a newer definition), so a batch costs
nothing while no funnel is defined. Each funnel's units are updated in one transaction per
batch under the locking protocol of :mod:`storage.repositories.funnels`, with the pure
:func:`~systemprompt_analytics.funnels.matcher.replay` — the same fold ``rebuild`` uses.

This is also the Python API (and what an HTTP API calls)::

    analytics.funnels.create(funnel_from_cli("Signup", ["Pricing=url_prefix:/pricing",
                                                        "Signup=event:signup"]))
    analytics.funnels.stats("Signup", Period(since, until))
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.funnels.activities import collect
from systemprompt_analytics.funnels.definition import Funnel, Unit, clean_name
from systemprompt_analytics.funnels.matcher import (
    NOT_STARTED,
    Activity,
    Progress,
    is_relevant,
    replay,
)
from systemprompt_analytics.ingest.writer import Batch
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.funnels import FunnelReport, funnel_report
from systemprompt_analytics.storage.repositories.funnels import (
    StoredFunnel,
    activity_session_ids,
    claim_progress,
    delete_funnel,
    delete_progress,
    find_funnel,
    insert_funnel,
    insert_progress,
    load_funnels,
    lock_funnel,
    lock_progress,
    mark_converted,
    progress_totals,
    save_progress,
    session_activities,
    sessions_by_visitor,
    update_funnel,
    visitor_hashes,
)
from systemprompt_analytics.storage.schema import client_events, request_events
from systemprompt_analytics.storage.write_lock import begin_writing

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 10.0
HISTORY_CHUNK = 500  # sessions whose history a rebuild reads at a time
ATTEMPTS = 4  # per funnel and batch, when the database reports a deadlock or a busy lock
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock, serialization failure


@dataclass(frozen=True)
class RebuildSummary:
    name: str
    units: int  # units with progress (reached step 1)
    completed: int


@dataclass(frozen=True)
class ApplyOutcome:
    stored: StoredFunnel
    action: Literal["created", "updated", "unchanged"]
    rebuilt: RebuildSummary | None = None  # progress matched from history, if it was


@dataclass(frozen=True)
class FunnelListing:
    stored: StoredFunnel
    units: int
    completed: int


class FunnelService:
    def __init__(
        self,
        engine: Engine,
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        self.failed_batches = 0
        self._clock = clock
        self._now = now
        self._cache: dict[int, StoredFunnel] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self._batches_seen = 0
        self._seen = threading.Condition()

    # -- definitions ---------------------------------------------------------------------

    def create(self, funnel: Funnel, *, backfill: bool = True) -> ApplyOutcome:
        """Store a new funnel; with ``backfill`` its progress is matched from the stored
        history at once. A name in use is an error (change a funnel with :meth:`apply`)."""
        try:
            with self.engine.begin() as conn:
                begin_writing(conn)
                stored = insert_funnel(conn, funnel, self._now())
                rebuilt = self._rebuild_in(conn, stored) if backfill else None
        except IntegrityError:
            raise InvalidInputError(
                "NAME",
                f"a funnel named {funnel.name!r} already exists "
                "(change it with `funnels apply`, or delete it first)",
            ) from None
        self.invalidate()
        return ApplyOutcome(stored, "created", rebuilt)

    def apply(self, funnels: Sequence[Funnel], *, backfill: bool = True) -> list[ApplyOutcome]:
        """Create or update each funnel by name. A funnel whose steps, mode, unit or window
        changed (or that is re-activated) has its progress recomputed from history
        (``backfill``) or cleared; an identical one is left alone."""
        outcomes = [self._apply_one(funnel, backfill) for funnel in funnels]
        self.invalidate()
        return outcomes

    def _apply_one(self, funnel: Funnel, backfill: bool) -> ApplyOutcome:
        with self.engine.begin() as conn:
            begin_writing(conn)
            existing = find_funnel(conn, funnel.name)
            if existing is None:
                stored = insert_funnel(conn, funnel, self._now())
                rebuilt = self._rebuild_in(conn, stored) if backfill else None
                return ApplyOutcome(stored, "created", rebuilt)
            if existing.funnel == funnel:
                return ApplyOutcome(existing, "unchanged")
            lock_funnel(conn, existing.id, exclusive=True)
            stored = update_funnel(conn, existing, funnel, self._now())
            reactivated = funnel.active and not existing.funnel.active
            if funnel.matches_like(existing.funnel) and not reactivated:
                return ApplyOutcome(stored, "updated")
            if backfill:
                return ApplyOutcome(stored, "updated", self._rebuild_in(conn, stored))
            delete_progress(conn, stored.id)
            return ApplyOutcome(stored, "updated")

    def list_funnels(self) -> list[FunnelListing]:
        """Every funnel (active or not) with its number of units and completions."""
        with self.engine.connect() as conn:
            totals = progress_totals(conn)
            return [
                FunnelListing(stored, *totals.get(stored.id, (0, 0)))
                for stored in load_funnels(conn)
            ]

    def get(self, name: str) -> StoredFunnel:
        with self.engine.connect() as conn:
            return self._find(conn, name)

    def delete(self, name: str) -> StoredFunnel:
        """Delete a funnel with its steps and progress; returns what was deleted."""
        with self.engine.begin() as conn:
            begin_writing(conn)
            stored = self._find(conn, name)
            lock_funnel(conn, stored.id, exclusive=True)
            delete_funnel(conn, stored.id)
        self.invalidate()
        return stored

    def stats(self, name: str, period: Period, *, include_bots: bool = False) -> FunnelReport:
        with self.engine.connect() as conn:
            return funnel_report(conn, self._find(conn, name), period, include_bots=include_bots)

    @staticmethod
    def _find(conn: Connection, name: str) -> StoredFunnel:
        stored = find_funnel(conn, clean_name(name, "NAME", "funnel name"))
        if stored is None:
            raise InvalidInputError("NAME", f"no funnel named {name.strip()!r}")
        return stored

    # -- rebuild ---------------------------------------------------------------------------

    def rebuild(self, name: str) -> RebuildSummary:
        """Recompute a funnel's progress from the stored history, replacing its rows.

        Runs in one transaction holding the funnel's exclusive lock: live ingestion of this
        funnel waits for it, and readers see the old rows until it commits.
        """
        with self.engine.begin() as conn:
            begin_writing(conn)
            stored = self._find(conn, name)
            lock_funnel(conn, stored.id, exclusive=True)
            return self._rebuild_in(conn, stored)

    def _rebuild_in(self, conn: Connection, stored: StoredFunnel) -> RebuildSummary:
        funnel = stored.funnel
        delete_progress(conn, stored.id)
        units = completed = 0
        for chunk in _history(conn, funnel.unit):
            results = {key: replay(funnel, NOT_STARTED, items) for key, items in chunk.items()}
            started = {key: item for key, item in results.items() if item.started}
            insert_progress(conn, stored.id, funnel, started)
            conversions = _conversions(funnel, dict.fromkeys(started, NOT_STARTED), started)
            mark_converted(conn, conversions)
            units += len(started)
            completed += sum(1 for item in started.values() if item.is_complete(funnel))
        return RebuildSummary(funnel.name, units, completed)

    # -- live ingestion ----------------------------------------------------------------------

    def on_flush(self, batch: Batch) -> None:
        """Writer listener: match the batch's page views and events into every active funnel.

        A failure is logged (``funnels rebuild`` recovers); it never reaches the writer."""
        try:
            funnels = self._definitions()
            if funnels:
                activities = collect(
                    batch.rows.get(request_events, ()), batch.rows.get(client_events, ())
                )
                self._ingest(funnels, activities)
        except Exception:
            self.failed_batches += 1
            logger.exception(
                "funnel matching failed for a batch; `sp-analytics funnels rebuild NAME` "
                "recomputes progress from the stored history"
            )
        finally:
            with self._seen:
                self._batches_seen += 1
                self._seen.notify_all()

    def wait_for_batches(self, count: int, timeout: float) -> bool:
        """Wait until :meth:`on_flush` has finished ``count`` batches; False on timeout.
        (The writer counts its flushes in ``stats.flushes`` and calls listeners in order.)"""
        deadline = time.monotonic() + timeout
        with self._seen:
            while self._batches_seen < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._seen.wait(remaining)
        return True

    def ingest(self, activities: Sequence[Activity]) -> int:
        """Match activities into every active funnel now; returns progress rows written."""
        return self._ingest(self._definitions(), activities)

    def invalidate(self) -> None:
        """Reload the definitions on the next batch."""
        with self._lock:
            self._cache = None

    def _definitions(self) -> list[StoredFunnel]:
        moment = self._clock()
        with self._lock:
            if self._cache is not None and moment - self._loaded_at < self.refresh_seconds:
                return list(self._cache.values())
        with self.engine.connect() as conn:
            loaded = load_funnels(conn, active_only=True)
        with self._lock:
            self._cache = {stored.id: stored for stored in loaded}
            self._loaded_at = moment
        return loaded

    def _ingest(self, funnels: Sequence[StoredFunnel], activities: Sequence[Activity]) -> int:
        written = 0
        if activities:
            for stored in funnels:
                written += self._ingest_funnel(stored, activities)
        return written

    def _ingest_funnel(self, stored: StoredFunnel, activities: Sequence[Activity]) -> int:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.engine.begin() as conn:
                    return self._match(conn, stored, activities)
            except DBAPIError as exc:
                if attempt == ATTEMPTS or not _transient(exc):
                    raise
                logger.info("funnel %r: retrying after %s", stored.funnel.name, exc.orig)
        return 0

    def _match(self, conn: Connection, stored: StoredFunnel, activities: Sequence[Activity]) -> int:
        version = lock_funnel(conn, stored.id, exclusive=False)
        if version is None:  # deleted since it was cached
            self._replace_cached(stored.id, None)
            return 0
        if version != stored.updated_at:  # changed since it was cached: use the new one
            fresh = load_funnels(conn, funnel_id=stored.id)
            stored_now = fresh[0] if fresh and fresh[0].funnel.active else None
            self._replace_cached(stored.id, stored_now)
            if stored_now is None:
                return 0
            stored = stored_now
        funnel = stored.funnel
        units = _by_unit(conn, funnel, [item for item in activities if is_relevant(funnel, item)])
        if not units:
            return 0
        keys = sorted(units)
        claim_progress(conn, stored.id, keys, min(item.at for item in activities))
        rows = lock_progress(conn, stored.id, keys)
        before: dict[str, Progress] = {}
        after: dict[str, Progress] = {}
        changes: dict[int, Progress] = {}
        for key in keys:
            if key not in rows:
                continue
            row_id, current = rows[key]
            updated = replay(funnel, current, units[key])
            before[key], after[key] = current, updated
            if updated != current or not current.started:
                changes[row_id] = updated
        save_progress(conn, funnel, changes)
        mark_converted(conn, _conversions(funnel, before, after))
        return sum(1 for item in changes.values() if item.started)

    def _replace_cached(self, funnel_id: int, stored: StoredFunnel | None) -> None:
        with self._lock:
            if self._cache is None:
                return
            if stored is None:
                self._cache.pop(funnel_id, None)
            else:
                self._cache[funnel_id] = stored


def _by_unit(
    conn: Connection, funnel: Funnel, activities: Sequence[Activity]
) -> dict[str, list[Activity]]:
    """Activities grouped by unit key: the session id, or the session's visitor hash
    (sessions without one cannot progress in a visitor funnel)."""
    grouped: dict[str, list[Activity]] = defaultdict(list)
    if funnel.unit is Unit.SESSION:
        for item in activities:
            grouped[item.session_id].append(item)
        return grouped
    visitors = visitor_hashes(conn, (item.session_id for item in activities))
    for item in activities:
        visitor = visitors.get(item.session_id)
        if visitor is not None:
            grouped[visitor].append(item)
    return grouped


def _history(conn: Connection, unit: Unit) -> Iterator[dict[str, list[Activity]]]:
    """The stored activity of every unit, a few hundred sessions at a time."""
    if unit is Unit.SESSION:
        session_ids = activity_session_ids(conn)
        for start in range(0, len(session_ids), HISTORY_CHUNK):
            grouped: dict[str, list[Activity]] = defaultdict(list)
            for item in session_activities(conn, session_ids[start : start + HISTORY_CHUNK]):
                grouped[item.session_id].append(item)
            yield grouped
        return
    owner: dict[str, str] = {}
    for visitor, session_ids in sessions_by_visitor(conn).items():
        owner.update(dict.fromkeys(session_ids, visitor))
        if len(owner) >= HISTORY_CHUNK:
            yield _visitor_chunk(conn, owner)
            owner = {}
    if owner:
        yield _visitor_chunk(conn, owner)


def _visitor_chunk(conn: Connection, owner: dict[str, str]) -> dict[str, list[Activity]]:
    grouped: dict[str, list[Activity]] = defaultdict(list)
    for item in session_activities(conn, list(owner)):
        grouped[owner[item.session_id]].append(item)
    return grouped


def _conversions(
    funnel: Funnel, before: dict[str, Progress], after: dict[str, Progress]
) -> list[tuple[str, datetime]]:
    """Sessions that completed the funnel with this change, and when (DESIGN §6: a session
    that reached a funnel's last step converted)."""
    found = [
        (progress.session_id, progress.reached[-1])
        for key, progress in after.items()
        if progress.session_id is not None
        and progress.is_complete(funnel)
        and not before[key].is_complete(funnel)
    ]
    return sorted(found)


def _transient(exc: DBAPIError) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a lock wait that timed out
    (SQLite): the transaction can simply be tried again."""
    if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)
