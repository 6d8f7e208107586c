"""Engagement summaries from the tracker's engagement events: per page and per session.

One engagement row describes one page view: engaged (visible and focused) time, scroll depth,
clicks, rage and dead clicks, and the reading pattern the tracker saw. Time on page is capped
at 30 minutes per row (``time_on_page_ms``). Per-page figures are sums and counts from the
``content_engagement`` rollup; averages are those sums over the engaged views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select
from sqlalchemy.sql import FromClause

from systemprompt_analytics.errors import InvalidInputError
from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.compare import ratio
from systemprompt_analytics.reports.content_facts import (
    counted,
    distinct_counts,
    facts_and_plan,
    in_groups,
    mean,
    number,
    raw_session_condition,
)
from systemprompt_analytics.reports.definitions import (
    READING_PATTERNS,
    bot_session,
    bounce_session,
    capped_duration_seconds,
    content_path,
    interactive_session,
    session_engaged_ms,
    time_on_page_ms,
)
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.rollup_facts import cuts, reader
from systemprompt_analytics.reports.top_groups import top_groups
from systemprompt_analytics.storage.repositories.content import add_registry_fields
from systemprompt_analytics.storage.schema import client_events, engagement_events, sessions

# The content_engagement rollup's measures (storage/rollups/specs.py), summed per page.
ENGAGEMENT_MEASURES = (
    "engaged_views",
    "time_on_page_ms_sum",
    "scroll_depth_sum",
    "clicks",
    "rage_clicks",
    "dead_clicks",
    "views_with_rage_clicks",
    "views_with_dead_clicks",
    *(f"pattern_{name}" for name in READING_PATTERNS),
)

UNKNOWN_PATTERN = "unknown"  # rows the tracker sent without a reading pattern


def _seconds(milliseconds: Any) -> float | None:
    return None if milliseconds is None else round(float(milliseconds) / 1000.0, 1)


def _sums(facts: FromClause) -> list[ColumnElement[Any]]:
    """The engagement rollup's measures summed (every one a count or a sum)."""
    return [func.sum(facts.c[name]).label(name) for name in ENGAGEMENT_MEASURES]


def _summary(row: dict[str, Any], total_views: int) -> dict[str, Any]:
    """A page's (or the totals') figures from its summed measures."""
    views = number(row["engaged_views"])
    patterns = {name: number(row[f"pattern_{name}"]) for name in READING_PATTERNS}
    patterns[UNKNOWN_PATTERN] = views - sum(patterns.values())
    scroll = mean(row["scroll_depth_sum"], views)
    summary: dict[str, Any] = {"path": row["path"]} if "path" in row else {}
    summary.update(
        {
            "engaged_views": views,
            "clicks": number(row["clicks"]),
            "rage_clicks": number(row["rage_clicks"]),
            "dead_clicks": number(row["dead_clicks"]),
            "views_with_rage_clicks": number(row["views_with_rage_clicks"]),
            "views_with_dead_clicks": number(row["views_with_dead_clicks"]),
            "share_of_all": ratio(views, total_views),
            "avg_time_on_page_seconds": _seconds(mean(row["time_on_page_ms_sum"], views)),
            "avg_scroll_depth": None if scroll is None else round(scroll, 1),
            "reading_patterns": {
                name: {"views": count, "share": ratio(count, views)}
                for name, count in patterns.items()
            },
        }
    )
    return summary


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
    *,
    use_rollups: bool = True,
) -> PageEngagement:
    """Per page (most engaged views first): average time on page and scroll depth, clicks,
    rage and dead clicks, and the reading-pattern mix. Shares are of all engaged views.

    Read from the engagement rollups (raw rows at the window's edges, and for a source or
    channel filter); ``use_rollups=False`` reads every row raw."""
    source = reader(conn, use_rollups)
    boundaries = cuts(period)
    raw = raw_session_condition(where)
    facts, plan = facts_and_plan(source, "content_engagement", boundaries, where)
    e = facts.c
    conditions = [counted(where, e)]
    if path is not None:
        conditions.append(e.path == path)
        totals_row = dict(conn.execute(select(*_sums(facts)).where(*conditions)).one()._mapping)
        total_rows = 1 if number(totals_row["engaged_views"]) else 0
    else:  # over all pages: the page-less rollup (far fewer rows), with the pages engaged
        everything = source.facts("content_engagement_totals", boundaries, raw_condition=raw)
        totals = select(*_sums(everything)).where(counted(where, everything.c))
        totals_row = dict(conn.execute(totals).one()._mapping)
        pages = distinct_counts(source, "content_engagement_totals", "page_keys", boundaries, where)
        total_rows = pages.get((0, None), 0)
    total_views = number(totals_row["engaged_views"])
    top = top_groups(
        conn,
        facts,
        plan,
        ("path",),
        "engaged_views",
        and_(*conditions),
        limit,
        rows_per_bucket=2 if where.include_bots else 1,
    )
    pages_shown = [(row["path"],) for row in top]
    statement = (
        select(e.path, *_sums(facts))
        .where(*conditions, in_groups(e, ("path",), pages_shown))
        .group_by(e.path)
    )
    summed = {row.path: dict(row._mapping) for row in conn.execute(statement)}
    rows = [_summary(summed[row["path"]], total_views) for row in top]
    add_registry_fields(conn, rows)
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
