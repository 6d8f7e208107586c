"""The traffic reports' figures, summed from the traffic rollups (storage/rollups/specs.py).

Each traffic rollup holds the sessions of an hour or a day by one dimension (source, landing
page, location, device) and human/bot, with the sessions' page views, bounces and capped
duration, and the bucket's visitor keys. A list sums those measures per group, its totals over
every group, and its visitors are the size of the union of the groups' key sets — exact,
whatever the window, and regroupable (cities into countries, a device row into its browser).
The totals' visitors come from the ``session_visitors`` rollup (one key set per bucket).

A :class:`SessionFilter` on a source host or channel is applied to the rollup's keys where it
has them (the sources rollup) and otherwise read raw (``raw_condition``): the same rows then go
through the same sums, from the raw sessions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.sql import Select, Subquery

from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.storage.rollups import RollupReader
from systemprompt_analytics.storage.rollups.source import Columns
from systemprompt_analytics.storage.rollups.values import union_size

VISITOR_KEYS = "visitor_keys"
Group = tuple[Any, ...]  # a row's label values


@dataclass(frozen=True)
class Label:
    """A list's group column: the rollup key it reads and the text shown for NULL."""

    key: str
    name: str
    empty: str


def session_filter_on(where: SessionFilter, columns: Columns) -> ColumnElement[bool]:
    """``where`` on a traffic rollup's columns by name (the ones it has: see
    :func:`raw_session_condition`)."""
    parts: list[ColumnElement[bool]] = []
    if not where.include_bots:
        parts.append(columns["is_human"])
    for key, value in (("source", where.source), ("channel", where.channel)):
        if value is not None and key in columns:
            parts.append(columns[key] == value)
    return and_(true(), *parts)


def raw_session_condition(where: SessionFilter, keys: Iterable[str]) -> ColumnElement[bool] | None:
    """The filter on raw sessions when it names a source or channel the rollup with ``keys``
    does not group by (the report then reads raw rows only); None when the rollup can."""
    wanted = {key for key, value in (("source", where.source), ("channel", where.channel))
              if value is not None}  # fmt: skip
    return None if wanted <= set(keys) else where.condition()


def _measures(facts: Subquery | CTE) -> dict[str, ColumnElement[Any]]:
    """The sums a row of figures is made of, over a group's (or all) rows of ``facts``."""
    f = facts.c
    human = f.is_human
    return {
        "sessions": func.sum(f.sessions),
        "bot_sessions": func.sum(f.sessions).filter(not_(human)),
        "page_views": func.sum(f.page_views),
        "page_view_sessions": func.sum(f.page_view_sessions),
        "bounces": func.sum(f.bounces),
        "human_sessions": func.sum(f.sessions).filter(human),
        "duration_seconds_sum": func.sum(f.duration_seconds_sum).filter(human),
    }


TOTAL = "all_"  # the prefix of a grouped row's totals over every group


def _count(value: Any) -> int:
    return 0 if value is None else int(value)


def figures(
    sums: Mapping[str, Any],
    labels: Mapping[str, Any],
    visitors: int,
    total_sessions: int | None,
) -> dict[str, Any]:
    """One report row: its ``labels``, then its figures from its ``sums`` (shares of
    ``total_sessions``; of the row's own sessions when None: the totals)."""
    sessions = _count(sums["sessions"])
    human_sessions = _count(sums["human_sessions"])
    bounces = _count(sums["bounces"])
    return {
        **labels,
        "sessions": sessions,
        "bot_sessions": _count(sums["bot_sessions"]),
        "visitors": visitors,
        "page_views": _count(sums["page_views"]),
        "bounces": bounces,
        "share_of_all": ratio(sessions, sessions if total_sessions is None else total_sessions),
        "bounce_rate": ratio(bounces, _count(sums["page_view_sessions"])),
        "avg_visit_duration_seconds": (
            None
            if not human_sessions
            else round(float(sums["duration_seconds_sum"]) / human_sessions, 1)
        ),
    }


def _ranked(facts: CTE, index: int, labels: Sequence[Label], limit: int) -> Select[Any]:
    """One list's rows for :meth:`TrafficRollup.grouped`: its index, its label columns, the
    sums, the rank, the count of groups and the totals."""
    f = facts.c
    columns = [
        func.coalesce(f[label.key], label.empty).label(f"label_{i}")
        for i, label in enumerate(labels)
    ]
    measures = _measures(facts)
    groups = (
        select(*columns, *(sum_.label(name) for name, sum_ in measures.items()))
        .group_by(*columns)
        .subquery()
    )
    g = groups.c
    names = [g[f"label_{i}"] for i in range(len(labels))]
    rank = func.row_number().over(order_by=(g.sessions.desc(), *names))
    ranked = select(
        *names,
        *(g[name] for name in measures),
        rank.label("rank"),
        func.count().over().label("total_rows"),
        *(func.sum(g[name]).over().label(TOTAL + name) for name in measures),
    ).subquery()
    r = ranked.c
    return select(
        literal(index).label("list"),
        *(r[f"label_{i}"] for i in range(len(labels))),
        *(r[name] for name in measures),
        r["rank"],
        r.total_rows,
        *(r[TOTAL + name] for name in measures),
    ).where(r["rank"] <= limit)


@dataclass(frozen=True)
class Grouped:
    """A list's largest groups: each one's label values and sums, how many groups there are
    in all, and the sums over every group (None without any)."""

    groups: list[Group]
    sums: list[Mapping[str, Any]]
    total_rows: int
    totals: Mapping[str, Any] | None


@dataclass
class TrafficRollup:
    """One report's reading of one traffic rollup over a period, with a session filter."""

    conn: Connection
    source: RollupReader
    name: str
    cuts: Sequence[datetime]
    where: SessionFilter

    def __post_init__(self) -> None:
        keys = self.source.spec(self.name).keys
        self._raw_condition = raw_session_condition(self.where, keys)
        self._facts = self.source.facts(self.name, self.cuts, raw_condition=self._raw_condition)
        self._condition = session_filter_on(self.where, self._facts.c)

    def totals(self) -> Mapping[str, Any]:
        """The sums over every matching session."""
        measures = _measures(self._facts)
        statement = select(*(sum_.label(name) for name, sum_ in measures.items()))
        return dict(self.conn.execute(statement.where(self._condition)).one()._mapping)

    def grouped(self, lists: Mapping[str, Sequence[Label]], limit: int) -> dict[str, Grouped]:
        """Each list's ``limit`` largest groups by its labels (most sessions first, then by
        label), with its count of groups and the totals over every group — in one statement,
        so the window's raw rows (and their bounce look-ups) are read once for every list.
        The lists have as many labels each (their rows are stacked)."""
        if not lists:
            return {}
        facts = select(self._facts).where(self._condition).cte("traffic")
        measures = list(_measures(facts))
        parts = [
            _ranked(facts, index, labels, limit) for index, labels in enumerate(lists.values())
        ]
        statement = union_all(*parts) if len(parts) > 1 else parts[0]
        found: dict[int, list[Any]] = {index: [] for index in range(len(lists))}
        for row in self.conn.execute(statement):
            found[row._mapping["list"]].append(row._mapping)
        grouped: dict[str, Grouped] = {}
        for index, (name, labels) in enumerate(lists.items()):
            rows = sorted(found[index], key=lambda row: int(row["rank"]))
            grouped[name] = Grouped(
                groups=[tuple(row[f"label_{i}"] for i in range(len(labels))) for row in rows],
                sums=[{measure: row[measure] for measure in measures} for row in rows],
                total_rows=int(rows[0]["total_rows"]) if rows else 0,
                totals={measure: rows[0][TOTAL + measure] for measure in measures}
                if rows
                else None,
            )
        return grouped

    def visitors(
        self, keys: Sequence[str], shown: Sequence[tuple[Sequence[Label], Sequence[Group]]]
    ) -> dict[Group, list[Sequence[int]]]:
        """The visitor keys of the matching sessions in the ``shown`` groups (each list's
        labels and its rows' label values), by the values of ``keys``: sorted runs, one per
        bucket (a visitor may be in several)."""
        if not any(groups for _, groups in shown):
            return {}

        def where(columns: Columns) -> ColumnElement[bool]:
            return and_(session_filter_on(self.where, columns), _in_groups(columns, shown))

        found = self.source.key_runs(
            self.name,
            VISITOR_KEYS,
            self.cuts,
            keys=keys,
            where=where,
            raw_condition=self._raw_condition,
        )
        # One stretch between cuts and no trend bucket: groups differ by their keys alone.
        return {tuple(group[2:]): visitors for group, visitors in found.items()}

    def total_visitors(self) -> int:
        """Distinct visitors of every matching session: from the session visitors rollup (one
        set per bucket, the fewest keys to read) unless the filter names a source or channel,
        which only this rollup (or the raw rows) can tell apart."""
        if self.where.source is None and self.where.channel is None:
            found = self.source.key_runs(
                "session_visitors",
                VISITOR_KEYS,
                self.cuts,
                where=lambda columns: session_filter_on(self.where, columns),
            )
        else:
            found = self.source.key_runs(
                self.name,
                VISITOR_KEYS,
                self.cuts,
                where=lambda columns: session_filter_on(self.where, columns),
                raw_condition=self._raw_condition,
            )
        return union_size([run for runs in found.values() for run in runs])


def _label_is(column: Any, label: Label, value: Any) -> ColumnElement[bool]:
    if value == label.empty:  # the group of NULLs (and of any value spelled like them)
        return or_(column.is_(None), column == value)
    return column == value  # type: ignore[no-any-return]


def _has_empty_label(labels: Sequence[Label], group: Group) -> bool:
    return any(value == label.empty for label, value in zip(labels, group, strict=True))


def _in_groups(
    columns: Columns, shown: Sequence[tuple[Sequence[Label], Sequence[Group]]]
) -> ColumnElement[bool]:
    """Rows in one of the ``shown`` groups: an ``IN`` list of the plain label values (hashed
    by PostgreSQL), and a term per group with an empty label (NULL, or a value spelled so)."""
    terms: list[ColumnElement[bool]] = []
    for labels, groups in shown:
        keys = [columns[label.key] for label in labels]
        plain = [group for group in groups if not _has_empty_label(labels, group)]
        if plain:
            target = keys[0] if len(keys) == 1 else tuple_(*keys)
            terms.append(target.in_([group[0] for group in plain] if len(keys) == 1 else plain))
        terms += [
            and_(*(_label_is(key, label, value)
                   for key, label, value in zip(keys, labels, group, strict=True)))
            for group in groups
            if group not in plain
        ]  # fmt: skip
    return or_(false(), *terms)


def label_visitors(
    fine: dict[Group, list[Sequence[int]]],
    keys: Sequence[str],
    labels: Sequence[Label],
    wanted: Iterable[Group],
) -> dict[Group, int]:
    """Distinct visitors of each ``wanted`` group (label values of ``labels``), from sorted
    key runs by the values of ``keys`` (a finer grouping: each run falls in one group),
    counted without building a set of any group (:func:`union_size`)."""
    positions = [keys.index(label.key) for label in labels]
    parts: dict[Group, list[Sequence[int]]] = {group: [] for group in wanted}
    for key, runs in fine.items():
        label = tuple(
            labels[i].empty if key[position] is None else key[position]
            for i, position in enumerate(positions)
        )
        into = parts.get(label)
        if into is not None:
            into.extend(runs)
    return {group: union_size(runs) for group, runs in parts.items()}
