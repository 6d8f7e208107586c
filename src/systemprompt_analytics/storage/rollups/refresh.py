"""Keeping rollups up to date: roll up the hours that have settled, recompute dirty ones.

A refresh advances each rollup's ``covered_until`` to the last hour that can no longer change
(:data:`~.specs.FACTS_DELAY` after it for facts, the longest session plus an hour for
session-bound rollups), computing those hours from raw rows, and recomputes the hours marked
dirty (rows written late, costs repriced) along with their days. Work goes in transactions of
at most :data:`HOURS_PER_TRANSACTION` new hours, so a first run over a large history neither
holds locks for long nor loses its progress.

Concurrency: on PostgreSQL each transaction takes an advisory lock, so one instance refreshes
at a time (the others skip, or wait when rebuilding); on SQLite the transaction takes the
database write lock first. A bucket is recomputed by one statement reading committed rows;
a writer that commits rows of an already rolled-up hour marks it after committing, so either
the statement saw those rows or the mark is newer than the one the refresh clears.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, func, select, text

from systemprompt_analytics.storage.rollups.compute import recompute_day, recompute_hours
from systemprompt_analytics.storage.rollups.specs import FACTS_DELAY, RollupSpec, rollup_specs
from systemprompt_analytics.storage.rollups.state import (
    DAY,
    HOUR,
    Mark,
    clear_marks,
    floor_day,
    floor_hour,
    forget,
    mark_dirty,
    read_coverage,
    set_covered,
    settled_marks,
)
from systemprompt_analytics.storage.write_lock import begin_writing

# "sp_roll" as a 64-bit advisory lock key; constant so every instance agrees on it.
ROLLUP_LOCK_KEY = 0x73705F726F6C6C00
HOURS_PER_TRANSACTION = 24 * 7
ANALYZE_AFTER_HOURS = 24 * 7
# Marks younger than this wait: a session's late change may still be followed by its
# behavioural verdict or conversion, written just after the batch that marked it.
MARK_SETTLE = timedelta(minutes=2)
DEFAULT_SESSION_HOURS = 24


@dataclass
class RefreshResult:
    skipped: bool = False
    hours: int = 0  # hourly buckets recomputed
    days: int = 0  # daily buckets recomputed
    marks: int = 0  # dirty marks cleared
    covered_until: dict[str, datetime | None] = field(default_factory=dict)

    @property
    def message(self) -> str:
        if self.skipped:
            return "skipped: another instance holds the lock"
        return f"recomputed {self.hours} hours and {self.days} days, cleared {self.marks} marks"


def settling_delay(spec: RollupSpec, session_max_hours: int) -> timedelta:
    """How long after an hour ends its rows may still change."""
    if spec.settling == "sessions":
        return timedelta(hours=session_max_hours + 1)
    return FACTS_DELAY


def _lock(conn: Connection, wait: bool) -> bool:
    if conn.dialect.name != "postgresql":
        begin_writing(conn)  # queue for the write lock before reading anything
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    found = conn.execute(text(f"SELECT {function}(:key)"), {"key": ROLLUP_LOCK_KEY}).scalar()
    return wait or bool(found)


def _earliest_hour(
    conn: Connection, spec: RollupSpec, since: datetime | None = None
) -> datetime | None:
    """The hour of the first raw row of ``spec`` (at or after ``since``); None if none."""
    statement = select(func.min(spec.time)).select_from(spec.source)
    if since is not None:
        statement = statement.where(spec.time >= since)
    if spec.where is not None:
        statement = statement.where(spec.where)
    earliest = conn.execute(statement).scalar()
    return None if earliest is None else floor_hour(earliest)


def _ranges(hours: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """Sorted hours as contiguous ``[start, end)`` ranges."""
    ranges: list[tuple[datetime, datetime]] = []
    for hour in sorted(set(hours)):
        if ranges and ranges[-1][1] == hour:
            ranges[-1] = (ranges[-1][0], hour + HOUR)
        else:
            ranges.append((hour, hour + HOUR))
    return ranges


def _step(
    conn: Connection,
    spec: RollupSpec,
    covered: datetime | None,
    target: datetime,
    marks: Sequence[Mark],
    now: datetime,
    result: RefreshResult,
) -> bool:
    """One transaction's work on one rollup; True when it has more to do."""
    stored = covered
    if covered is None:
        covered = _earliest_hour(conn, spec)
        if covered is None:
            # No raw rows yet: nothing to cover, and no marked hour was rolled up (the marks of
            # a session-bound rollup come with its sessions, even when it has no rows of them).
            clear_marks(conn, marks)
            result.marks += len(marks)
            return False
    days: set[datetime] = set()
    # No bucket exists past the coverage, so hours without raw rows there need no work: skip
    # to the next hour with rows (else an import of an old log walks every hour since its
    # first line, ~1 ms each). The day the skip starts in still gets its daily bucket.
    following = _earliest_hour(conn, spec, covered) if covered < target else None
    skip_to = min(following or target, target)
    if skip_to > covered:
        days.add(floor_day(covered))
        covered = skip_to
    new_until = max(covered, min(target, covered + timedelta(hours=HOURS_PER_TRANSACTION)))
    dirty = {mark.hour for mark in marks if mark.hour < covered}
    hours = dirty | set(_hours_between(covered, new_until))
    for start, end in _ranges(hours):
        recompute_hours(conn, spec, start, end)
        result.hours += int((end - start) / HOUR)
    days |= {floor_day(hour) for hour in hours}
    for day in sorted(days):
        if day + DAY <= new_until:
            recompute_day(conn, spec, day)
            result.days += 1
    done = [mark for mark in marks if mark.hour < new_until]
    clear_marks(conn, done)
    result.marks += len(done)
    if new_until != stored:
        set_covered(conn, spec.name, new_until, now)
    result.covered_until[spec.name] = new_until
    return new_until < target


def _hours_between(start: datetime, end: datetime) -> Iterable[datetime]:
    hour = start
    while hour < end:
        yield hour
        hour += HOUR


def refresh_rollups(
    engine: Engine,
    now: datetime,
    *,
    session_max_hours: int = DEFAULT_SESSION_HOURS,
    names: Iterable[str] | None = None,
    wait: bool = False,
    settle: timedelta = MARK_SETTLE,
) -> RefreshResult:
    """Bring the rollups up to date as of ``now``: settled hours rolled up, dirty hours
    recomputed (those marked at least ``settle`` ago). With ``wait`` (PostgreSQL) wait for
    another instance's refresh instead of skipping."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    result = RefreshResult()
    pending = True
    while pending:
        pending = False
        with engine.begin() as conn:
            if not _lock(conn, wait):
                result.skipped = True
                return result
            specs = _selected(conn, names)
            coverage = read_coverage(conn, specs)
            by_name: dict[str, list[Mark]] = defaultdict(list)
            for mark in settled_marks(conn, now - settle):
                by_name[mark.name].append(mark)
            for name, spec in specs.items():
                target = floor_hour(now - settling_delay(spec, session_max_hours))
                covered = coverage[name].covered_until
                more = _step(conn, spec, covered, target, by_name[name], now, result)
                pending = pending or more
    if result.hours >= ANALYZE_AFTER_HOURS:
        _analyze(engine, names)
    return result


def _analyze(engine: Engine, names: Iterable[str] | None) -> None:
    """Fresh planner statistics after a large refresh: a rollup table grown from nothing
    would otherwise be planned as empty (and aggregated on disk) until autovacuum comes by."""
    with engine.begin() as conn:
        for spec in _selected(conn, names).values():
            for table in (spec.hourly, spec.daily):
                conn.exec_driver_sql(f'ANALYZE "{table.name}"')


def rebuild_rollups(
    engine: Engine,
    now: datetime,
    *,
    since: datetime | None = None,
    session_max_hours: int = DEFAULT_SESSION_HOURS,
    names: Iterable[str] | None = None,
) -> RefreshResult:
    """Recompute the rollups from raw rows — all of them, or the buckets from ``since`` on —
    then bring them up to date (e.g. after an import that bypassed the writer)."""
    with engine.begin() as conn:
        _lock(conn, wait=True)
        specs = _selected(conn, names)
        if since is None:
            forget(conn, specs)
            for spec in specs.values():
                conn.execute(delete(spec.hourly))
                conn.execute(delete(spec.daily))
        else:
            _rewind(conn, specs, since, now)
    return refresh_rollups(engine, now, session_max_hours=session_max_hours, names=names, wait=True)


def _rewind(conn: Connection, specs: dict[str, RollupSpec], since: datetime, now: datetime) -> None:
    """Forget every bucket from ``since`` on, so the refresh computes them again."""
    hour, day = floor_hour(since), floor_day(since)
    coverage = read_coverage(conn, specs)
    for name, spec in specs.items():
        conn.execute(delete(spec.hourly).where(spec.hourly.c.bucket_at >= hour))
        conn.execute(delete(spec.daily).where(spec.daily.c.bucket_at >= day))
        covered = coverage[name].covered_until
        if covered is not None and covered > hour:
            set_covered(conn, name, hour, now)


def _selected(conn: Connection, names: Iterable[str] | None) -> dict[str, RollupSpec]:
    specs = rollup_specs(conn.dialect.name)
    if names is None:
        return dict(specs)
    return {name: specs[name] for name in names}


def mark_written(
    conn: Connection, table_name: str, times: Iterable[datetime], now: datetime
) -> int:
    """Mark dirty the hours of every rollup fed by ``table_name`` that rows at ``times`` were
    written (or changed) in, in the caller's transaction: for writes that bypass the writer,
    e.g. repricing costs."""
    hours = {floor_hour(moment) for moment in times}
    specs = rollup_specs(conn.dialect.name).values()
    return mark_dirty(conn, {spec.name: hours for spec in specs if table_name in spec.fed_by}, now)
