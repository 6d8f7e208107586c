"""Internal navigation: which page visitors went to next, from consecutive page views.

A transition is a page view followed by the next page view of the same session (ordered by
time, then by id), both in the period. Repeats of the same path (reloads) are not transitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, distinct, func, select

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.definitions import content_path, in_period, page_view
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.storage.repositories.content import registered_by_path
from systemprompt_analytics.storage.schema import request_events, sessions


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


def navigation(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int = 20,
    from_path: str | None = None,
    to_path: str | None = None,
) -> NavigationReport:
    """Transitions between (normalised) paths, most frequent first; ``from_path``/``to_path``
    keep those leaving or reaching one page. Shares are of every matching transition."""
    r = request_events.c
    path = content_path(r.path)
    views = (
        select(
            r.session_id,
            path.label("from_path"),
            func.lead(path)
            .over(partition_by=r.session_id, order_by=(r.occurred_at, r.id))
            .label("to_path"),
        )
        .select_from(request_events.join(sessions, sessions.c.id == r.session_id))
        .where(page_view(), in_period(r.occurred_at, period), where.condition())
        .subquery()
    )
    v = views.c
    conditions = [v.to_path.is_not(None), v.to_path != v.from_path]
    if from_path is not None:
        conditions.append(v.from_path == from_path)
    if to_path is not None:
        conditions.append(v.to_path == to_path)
    matching = and_(*conditions)
    transitions, in_sessions = conn.execute(
        select(func.count(), func.count(distinct(v.session_id))).where(matching)
    ).one()
    statement = (
        select(
            v.from_path,
            v.to_path,
            func.count().label("transitions"),
            func.count(distinct(v.session_id)).label("sessions"),
        )
        .where(matching)
        .group_by(v.from_path, v.to_path)
        .order_by(func.count().desc(), v.from_path, v.to_path)
        .limit(limit)
    )
    rows = [dict(row._mapping) for row in conn.execute(statement)]
    registry = registered_by_path(
        conn, [row["from_path"] for row in rows] + [row["to_path"] for row in rows]
    )
    for row in rows:
        row["share_of_all"] = ratio(row["transitions"], transitions)
        for end in ("from", "to"):
            entry = registry.get(row[f"{end}_path"])
            row[f"{end}_title"] = entry.title if entry else None
    groups = select(v.from_path, v.to_path).where(matching).group_by(v.from_path, v.to_path)
    total_rows = conn.execute(select(func.count()).select_from(groups.subquery())).scalar_one()
    return NavigationReport(
        period,
        where,
        from_path,
        to_path,
        {"transitions": int(transitions), "sessions": int(in_sessions)},
        rows,
        int(total_rows),
    )
