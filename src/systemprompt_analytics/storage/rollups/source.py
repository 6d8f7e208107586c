"""Reading rollups in reports: a window's rows as whole days, whole hours and raw rows.

A report asks for the rows of its window (cut at every boundary it compares across, e.g.
the previous period's start, the period's start and its end). Each stretch between two cuts
is read as daily buckets where whole days are rolled up and clean, hourly buckets for the
other rolled-up clean hours, and raw rows for the rest (partial hours at the edges, hours
not rolled up yet, dirty hours). Raw rows come through the rollup's own per-row measure
expressions, so every part has the same columns and the report sums measures over their
``UNION ALL`` — the same figures as over the raw rows alone (``use_rollups=False``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select, union_all
from sqlalchemy.sql import Subquery

from systemprompt_analytics.storage.rollups.specs import RollupSpec, rollup_specs
from systemprompt_analytics.storage.rollups.state import (
    DAY,
    HOUR,
    NOTHING,
    Coverage,
    ceil_hour,
    floor_day,
    floor_hour,
    read_coverage,
)
from systemprompt_analytics.storage.rollups.values import (
    KEY_TYPECODE,
    key_of,
    union_size,
    unpack,
    unpack_keys,
)

Range = tuple[datetime, datetime]


class Columns(Protocol):
    """Columns by name: a table's or subquery's ``.c``, or a rollup's key expressions."""

    def __getitem__(self, name: str, /) -> Any: ...

    def __contains__(self, name: str, /) -> bool: ...


KeyFilter = Callable[[Columns], ColumnElement[bool]]


@dataclass(frozen=True)
class Plan:
    """Which stretches of a window to read from which tier (half-open ranges)."""

    daily: tuple[Range, ...] = ()
    hourly: tuple[Range, ...] = ()
    raw: tuple[Range, ...] = ()


def _append(ranges: list[Range], start: datetime, end: datetime) -> None:
    if ranges and ranges[-1][1] == start:
        ranges[-1] = (ranges[-1][0], end)
    else:
        ranges.append((start, end))


def plan_window(cuts: Sequence[datetime], coverage: Coverage, *, days: bool = True) -> Plan:
    """Split ``[cuts[0], cuts[-1])`` into tiers so that no bucket straddles a cut.

    ``days=False`` leaves the daily tier out (a report bucketing by hour)."""
    daily: list[Range] = []
    hourly: list[Range] = []
    raw: list[Range] = []
    covered = coverage.covered_until
    for start, end in pairwise(cuts):
        if start >= end:
            continue
        first = ceil_hour(start)
        last = floor_hour(end) if covered is None else min(floor_hour(end), covered)
        if covered is None or first >= last:
            _append(raw, start, end)
            continue
        if start < first:
            _append(raw, start, first)
        hour = first
        while hour < last:
            day_end = hour + DAY
            if (
                days
                and hour == floor_day(hour)
                and day_end <= last
                and not any(hour <= dirty < day_end for dirty in coverage.dirty)
            ):
                _append(daily, hour, day_end)
                hour = day_end
                continue
            _append(raw if hour in coverage.dirty else hourly, hour, hour + HOUR)
            hour += HOUR
        if last < end:
            _append(raw, last, end)
    return Plan(tuple(daily), tuple(hourly), tuple(raw))


def _within(column: Any, ranges: Sequence[Range]) -> ColumnElement[bool]:
    return or_(*(and_(column >= start, column < end) for start, end in ranges))


# Up to this many ranges of a tier are read by a branch each, more by one branch.
SPLIT_RANGES = 8


def _branches(ranges: Sequence[Range]) -> list[Sequence[Range]]:
    """The ranges of a tier grouped into the branches of a window's ``UNION ALL``: one range
    each (up to :data:`SPLIT_RANGES`). SQLite pushes a report's bounds on the whole window
    into every branch and then reads all of the window's rows through the index, testing
    each against an OR of the ranges — a month of page views for minutes at its edges."""
    if len(ranges) > SPLIT_RANGES:
        return [ranges]
    return [(found,) for found in ranges]


@dataclass(frozen=True)
class ValueRun:
    """Sorted values of one bucket (or of one hour of raw rows) and the group they are in."""

    interval: int  # index of the stretch between cuts
    bucket_at: datetime
    key: tuple[Any, ...]
    values: array[int]


@dataclass
class RollupReader:
    """Reads rollups for one report; ``enabled=False`` reads everything raw."""

    conn: Connection
    enabled: bool = True
    _coverage: dict[str, Coverage] = field(default_factory=dict)

    def spec(self, name: str) -> RollupSpec:
        return rollup_specs(self.conn.dialect.name)[name]

    def coverage(self, name: str) -> Coverage:
        if not self.enabled:
            return NOTHING
        if not self._coverage:
            self._coverage = read_coverage(self.conn, rollup_specs(self.conn.dialect.name))
        return self._coverage.get(name, NOTHING)

    def plan(self, name: str, cuts: Sequence[datetime], *, days: bool = True) -> Plan:
        return plan_window(cuts, self.coverage(name), days=days)

    def facts(
        self,
        name: str,
        cuts: Sequence[datetime],
        *,
        days: bool = True,
        raw_condition: ColumnElement[bool] | None = None,
    ) -> Subquery:
        """The window's rows of rollup ``name`` — ``bucket_at``, its keys and measures —
        from daily and hourly buckets and raw rows. ``raw_condition`` (on the raw table)
        narrows to rows the rollup cannot tell apart, so everything is read raw."""
        spec = self.spec(name)
        plan = (
            Plan(raw=((cuts[0], cuts[-1]),))
            if raw_condition is not None
            else self.plan(name, cuts, days=days)
        )
        names = ["bucket_at", *spec.keys, *(measure.name for measure in spec.measures)]
        parts: list[Select[Any]] = []
        for tier, ranges in (("daily", plan.daily), ("hourly", plan.hourly)):
            table = spec.daily if tier == "daily" else spec.hourly
            columns = [table.c[column] for column in names]
            parts += [
                select(*columns).where(_within(table.c.bucket_at, branch))
                for branch in _branches(ranges)
            ]
        raw = plan.raw if plan.raw or parts else ((cuts[0], cuts[-1]),)
        parts += [self._raw(spec, branch, raw_condition) for branch in _branches(raw)]
        if len(parts) == 1:
            return parts[0].subquery(name)
        return union_all(*parts).subquery(name)

    def _raw(
        self, spec: RollupSpec, ranges: Sequence[Range], condition: ColumnElement[bool] | None
    ) -> Select[Any]:
        conditions = [_within(spec.time, ranges)]
        if spec.where is not None:
            conditions.append(spec.where)
        if condition is not None:
            conditions.append(condition)
        return (
            select(
                spec.time.label("bucket_at"),
                *(expression.label(key) for key, expression in spec.keys.items()),
                *(measure.expression.label(measure.name) for measure in spec.measures),
            )
            .select_from(spec.source)
            .where(*conditions)
        )

    def values(
        self,
        name: str,
        column: str,
        cuts: Sequence[datetime],
        *,
        keys: Sequence[str] = (),
        where: KeyFilter | None = None,
        days: bool = True,
        raw_condition: ColumnElement[bool] | None = None,
    ) -> list[ValueRun]:
        """The sorted values of value column ``column`` in the window, as runs by bucket and
        group (``keys``), each with the stretch between cuts it falls in. ``where`` builds a
        condition from the rollup's key columns (by name), for buckets and raw rows alike;
        ``raw_condition`` (on the raw table) reads everything raw, as in :meth:`facts`."""
        spec = self.spec(name)
        plan = (
            Plan(raw=((cuts[0], cuts[-1]),))
            if raw_condition is not None
            else self.plan(name, cuts, days=days)
        )
        runs: list[ValueRun] = []
        for tier, ranges in (("daily", plan.daily), ("hourly", plan.hourly)):
            if not ranges:
                continue
            table = spec.daily if tier == "daily" else spec.hourly
            statement = select(
                table.c.bucket_at, *(table.c[key] for key in keys), table.c[column]
            ).where(_within(table.c.bucket_at, ranges), table.c[column].is_not(None))
            if where is not None:
                statement = statement.where(where(table.c))
            for row in self.conn.execute(statement):
                bucket = row[0]
                interval = _interval(cuts, bucket)
                values = unpack(row[-1], spec.value_typecode(column))
                runs.append(ValueRun(interval, bucket, tuple(row[1:-1]), values))
        if plan.raw:
            runs += self._raw_values(spec, column, cuts, plan.raw, keys, where, raw_condition)
        return runs

    def _raw_values(
        self,
        spec: RollupSpec,
        column: str,
        cuts: Sequence[datetime],
        ranges: Sequence[Range],
        keys: Sequence[str],
        where: KeyFilter | None,
        condition: ColumnElement[bool] | None,
    ) -> list[ValueRun]:
        value = spec.values[column]
        statement = (
            select(spec.time, *(spec.keys[key] for key in keys), value)
            .select_from(spec.source)
            .where(_within(spec.time, ranges), value.is_not(None))
        )
        if spec.where is not None:
            statement = statement.where(spec.where)
        if where is not None:
            statement = statement.where(where(spec.keys))
        if condition is not None:
            statement = statement.where(condition)
        grouped: dict[tuple[int, datetime, tuple[Any, ...]], list[int]] = {}
        for row in self.conn.execute(statement):
            moment = row[0]
            group = (_interval(cuts, moment), floor_hour(moment), tuple(row[1:-1]))
            grouped.setdefault(group, []).append(int(row[-1]))
        return [
            ValueRun(interval, bucket, key, array(spec.value_typecode(column), sorted(found)))
            for (interval, bucket, key), found in grouped.items()
        ]

    def distinct(
        self,
        name: str,
        column: str,
        cuts: Sequence[datetime],
        *,
        keys: Sequence[str] = (),
        where: KeyFilter | None = None,
        days: bool = True,
        raw_condition: ColumnElement[bool] | None = None,
        when: Callable[[datetime], Any] | None = None,
    ) -> dict[tuple[Any, ...], set[int]]:
        """The distinct keys of key-set column ``column`` in the window, by group: the stretch
        between cuts, ``when(bucket)`` (a trend's bucket; None without ``when``) and the
        values of ``keys``. Arguments as in :meth:`values`; each bucket of a ``when`` must be
        made of whole hours (days for daily buckets), which ``days=False`` ensures for hours."""
        found: dict[tuple[Any, ...], set[int]] = {}
        runs = self._key_runs(name, column, cuts, keys, where, days, raw_condition, when)
        for group, run in runs:
            into = found.get(group)
            if into is None:
                into = found[group] = set()
            into.update(run)
        return found

    def distinct_counts(
        self,
        name: str,
        column: str,
        cuts: Sequence[datetime],
        *,
        keys: Sequence[str] = (),
        where: KeyFilter | None = None,
        days: bool = True,
        raw_condition: ColumnElement[bool] | None = None,
        when: Callable[[datetime], Any] | None = None,
    ) -> dict[tuple[Any, ...], int]:
        """How many distinct keys each group of :meth:`distinct` holds (the same arguments),
        counted without building one large set (:func:`.values.union_size`)."""
        found = self.key_runs(
            name, column, cuts, keys=keys, where=where, days=days,
            raw_condition=raw_condition, when=when,
        )  # fmt: skip
        return {group: union_size(group_runs) for group, group_runs in found.items()}

    def key_runs(
        self,
        name: str,
        column: str,
        cuts: Sequence[datetime],
        *,
        keys: Sequence[str] = (),
        where: KeyFilter | None = None,
        days: bool = True,
        raw_condition: ColumnElement[bool] | None = None,
        when: Callable[[datetime], Any] | None = None,
    ) -> dict[tuple[Any, ...], list[Sequence[int]]]:
        """The keys of each group of :meth:`distinct` (the same arguments) as sorted runs,
        one per bucket (a key may be in several): for :func:`.values.union_size`, which can
        also count the union of several groups' runs without building any set of them."""
        found: dict[tuple[Any, ...], list[Sequence[int]]] = {}
        runs = self._key_runs(name, column, cuts, keys, where, days, raw_condition, when)
        for group, run in runs:
            found.setdefault(group, []).append(run)
        return found

    def _key_runs(
        self,
        name: str,
        column: str,
        cuts: Sequence[datetime],
        keys: Sequence[str],
        where: KeyFilter | None,
        days: bool,
        raw_condition: ColumnElement[bool] | None,
        when: Callable[[datetime], Any] | None,
    ) -> Iterator[tuple[tuple[Any, ...], array[int]]]:
        """Each bucket's sorted keys, and the raw rows' keys sorted per group, by group."""
        spec = self.spec(name)
        plan = (
            Plan(raw=((cuts[0], cuts[-1]),))
            if raw_condition is not None
            else self.plan(name, cuts, days=days)
        )

        def group_of(moment: datetime, key: tuple[Any, ...]) -> tuple[Any, ...]:
            return (_interval(cuts, moment), when(moment) if when else None, *key)

        for tier, ranges in (("daily", plan.daily), ("hourly", plan.hourly)):
            if not ranges:
                continue
            table = spec.daily if tier == "daily" else spec.hourly
            statement = select(
                table.c.bucket_at, *(table.c[key] for key in keys), table.c[column]
            ).where(_within(table.c.bucket_at, ranges), table.c[column].is_not(None))
            if where is not None:
                statement = statement.where(where(table.c))
            for row in self.conn.execute(statement):
                yield group_of(row[0], tuple(row[1:-1])), unpack_keys(row[-1])
        if plan.raw:
            raw = spec.sets[column]
            statement = (
                select(spec.time, *(spec.keys[key] for key in keys), raw)
                .select_from(spec.source)
                .where(_within(spec.time, plan.raw), raw.is_not(None))
            )
            if spec.where is not None:
                statement = statement.where(spec.where)
            if where is not None:
                statement = statement.where(where(spec.keys))
            if raw_condition is not None:
                statement = statement.where(raw_condition)
            grouped: dict[tuple[Any, ...], set[int]] = {}
            for row in self.conn.execute(statement):
                grouped.setdefault(group_of(row[0], tuple(row[1:-1])), set()).add(key_of(row[-1]))
            for group, found in grouped.items():
                yield group, array(KEY_TYPECODE, sorted(found))


def _interval(cuts: Sequence[datetime], moment: datetime) -> int:
    """Index of the stretch ``[cuts[i], cuts[i + 1])`` holding ``moment``."""
    for index, (start, end) in enumerate(pairwise(cuts)):
        if start <= moment < end:
            return index
    raise ValueError(f"{moment.isoformat()} is outside the window")
