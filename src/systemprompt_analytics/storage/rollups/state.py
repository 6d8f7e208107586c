"""How far each rollup is built, and which of its hours are dirty.

``rollup_state.covered_until``: every hour before it is rolled up (and every day that ends by
then). ``rollup_dirty_hours``: hours whose raw rows changed after they were rolled up — reports
read those hours raw until a refresh recomputes them. Each mark carries a version raised by
every new mark of the hour, so a refresh clears only marks it has seen: a mark made while it
ran survives, and its hour is recomputed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, select, tuple_

from systemprompt_analytics.storage.dialect import excluded, upsert
from systemprompt_analytics.storage.schema import rollup_dirty_hours, rollup_state

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floored = floor_hour(moment)
    return floored if floored == moment else floored + HOUR


def floor_day(moment: datetime) -> datetime:
    return floor_hour(moment).replace(hour=0)


def ceil_day(moment: datetime) -> datetime:
    floored = floor_day(moment)
    return floored if floored == moment else floored + DAY


@dataclass(frozen=True)
class Coverage:
    """What a report may read from one rollup: hours before ``covered_until`` (None: nothing)
    except the ``dirty`` ones."""

    covered_until: datetime | None = None
    dirty: frozenset[datetime] = field(default_factory=frozenset)


NOTHING = Coverage()


def read_coverage(conn: Connection, names: Iterable[str]) -> dict[str, Coverage]:
    """The coverage of each named rollup (two small queries)."""
    wanted = sorted(set(names))
    state = rollup_state.c
    covered = dict(
        conn.execute(select(state.name, state.covered_until).where(state.name.in_(wanted))).all()
    )
    marks = rollup_dirty_hours.c
    dirty: dict[str, set[datetime]] = {}
    for name, hour in conn.execute(select(marks.name, marks.hour).where(marks.name.in_(wanted))):
        dirty.setdefault(name, set()).add(hour)
    return {name: Coverage(covered.get(name), frozenset(dirty.get(name, ()))) for name in wanted}


def set_covered(conn: Connection, name: str, until: datetime, now: datetime) -> None:
    statement = upsert(
        conn.dialect.name,
        rollup_state,
        ["name"],
        {
            "covered_until": excluded(rollup_state, "covered_until"),
            "updated_at": excluded(rollup_state, "updated_at"),
        },
    )
    conn.execute(statement, {"name": name, "covered_until": until, "updated_at": now})


def forget(conn: Connection, names: Iterable[str]) -> None:
    """Drop the coverage and marks of rollups (a rebuild starts them again)."""
    wanted = list(names)
    conn.execute(delete(rollup_state).where(rollup_state.c.name.in_(wanted)))
    conn.execute(delete(rollup_dirty_hours).where(rollup_dirty_hours.c.name.in_(wanted)))


def mark_dirty(conn: Connection, hours: Mapping[str, Iterable[datetime]], now: datetime) -> int:
    """Mark hours (of named rollups) dirty; a mark already there gets a new version.

    Rows go in a fixed order, so concurrent markers lock them in the same order.
    """
    rows = sorted({(name, floor_hour(hour)) for name, found in hours.items() for hour in found})
    if not rows:
        return 0
    marks = rollup_dirty_hours
    statement = upsert(
        conn.dialect.name,
        marks,
        ["name", "hour"],
        {"version": marks.c.version + 1, "marked_at": excluded(marks, "marked_at")},
    )
    conn.execute(
        statement,
        [{"name": name, "hour": hour, "version": 1, "marked_at": now} for name, hour in rows],
    )
    return len(rows)


@dataclass(frozen=True)
class Mark:
    name: str
    hour: datetime
    version: int


def settled_marks(conn: Connection, marked_before: datetime) -> list[Mark]:
    """Marks made before ``marked_before`` (later ones may still see their effects land)."""
    marks = rollup_dirty_hours.c
    rows = conn.execute(
        select(marks.name, marks.hour, marks.version)
        .where(marks.marked_at <= marked_before)
        .order_by(marks.name, marks.hour)
    )
    return [Mark(name, hour, int(version)) for name, hour, version in rows]


def clear_marks(conn: Connection, seen: Iterable[Mark]) -> None:
    """Delete the marks that still have the version seen (a newer mark stays)."""
    marks = rollup_dirty_hours.c
    keys = [(mark.name, mark.hour, mark.version) for mark in seen]
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        conn.execute(
            delete(rollup_dirty_hours).where(
                tuple_(marks.name, marks.hour, marks.version).in_(chunk)
            )
        )


def covered_hours(coverage: Coverage, start: datetime, end: datetime) -> bool:
    """True when every hour of ``[start, end)`` may be read from the rollup."""
    if coverage.covered_until is None or end > coverage.covered_until:
        return False
    return not any(start <= hour < end for hour in coverage.dirty)
