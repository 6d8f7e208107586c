"""Content reports: page views, visitors and engagement per page, against the previous period.

A page is its normalised path (``content_path``); registry titles and slugs are added where the
path is registered. Page views are tracked page requests; engagement figures are averages over
the page views whose tracker sent an engagement event (time on page capped at 30 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, distinct, func, select, true

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.buckets import zero_filled
from systemprompt_analytics.reports.compare import (
    Comparison,
    aggregate_both_periods,
    avg_of,
    count_distinct_of,
    count_of,
    ratio,
)
from systemprompt_analytics.reports.definitions import (
    content_path,
    in_period,
    page_view,
    time_on_page_ms,
    trend_direction,
)
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket
from systemprompt_analytics.storage.repositories.content import add_registry_fields
from systemprompt_analytics.storage.schema import engagement_events, request_events, sessions

PAGE_VIEWS = request_events.join(sessions, sessions.c.id == request_events.c.session_id)
ENGAGEMENT = engagement_events.join(sessions, sessions.c.id == engagement_events.c.session_id)


def _seconds(milliseconds: Any) -> float | None:
    return None if milliseconds is None else round(float(milliseconds) / 1000.0, 1)


def _rounded(value: Any, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _path_condition(column: Any, path: str | None) -> ColumnElement[bool]:
    return true() if path is None else content_path(column) == path


@dataclass(frozen=True)
class Figure:
    """A figure against the previous period, with its trend (up/down/flat, ±5% band)."""

    comparison: Comparison

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        return {**c.to_dict(), "trend": trend_direction(c.current, c.previous)}


@dataclass(frozen=True)
class ContentStats:
    period: Period
    filters: SessionFilter
    figures: dict[str, Figure]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": self.filters.to_dict(),
            **{name: figure.to_dict() for name, figure in self.figures.items()},
        }

    def csv_rows(self) -> list[dict[str, Any]]:
        return [{"metric": name, **figure.to_dict()} for name, figure in self.figures.items()]


def content_stats(conn: Connection, period: Period, where: SessionFilter) -> ContentStats:
    """Page views, visitors, pages viewed, average time on page and scroll depth."""
    r, e = request_events.c, engagement_events.c
    views_now, views_before = aggregate_both_periods(
        conn,
        PAGE_VIEWS,
        r.occurred_at,
        period,
        {
            "page_views": count_of(),
            "visitors": count_distinct_of(sessions.c.visitor_hash, true()),
            "pages": count_distinct_of(content_path(r.path), true()),
        },
        where=and_(page_view(), where.condition()),
    )
    engaged_now, engaged_before = aggregate_both_periods(
        conn,
        ENGAGEMENT,
        e.occurred_at,
        period,
        {
            "engaged_views": count_of(),
            "time_ms": avg_of(time_on_page_ms(conn.dialect.name)),
            "scroll": avg_of(e.max_scroll_depth),
        },
        where=where.condition(),
    )

    def count(name: str, now: dict[str, Any], before: dict[str, Any]) -> Figure:
        return Figure(Comparison(int(now[name]), int(before[name])))

    return ContentStats(
        period,
        where,
        {
            "page_views": count("page_views", views_now, views_before),
            "unique_visitors": count("visitors", views_now, views_before),
            "pages_viewed": count("pages", views_now, views_before),
            "engaged_page_views": count("engaged_views", engaged_now, engaged_before),
            "avg_time_on_page_seconds": Figure(
                Comparison(
                    _seconds(engaged_now["time_ms"]), _seconds(engaged_before["time_ms"]), "mean"
                )
            ),
            "avg_scroll_depth": Figure(
                Comparison(
                    _rounded(engaged_now["scroll"]), _rounded(engaged_before["scroll"]), "mean"
                )
            ),
        },
    )


@dataclass(frozen=True)
class TopContent:
    period: Period
    filters: SessionFilter
    totals: dict[str, Any]
    rows: list[dict[str, Any]]
    total_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.to_dict(),
            "filters": self.filters.to_dict(),
            "totals": self.totals,
            "pages": {"rows": self.rows, "total_rows": self.total_rows},
        }


TOP_COLUMNS = (
    "path",
    "content_id",
    "slug",
    "title",
    "page_views",
    "share_of_all",
    "visitors",
    "engaged_views",
    "avg_time_on_page_seconds",
    "avg_scroll_depth",
    "previous_page_views",
    "change_pct",
    "trend",
)


def _views_by_path(period: Period, where: SessionFilter) -> Select[Any]:
    r = request_events.c
    path = content_path(r.path).label("path")
    now, before = in_period(r.occurred_at, period), in_period(r.occurred_at, period.previous)
    return (
        select(
            path,
            func.count().filter(now).label("page_views"),
            func.count().filter(before).label("previous_page_views"),
            func.count(distinct(sessions.c.visitor_hash)).filter(now).label("visitors"),
        )
        .select_from(PAGE_VIEWS)
        .where(
            page_view(),
            where.condition(),
            r.occurred_at >= period.previous.since,
            r.occurred_at < period.until,
        )
        .group_by(path)
        .having(func.count().filter(now) > 0)
    )


def _engagement_by_path(dialect_name: str, period: Period, where: SessionFilter) -> Select[Any]:
    e = engagement_events.c
    path = content_path(e.path).label("path")
    return (
        select(
            path,
            func.count().label("engaged_views"),
            func.avg(time_on_page_ms(dialect_name)).label("time_ms"),
            func.avg(e.max_scroll_depth).label("scroll"),
        )
        .select_from(ENGAGEMENT)
        .where(in_period(e.occurred_at, period), where.condition())
        .group_by(path)
    )


def top_content(
    conn: Connection, period: Period, where: SessionFilter, limit: int = 20
) -> TopContent:
    """Pages by page views; each page's share is of all page views in the period."""
    dialect = conn.dialect.name
    views = _views_by_path(period, where).subquery()
    engaged = _engagement_by_path(dialect, period, where).subquery()
    statement = (
        select(views, engaged.c.engaged_views, engaged.c.time_ms, engaged.c.scroll)
        .select_from(views.outerjoin(engaged, engaged.c.path == views.c.path))
        .order_by(views.c.page_views.desc(), views.c.path)
        .limit(limit)
    )
    stats = content_stats(conn, period, where).figures
    total_views = stats["page_views"].comparison.current
    rows = []
    for found in conn.execute(statement):
        row = dict(found._mapping)
        comparison = Comparison(row["page_views"], row["previous_page_views"])
        rows.append(
            {
                "path": row["path"],
                "page_views": row["page_views"],
                "share_of_all": ratio(row["page_views"], total_views),
                "visitors": row["visitors"],
                "engaged_views": row["engaged_views"] or 0,
                "avg_time_on_page_seconds": _seconds(row["time_ms"]),
                "avg_scroll_depth": _rounded(row["scroll"]),
                "previous_page_views": row["previous_page_views"],
                "change_pct": comparison.change_pct,
                "trend": trend_direction(comparison.current, comparison.previous),
            }
        )
    add_registry_fields(conn, rows)
    totals = {name: figure.to_dict() for name, figure in stats.items()}
    pages = stats["pages_viewed"].comparison.current
    return TopContent(period, where, totals, rows, int(pages or 0))


TREND_COUNTS = ("page_views", "visitors", "engaged_views")
TREND_COLUMNS = ("bucket", *TREND_COUNTS, "avg_time_on_page_seconds", "avg_scroll_depth")


def content_trends(
    conn: Connection,
    period: Period,
    granularity: Granularity,
    where: SessionFilter,
    path: str | None = None,
) -> list[dict[str, Any]]:
    """Per UTC bucket, zero-filled, the current (partial) bucket included: page views,
    visitors and engaged views; average time on page and scroll depth are null in a bucket
    without engagement (an average of nothing is not 0)."""
    dialect = conn.dialect.name
    r, e = request_events.c, engagement_events.c
    bucket = time_bucket(dialect, r.occurred_at, granularity).label("bucket")
    views = (
        select(
            bucket,
            func.count().label("page_views"),
            func.count(distinct(sessions.c.visitor_hash)).label("visitors"),
        )
        .select_from(PAGE_VIEWS)
        .where(
            page_view(),
            in_period(r.occurred_at, period),
            where.condition(),
            _path_condition(r.path, path),
        )
        .group_by(bucket)
    )
    engaged_bucket = time_bucket(dialect, e.occurred_at, granularity).label("bucket")
    engaged = (
        select(
            engaged_bucket,
            func.count().label("engaged_views"),
            func.avg(time_on_page_ms(dialect)).label("time_ms"),
            func.avg(e.max_scroll_depth).label("scroll"),
        )
        .select_from(ENGAGEMENT)
        .where(in_period(e.occurred_at, period), where.condition(), _path_condition(e.path, path))
        .group_by(engaged_bucket)
    )
    rows: dict[datetime, dict[str, Any]] = {}
    for statement in (views, engaged):
        for found in conn.execute(statement):
            rows.setdefault(bucket_start(found.bucket), {}).update(found._mapping)
    series = zero_filled(period, granularity, rows, TREND_COUNTS)
    for point in series:
        data = rows.get(datetime.fromisoformat(point["bucket"]), {})
        point["avg_time_on_page_seconds"] = _seconds(data.get("time_ms"))
        point["avg_scroll_depth"] = _rounded(data.get("scroll"))
    return series
