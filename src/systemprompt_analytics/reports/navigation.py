"""Internal navigation: which page visitors went to next, from consecutive page views.

A transition is a page view and the page view before it in the same session (ordered by
time, then by id): it happens at the later view's time, so it is in the period when that
view is, whenever the earlier one was. Repeats of the same path (reloads) are not transitions.

Read from the navigation rollups — page views by their previous page with the sessions making
them, and over all transitions their count, sessions and distinct pairs (key sets, so
``sessions`` and ``total_rows`` are exact distinct counts) — with raw rows at the window's
edges; the most frequent transitions are found without summing every pair
(:mod:`.top_groups`). ``use_rollups=False`` reads every row raw and gives the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.content_facts import (
    counted,
    distinct_counts,
    facts_and_plan,
    in_groups,
    number,
    raw_session_condition,
)
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.rollup_facts import cuts, reader
from systemprompt_analytics.reports.top_groups import top_groups
from systemprompt_analytics.storage.repositories.content import Registered, registered_by_path
from systemprompt_analytics.storage.rollups import RollupReader
from systemprompt_analytics.storage.rollups.source import Columns

ENDS = ("from_path", "to_path")


@dataclass(frozen=True)
class NavigationReport:
    period: Period
    filters: SessionFilter
    from_path: str | None
    to_path: str | None
    totals: dict[str, Any]
    rows: list[dict[str, Any]]
    total_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": {**self.filters.to_dict(), "from": self.from_path, "to": self.to_path},
            "totals": self.totals,
            "transitions": {"rows": self.rows, "total_rows": self.total_rows},
        }


def _transitions(
    columns: Columns, from_path: str | None, to_path: str | None
) -> ColumnElement[bool]:
    """Rows of the navigation rollup (by column name) that are transitions asked for: a
    previous page that differs from the page, optionally a given one on either end."""
    conditions = [columns["from_path"].is_not(None), columns["from_path"] != columns["to_path"]]
    if from_path is not None:
        conditions.append(columns["from_path"] == from_path)
    if to_path is not None:
        conditions.append(columns["to_path"] == to_path)
    return and_(*conditions)


def _totals(
    conn: Connection,
    source: RollupReader,
    boundaries: list[datetime],
    where: SessionFilter,
    from_path: str | None,
    to_path: str | None,
) -> tuple[int, int, int]:
    """Transitions, the sessions making them and the distinct (from, to) pairs among them."""
    raw = raw_session_condition(where)
    if from_path is None and to_path is None:  # every transition: the page-less rollup
        totals = source.facts("navigation_totals", boundaries, raw_condition=raw)
        transitions = conn.execute(
            select(func.sum(totals.c.transitions)).where(counted(where, totals.c))
        ).scalar()
        sessions, pairs = (
            distinct_counts(source, "navigation_totals", column, boundaries, where).get(
                (0, None), 0
            )
            for column in ("session_keys", "pair_keys")
        )
        return number(transitions), sessions, pairs
    facts = source.facts("navigation", boundaries, raw_condition=raw)
    v = facts.c
    matching = and_(counted(where, v), _transitions(v, from_path, to_path))
    transitions = conn.execute(select(func.sum(v.page_views)).where(matching)).scalar()
    groups = select(v.from_path, v.to_path).where(matching).group_by(v.from_path, v.to_path)
    total_rows = conn.execute(select(func.count()).select_from(groups.subquery())).scalar_one()
    in_sessions = distinct_counts(
        source,
        "navigation",
        "session_keys",
        boundaries,
        where,
        also=lambda columns: _transitions(columns, from_path, to_path),
    )
    return number(transitions), in_sessions.get((0, None), 0), int(total_rows)


def navigation(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int = 20,
    from_path: str | None = None,
    to_path: str | None = None,
    *,
    use_rollups: bool = True,
) -> NavigationReport:
    """Transitions between (normalised) paths, most frequent first; ``from_path``/``to_path``
    keep those leaving or reaching one page. Shares are of every matching transition."""
    source = reader(conn, use_rollups)
    boundaries = cuts(period)
    facts, plan = facts_and_plan(source, "navigation", boundaries, where)
    matching = and_(counted(where, facts.c), _transitions(facts.c, from_path, to_path))
    top = top_groups(
        conn,
        facts,
        plan,
        ENDS,
        "page_views",
        matching,
        limit,
        rows_per_bucket=2 if where.include_bots else 1,
    )
    shown = [(row["from_path"], row["to_path"]) for row in top]
    transitions, in_sessions, total_rows = _totals(
        conn, source, boundaries, where, from_path, to_path
    )
    per_row = distinct_counts(
        source,
        "navigation",
        "session_keys",
        boundaries,
        where,
        keys=ENDS,
        also=lambda columns: and_(
            _transitions(columns, from_path, to_path), in_groups(columns, ENDS, shown)
        ),
    )
    registry = registered_by_path(conn, [path for pair in shown for path in pair])
    rows = []
    for found, (start, end) in zip(top, shown, strict=True):
        count = number(found["page_views"])
        rows.append(
            {
                "from_path": start,
                "to_path": end,
                "transitions": count,
                "sessions": per_row.get((0, None, start, end), 0),
                "share_of_all": ratio(count, transitions),
                "from_title": _title(registry, start),
                "to_title": _title(registry, end),
            }
        )
    return NavigationReport(
        period,
        where,
        from_path,
        to_path,
        {"transitions": transitions, "sessions": in_sessions},
        rows,
        total_rows,
    )


def _title(registry: dict[str, Registered], path: str) -> str | None:
    entry = registry.get(path)
    return entry.title if entry else None
