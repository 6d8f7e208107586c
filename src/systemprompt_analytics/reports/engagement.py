"""Engagement summaries from the tracker's engagement events: per page and per session.

One engagement row describes one page view: engaged (visible and focused) time, scroll depth,
clicks, rage and dead clicks, and the reading pattern the tracker saw. Time on page is capped
at 30 minutes per row (``time_on_page_ms``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.definitions import (
    bot_session,
    bounce_session,
    capped_duration_seconds,
    content_path,
    in_period,
    interactive_session,
    session_engaged_ms,
    time_on_page_ms,
)
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.storage.repositories.content import add_registry_fields
from systemprompt_analytics.storage.schema import client_events, engagement_events, sessions

READING_PATTERNS = ("bounce", "skim", "scan", "read", "engaged")
UNKNOWN_PATTERN = "unknown"  # rows the tracker sent without a reading pattern


def _seconds(milliseconds: Any) -> float | None:
    return None if milliseconds is None else round(float(milliseconds) / 1000.0, 1)


def _aggregates(dialect_name: str) -> list[ColumnElement[Any]]:
    e = engagement_events.c
    columns: list[ColumnElement[Any]] = [
        func.count().label("engaged_views"),
        func.avg(time_on_page_ms(dialect_name)).label("time_ms"),
        func.avg(e.max_scroll_depth).label("scroll"),
        func.coalesce(func.sum(e.click_count), 0).label("clicks"),
        func.coalesce(func.sum(e.rage_click_count), 0).label("rage_clicks"),
        func.coalesce(func.sum(e.dead_click_count), 0).label("dead_clicks"),
        func.count().filter(e.rage_click_count > 0).label("views_with_rage_clicks"),
        func.count().filter(e.dead_click_count > 0).label("views_with_dead_clicks"),
    ]
    for pattern in READING_PATTERNS:
        columns.append(func.count().filter(e.reading_pattern == pattern).label(pattern))
    return columns


def _summary(row: dict[str, Any], total_views: int) -> dict[str, Any]:
    views = int(row["engaged_views"])
    patterns = {name: int(row.pop(name)) for name in READING_PATTERNS}
    patterns[UNKNOWN_PATTERN] = views - sum(patterns.values())
    row["engaged_views"] = views
    row["share_of_all"] = ratio(views, total_views)
    row["avg_time_on_page_seconds"] = _seconds(row.pop("time_ms"))
    scroll = row.pop("scroll")
    row["avg_scroll_depth"] = None if scroll is None else round(float(scroll), 1)
    for name in ("clicks", "rage_clicks", "dead_clicks"):
        row[name] = int(row[name])
    row["reading_patterns"] = {
        name: {"views": count, "share": ratio(count, views)} for name, count in patterns.items()
    }
    return row


@dataclass(frozen=True)
class PageEngagement:
    period: Period
    filters: SessionFilter
    path: str | None
    totals: dict[str, Any]
    rows: list[dict[str, Any]]
    total_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": {**self.filters.to_dict(), "path": self.path},
            "totals": self.totals,
            "pages": {"rows": self.rows, "total_rows": self.total_rows},
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        """Rows with the reading-pattern mix flattened to ``pattern_<name>_share`` columns."""
        flat = []
        for row in self.rows:
            item = {key: value for key, value in row.items() if key != "reading_patterns"}
            for name, mix in row["reading_patterns"].items():
                item[f"pattern_{name}_share"] = mix["share"]
            flat.append(item)
        return flat


PAGE_COLUMNS = (
    "path",
    "content_id",
    "slug",
    "title",
    "engaged_views",
    "share_of_all",
    "avg_time_on_page_seconds",
    "avg_scroll_depth",
    "clicks",
    "rage_clicks",
    "dead_clicks",
    "views_with_rage_clicks",
    "views_with_dead_clicks",
    *(f"pattern_{name}_share" for name in (*READING_PATTERNS, UNKNOWN_PATTERN)),
)


def page_engagement(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int = 20,
    path: str | None = None,
) -> PageEngagement:
    """Per page (most engaged views first): average time on page and scroll depth, clicks,
    rage and dead clicks, and the reading-pattern mix. Shares are of all engaged views."""
    e = engagement_events.c
    dialect = conn.dialect.name
    page = content_path(e.path).label("path")
    source = engagement_events.join(sessions, sessions.c.id == e.session_id)
    conditions = [in_period(e.occurred_at, period), where.condition()]
    if path is not None:
        conditions.append(content_path(e.path) == path)
    totals_row = dict(
        conn.execute(select(*_aggregates(dialect)).select_from(source).where(*conditions))
        .one()
        ._mapping
    )
    total_views = int(totals_row["engaged_views"])
    statement = (
        select(page, *_aggregates(dialect))
        .select_from(source)
        .where(*conditions)
        .group_by(page)
        .order_by(func.count().desc(), page)
        .limit(limit)
    )
    rows = [_summary(dict(row._mapping), total_views) for row in conn.execute(statement)]
    add_registry_fields(conn, rows)
    groups = select(page).select_from(source).where(*conditions).group_by(page).subquery()
    total_rows = conn.execute(select(func.count()).select_from(groups)).scalar_one()
    return PageEngagement(
        period, where, path, _summary(totals_row, total_views), rows, int(total_rows)
    )


SESSION_PAGE_COLUMNS = (
    "occurred_at",
    "path",
    "title",
    "time_on_page_seconds",
    "engaged_seconds",
    "visible_seconds",
    "max_scroll_depth",
    "clicks",
    "rage_clicks",
    "dead_clicks",
    "first_interaction_seconds",
    "reading_pattern",
)


@dataclass(frozen=True)
class SessionEngagement:
    session: dict[str, Any]
    summary: dict[str, Any]
    pages: list[dict[str, Any]]
    events: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "summary": self.summary,
            "events": self.events,
            "pages": self.pages,
        }


def _session_row(conn: Connection, session_id: str) -> dict[str, Any]:
    c = sessions.c
    dialect = conn.dialect.name
    found = conn.execute(
        select(
            c.id,
            c.started_at,
            c.last_activity_at,
            capped_duration_seconds(dialect).label("duration_seconds"),
            c.page_view_count,
            content_path(c.landing_page).label("landing_page"),
            c.referrer_source,
            c.channel,
            c.country,
            c.device_type,
            c.browser,
            bot_session().label("is_bot"),
            bounce_session(dialect).label("is_bounce"),
            interactive_session().label("has_interactive_event"),
            session_engaged_ms(dialect).label("engaged_ms"),
        ).where(c.id == session_id)
    ).one_or_none()
    if found is None:
        raise InvalidInputError("--session", f"no session with id {session_id!r}")
    row = dict(found._mapping)
    for name in ("is_bot", "is_bounce", "has_interactive_event"):
        row[name] = bool(row[name])
    row["duration_seconds"] = round(float(row["duration_seconds"]), 1)
    row["started_at"] = row["started_at"].isoformat()
    row["last_activity_at"] = row["last_activity_at"].isoformat()
    return row


def session_engagement(conn: Connection, session_id: str) -> SessionEngagement:
    """One session: its engagement per page in order, totals, client events by type, and
    whether it is a bounce (DESIGN.md §6)."""
    session = _session_row(conn, session_id)
    engaged_ms = session.pop("engaged_ms")
    e = engagement_events.c
    capped = time_on_page_ms(conn.dialect.name).label("capped_ms")
    pages = []
    for found in conn.execute(
        select(engagement_events, content_path(e.path).label("page"), capped)
        .where(e.session_id == session_id)
        .order_by(e.occurred_at, e.id)
    ):
        row = found._mapping
        pages.append(
            {
                "occurred_at": row["occurred_at"].isoformat(),
                "path": row["page"],
                "time_on_page_seconds": _seconds(row["capped_ms"]),
                "engaged_seconds": _seconds(row["engaged_time_ms"]),
                "visible_seconds": _seconds(row["visible_time_ms"]),
                "max_scroll_depth": row["max_scroll_depth"],
                "clicks": row["click_count"],
                "rage_clicks": row["rage_click_count"],
                "dead_clicks": row["dead_click_count"],
                "first_interaction_seconds": _seconds(row["time_to_first_interaction_ms"]),
                "reading_pattern": row["reading_pattern"],
            }
        )
    add_registry_fields(conn, pages)
    events = {
        str(kind): int(count)
        for kind, count in conn.execute(
            select(client_events.c.event_type, func.count())
            .where(client_events.c.session_id == session_id)
            .group_by(client_events.c.event_type)
            .order_by(client_events.c.event_type)
        )
    }
    depths = [page["max_scroll_depth"] for page in pages]
    summary = {
        "engaged_pages": len(pages),
        "time_on_page_seconds": _seconds(engaged_ms),
        "avg_scroll_depth": round(sum(depths) / len(depths), 1) if depths else None,
        "clicks": sum(page["clicks"] for page in pages),
        "rage_clicks": sum(page["rage_clicks"] for page in pages),
        "dead_clicks": sum(page["dead_clicks"] for page in pages),
    }
    return SessionEngagement(session, summary, pages, events)
