"""The hourly fingerprint reputation job.

One pass over ``[now - window, now)`` updates every fingerprint seen there (totals, velocity,
incidents, score, flag) and lets idle fingerprints with a past incident recover. It runs in
one transaction. On PostgreSQL the transaction first takes
``pg_try_advisory_xact_lock(REPUTATION_LOCK_KEY)``: when another instance holds it, this run
does nothing and says so (the lock is released when that instance's transaction ends). On
SQLite, an embedded single-process database, it just runs.

Running twice for the same ``now`` changes nothing the second time: rows carry the ``now``
they were counted up to (``updated_at``), see :mod:`storage.repositories.reputation`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, text

from systemprompt_analytics.detection.reputation import (
    DEFAULT_POLICY,
    Reputation,
    ReputationPolicy,
    recover,
    score_period,
)
from systemprompt_analytics.storage.repositories.reputation import (
    PeriodBatch,
    idle_rows,
    period_activity,
    save_rows,
)
from systemprompt_analytics.storage.write_lock import begin_writing

__all__ = ["REPUTATION_LOCK_KEY", "ReputationJob", "ReputationResult"]

# "sp_repu" as a 64-bit advisory lock key; constant so every instance agrees on it.
REPUTATION_LOCK_KEY = 0x73705F7265707500
SKIPPED = "skipped: another instance holds the lock"


@dataclass(frozen=True, slots=True)
class ReputationResult:
    """What one run did. ``skipped`` runs changed nothing (``message`` says why)."""

    now: datetime
    skipped: bool
    message: str
    updated: int = 0
    recovered: int = 0
    new_incidents: int = 0
    flagged: int = 0


class ReputationJob:
    """Updates ``fingerprint_reputation`` from recent sessions and requests.

    ``on_locked`` (optional) is called with the connection once the run holds the lock, before
    any work: a hook for tests and instrumentation.
    """

    def __init__(
        self,
        engine: Engine,
        window: timedelta = timedelta(hours=1),
        policy: ReputationPolicy = DEFAULT_POLICY,
        on_locked: Callable[[Connection], None] | None = None,
    ) -> None:
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        self.engine = engine
        self.window = window
        self.policy = policy
        self.on_locked = on_locked

    def run(self, now: datetime) -> ReputationResult:
        """One pass as of ``now`` (timezone-aware), in one transaction."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        with self.engine.begin() as conn:
            if not _try_lock(conn):
                return ReputationResult(now, skipped=True, message=SKIPPED)
            begin_writing(conn)
            if self.on_locked is not None:
                self.on_locked(conn)
            return self._update(conn, now)

    def _update(self, conn: Connection, now: datetime) -> ReputationResult:
        batch = period_activity(conn, now - self.window, now, self.policy)
        seen = [
            score_period(batch.rows.get(item.fingerprint_hash), item, self.policy)
            for item in batch.activities
        ]
        recovered = self._recover_idle(conn, now, batch)
        changed = [row for row in seen if row != batch.rows.get(row.fingerprint_hash)]
        save_rows(conn, changed + recovered)
        return ReputationResult(
            now,
            skipped=False,
            message=f"updated {len(changed)} fingerprints, {len(recovered)} idle",
            updated=len(changed),
            recovered=len(recovered),
            new_incidents=_new_incidents(seen, batch.rows),
            flagged=sum(1 for row in seen + recovered if row.is_flagged),
        )

    def _recover_idle(
        self, conn: Connection, now: datetime, batch: PeriodBatch
    ) -> list[Reputation]:
        """Recovery and last-hour velocity for fingerprints not seen in this period."""
        seen = {item.fingerprint_hash for item in batch.activities}
        updated: list[Reputation] = []
        for row in idle_rows(conn, now, self.policy):
            if row.fingerprint_hash in seen:
                continue
            new = recover(row, now, self.policy, batch.velocity.get(row.fingerprint_hash))
            if new != row:
                updated.append(new)
        return updated


def _try_lock(conn: Connection) -> bool:
    """Take the job's transaction-scoped advisory lock on PostgreSQL; always True on SQLite."""
    if conn.dialect.name != "postgresql":
        return True
    statement = text("SELECT pg_try_advisory_xact_lock(:key)")
    return bool(conn.execute(statement, {"key": REPUTATION_LOCK_KEY}).scalar_one())


def _new_incidents(rows: list[Reputation], before: dict[str, Reputation]) -> int:
    total = 0
    for row in rows:
        previous = before.get(row.fingerprint_hash)
        total += row.abuse_incidents - (previous.abuse_incidents if previous else 0)
    return total
