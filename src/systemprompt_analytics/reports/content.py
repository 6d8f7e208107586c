"""Content reports: page views, visitors and engagement per page, against the previous period.

A page is its normalised path (``content_path``); registry titles and slugs are added where the
path is registered. Page views are tracked page requests; engagement figures are averages over
the page views whose tracker sent an engagement event (time on page capped at 30 minutes).

Every figure is read from the content rollups (:mod:`.content_facts`): page views, visitor
key sets and engagement sums per page, and the same over all pages (with the set of pages
viewed) for the totals and the all-pages trend — raw rows only at the window's edges and for
the filters the rollups cannot express; ``use_rollups=False`` reads every row raw and gives
the same figures. Averages are sums over counts; visitors and pages are exact distinct counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, true

from systemprompt_analytics.models.period import Period
from systemprompt_analytics.reports.buckets import floor_to_bucket, zero_filled
from systemprompt_analytics.reports.compare import (
    Comparison,
    aggregate_both_periods,
    ratio,
    sum_of,
)
from systemprompt_analytics.reports.content_facts import (
    counted,
    current_and_previous,
    distinct_counts,
    facts_and_plan,
    in_groups,
    mean,
    number,
    raw_session_condition,
)
from systemprompt_analytics.reports.definitions import trend_direction
from systemprompt_analytics.reports.filters import SessionFilter
from systemprompt_analytics.reports.rollup_facts import cuts, reader
from systemprompt_analytics.reports.top_groups import top_groups
from systemprompt_analytics.storage.dialect import Granularity, bucket_start, time_bucket
from systemprompt_analytics.storage.repositories.content import add_registry_fields
from systemprompt_analytics.storage.rollups import RollupReader
from systemprompt_analytics.storage.rollups.source import Columns

# The engagement rollups' measures an engagement average needs: its count and sums.
ENGAGEMENT_SUMS = ("engaged_views", "time_on_page_ms_sum", "scroll_depth_sum")


def _seconds(milliseconds: Any) -> float | None:
    return None if milliseconds is None else round(float(milliseconds) / 1000.0, 1)


def _rounded(value: Any, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


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


def _sums_both_periods(
    conn: Connection,
    source: RollupReader,
    name: str,
    measures: tuple[str, ...],
    period: Period,
    where: SessionFilter,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``measures`` of rollup ``name`` summed over the period and the previous one."""
    facts = source.facts(
        name, cuts(period, previous=True), raw_condition=raw_session_condition(where)
    )
    return aggregate_both_periods(
        conn,
        facts,
        facts.c.bucket_at,
        period,
        {measure: sum_of(facts.c[measure]) for measure in measures},
        where=counted(where, facts.c),
    )


def _stats(
    conn: Connection, source: RollupReader, period: Period, where: SessionFilter
) -> ContentStats:
    views_now, views_before = _sums_both_periods(
        conn, source, "content_totals", ("page_views",), period, where
    )
    engaged_now, engaged_before = _sums_both_periods(
        conn, source, "content_engagement_totals", ENGAGEMENT_SUMS, period, where
    )
    boundaries = cuts(period, previous=True)
    distinct = {
        name: current_and_previous(
            distinct_counts(source, "content_totals", column, boundaries, where)
        )
        for name, column in (("unique_visitors", "visitor_keys"), ("pages_viewed", "page_keys"))
    }

    def count(name: str, now: dict[str, Any], before: dict[str, Any]) -> Figure:
        return Figure(Comparison(number(now[name]), number(before[name])))

    def average(name: str, scale: Any) -> Figure:
        now = mean(engaged_now[name], engaged_now["engaged_views"])
        before = mean(engaged_before[name], engaged_before["engaged_views"])
        return Figure(Comparison(scale(now), scale(before), "mean"))

    return ContentStats(
        period,
        where,
        {
            "page_views": count("page_views", views_now, views_before),
            "unique_visitors": Figure(Comparison(*distinct["unique_visitors"])),
            "pages_viewed": Figure(Comparison(*distinct["pages_viewed"])),
            "engaged_page_views": count("engaged_views", engaged_now, engaged_before),
            "avg_time_on_page_seconds": average("time_on_page_ms_sum", _seconds),
            "avg_scroll_depth": average("scroll_depth_sum", _rounded),
        },
    )


def content_stats(
    conn: Connection, period: Period, where: SessionFilter, *, use_rollups: bool = True
) -> ContentStats:
    """Page views, visitors, pages viewed, average time on page and scroll depth."""
    return _stats(conn, reader(conn, use_rollups), period, where)


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


def _top_paths(
    conn: Connection, source: RollupReader, period: Period, where: SessionFilter, limit: int
) -> list[dict[str, Any]]:
    """The most viewed pages: page views in the period and the previous one."""
    now, plan = facts_and_plan(source, "content_views", cuts(period), where)
    top = top_groups(
        conn,
        now,
        plan,
        ("path",),
        "page_views",
        counted(where, now.c),
        limit,
        rows_per_bucket=2 if where.include_bots else 1,
    )
    paths = [(row["path"],) for row in top]
    before = source.facts(
        "content_views", cuts(period.previous), raw_condition=raw_session_condition(where)
    )
    b = before.c
    previous = dict(
        conn.execute(
            select(b.path, func.sum(b.page_views))
            .where(counted(where, b), in_groups(b, ("path",), paths))
            .group_by(b.path)
        ).all()
    )
    return [
        {
            "path": row["path"],
            "page_views": number(row["page_views"]),
            "previous_page_views": number(previous.get(row["path"])),
        }
        for row in top
    ]


def _engagement_of(
    conn: Connection,
    source: RollupReader,
    period: Period,
    where: SessionFilter,
    paths: list[tuple[str]],
) -> dict[str, dict[str, Any]]:
    """Engaged views and the engagement sums of the given pages in the period."""
    engaged = source.facts(
        "content_engagement", cuts(period), raw_condition=raw_session_condition(where)
    )
    e = engaged.c
    statement = (
        select(e.path, *(func.sum(e[name]).label(name) for name in ENGAGEMENT_SUMS))
        .where(counted(where, e), in_groups(e, ("path",), paths))
        .group_by(e.path)
    )
    return {row.path: dict(row._mapping) for row in conn.execute(statement)}


def top_content(
    conn: Connection,
    period: Period,
    where: SessionFilter,
    limit: int = 20,
    *,
    use_rollups: bool = True,
) -> TopContent:
    """Pages by page views; each page's share is of all page views in the period."""
    source = reader(conn, use_rollups)
    top = _top_paths(conn, source, period, where, limit)
    paths = [(row["path"],) for row in top]
    engagement = _engagement_of(conn, source, period, where, paths)
    visitors = distinct_counts(
        source,
        "content_views",
        "visitor_keys",
        cuts(period),
        where,
        keys=("path",),
        also=lambda columns: in_groups(columns, ("path",), paths),
    )
    stats = _stats(conn, source, period, where).figures
    total_views = stats["page_views"].comparison.current
    rows = []
    for found in top:
        engaged = engagement.get(found["path"], {})
        views = engaged.get("engaged_views")
        comparison = Comparison(found["page_views"], found["previous_page_views"])
        rows.append(
            {
                "path": found["path"],
                "page_views": found["page_views"],
                "share_of_all": ratio(found["page_views"], total_views),
                "visitors": visitors.get((0, None, found["path"]), 0),
                "engaged_views": number(views),
                "avg_time_on_page_seconds": _seconds(
                    mean(engaged.get("time_on_page_ms_sum"), views)
                ),
                "avg_scroll_depth": _rounded(mean(engaged.get("scroll_depth_sum"), views)),
                "previous_page_views": found["previous_page_views"],
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
    *,
    use_rollups: bool = True,
) -> list[dict[str, Any]]:
    """Per UTC bucket, zero-filled, the current (partial) bucket included: page views,
    visitors and engaged views; average time on page and scroll depth are null in a bucket
    without engagement (an average of nothing is not 0)."""
    dialect = conn.dialect.name
    source = reader(conn, use_rollups)
    boundaries, days = cuts(period), granularity != "hour"
    raw = raw_session_condition(where)
    # Over all pages, the page-less rollups (far fewer rows and keys); for one page, its rows.
    names = (
        ("content_totals", "content_engagement_totals", "content_totals")
        if path is None
        else ("content_views", "content_engagement", "content_views")
    )
    views = source.facts(names[0], boundaries, days=days, raw_condition=raw)
    engaged = source.facts(names[1], boundaries, days=days, raw_condition=raw)

    def on_page(columns: Columns) -> ColumnElement[bool]:
        return true() if path is None else columns["path"] == path

    v, e = views.c, engaged.c
    view_bucket = time_bucket(dialect, v.bucket_at, granularity).label("bucket")
    engaged_bucket = time_bucket(dialect, e.bucket_at, granularity).label("bucket")
    statements = (
        select(view_bucket, func.sum(v.page_views).label("page_views"))
        .where(counted(where, v), on_page(v))
        .group_by(view_bucket),
        select(engaged_bucket, *(func.sum(e[name]).label(name) for name in ENGAGEMENT_SUMS))
        .where(counted(where, e), on_page(e))
        .group_by(engaged_bucket),
    )
    rows: dict[datetime, dict[str, Any]] = {}
    for statement in statements:
        for found in conn.execute(statement):
            rows.setdefault(bucket_start(found.bucket), {}).update(found._mapping)
    visitors = distinct_counts(
        source,
        names[2],
        "visitor_keys",
        boundaries,
        where,
        also=None if path is None else on_page,
        days=days,
        when=lambda moment: floor_to_bucket(moment, granularity),
    )
    for (_, bucket), count in visitors.items():
        rows.setdefault(bucket, {})["visitors"] = count
    series = zero_filled(period, granularity, rows, TREND_COUNTS)
    for point in series:
        data = rows.get(datetime.fromisoformat(point["bucket"]), {})
        views_engaged = data.get("engaged_views")
        point["engaged_views"] = number(views_engaged)
        point["page_views"] = number(data.get("page_views"))
        point["avg_time_on_page_seconds"] = _seconds(
            mean(data.get("time_on_page_ms_sum"), views_engaged)
        )
        point["avg_scroll_depth"] = _rounded(mean(data.get("scroll_depth_sum"), views_engaged))
    return series
